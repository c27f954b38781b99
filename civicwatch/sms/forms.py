from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from civicwatch.forms import Form
from civicwatch.phones import SMS, WHATSAPP

# Twilio joins at most ten segments: 1,600 characters.
SMS_MAX = 1600


class SimulatorPhoneForm(Form):
    phone = StringField(
        _l("Phone number"), validators=[DataRequired(_l("Enter a phone number.")), Length(max=40)],
        description=_l("The citizen's phone you want to play, for example +232 76 123456 or 076 123456."),
    )
    channel = RadioField(_l("Channel"), choices=[(SMS, _l("SMS")), (WHATSAPP, _l("WhatsApp"))], default=SMS,
                         validators=[DataRequired(_l("Choose SMS or WhatsApp."))])
    submit = SubmitField(_l("Use this phone"))


class SimulatorTextForm(Form):
    body = TextAreaField(
        _l("Your text"), validators=[Length(max=SMS_MAX, message=_l("A text has at most %(max)s characters.",
                                                                    max=SMS_MAX))],
        description=_l("Try a report, or a keyword: HELP, STATUS, NEW, FEAR, STOP, START, LANG FR, RATE 4, APPEAL "
                       "and a reason. French: AIDE, STATUT, NOUVEAU, PEUR, ARRET, NOTE 4, RECOURS. Krio: EP, NYUZ, "
                       "NYU, FRED, TAP, MAK 4, APIL."),
    )
    submit = SubmitField(_l("Send text"))


class SimulatorDayForm(Form):
    submit = SubmitField(_l("Let a day pass"))


class RetryForm(Form):
    """Only the CSRF token: the message is named in the URL."""

    submit = SubmitField(_l("Send again"))
