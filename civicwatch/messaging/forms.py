from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class RetryForm(FlaskForm):
    """Only the CSRF token: the message is named in the URL."""

    submit = SubmitField("Send again")
