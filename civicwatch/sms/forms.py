from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

# Twilio joins at most ten segments: 1,600 characters.
SMS_MAX = 1600


class SimulatorPhoneForm(FlaskForm):
    phone = StringField(
        "Phone number", validators=[DataRequired("Enter a phone number."), Length(max=40)],
        description="The citizen's phone you want to play, for example +232 76 123456 or 076 123456.",
    )
    submit = SubmitField("Use this phone")


class SimulatorTextForm(FlaskForm):
    body = TextAreaField(
        "Your text", validators=[Length(max=SMS_MAX, message=f"A text has at most {SMS_MAX} characters.")],
        description="Try a report, HELP, STATUS, NEW, STOP, START, or a rating from 1 to 5.",
    )
    submit = SubmitField("Send text")


class RetryForm(FlaskForm):
    """Only the CSRF token: the message is named in the URL."""

    submit = SubmitField("Send again")
