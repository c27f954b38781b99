"""Forms of the disclosure pages; the operations check every value again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import Optional

from civicwatch.disclosure.models import DisclosureScope
from civicwatch.forms import ConfirmForm, Form
from civicwatch.i18n import N_

SCOPE_LABELS = {
    DisclosureScope.WITHIN_BODY: N_("Within the body handling the case"),
    DisclosureScope.OUTSIDE_BODY: N_("Outside the body (the complainant is told first)"),
}


class DisclosureRequestForm(Form):
    scope = RadioField(_l("Who will see it"),
                       choices=[(scope.value, _l(label)) for scope, label in SCOPE_LABELS.items()],
                       default=DisclosureScope.WITHIN_BODY.value)
    reason = TextAreaField(_l("Why you need it"))
    recipient = StringField(_l("Who outside the body receives it"), validators=[Optional()])


class ApproveForm(Form):
    hours = IntegerField(_l("For how many hours"), default=24, validators=[Optional()])
    legal_bar = TextAreaField(_l("The law that forbids telling the complainant first (only if one does)"),
                              validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional()])


class RefuseForm(Form):
    note = TextAreaField(_l("Why the request is refused"))


class RevokeForm(ConfirmForm):
    note = TextAreaField(_l("Why the grant ends now"), validators=[Optional()])


class OriginalRequestForm(Form):
    reason = TextAreaField(_l("Why you need the original file"))
