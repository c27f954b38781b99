"""Forms of the disclosure pages; the operations check every value again."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import Optional

from civicwatch.disclosure.models import DisclosureScope

SCOPE_LABELS = {
    DisclosureScope.WITHIN_BODY: "Within the body handling the case",
    DisclosureScope.OUTSIDE_BODY: "Outside the body (the complainant is told first)",
}


class DisclosureRequestForm(FlaskForm):
    scope = RadioField("Who will see it", choices=[(scope.value, label) for scope, label in SCOPE_LABELS.items()],
                       default=DisclosureScope.WITHIN_BODY.value)
    reason = TextAreaField("Why you need it")
    recipient = StringField("Who outside the body receives it", validators=[Optional()])


class ApproveForm(FlaskForm):
    hours = IntegerField("For how many hours", default=24, validators=[Optional()])
    legal_bar = TextAreaField("The law that forbids telling the complainant first (only if one does)",
                              validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional()])


class RefuseForm(FlaskForm):
    note = TextAreaField("Why the request is refused")


class OriginalRequestForm(FlaskForm):
    reason = TextAreaField("Why you need the original file")
