"""The administrators' form for Open311 API keys."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ApiKeyForm(FlaskForm):
    name = StringField("Who the key is for", validators=[DataRequired("Name the client."), Length(max=200)],
                       description="For example: 'Civic app of the Freetown youth network'.")
    submit = SubmitField("Issue a key")


class RevokeApiKeyForm(FlaskForm):
    submit = SubmitField("Revoke")
