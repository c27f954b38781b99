"""Forms of the retention pages; the operations check every value again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField

from civicwatch.cases.models import STATUS_LABELS, CaseStatus
from civicwatch.forms import Form
from civicwatch.retention.queries import ERASABLE

STATUS_CHOICES = [(status.value, _l(STATUS_LABELS[status])) for status in CaseStatus if status in ERASABLE]


class ScheduleForm(Form):
    body = SelectField(_l("Body"), choices=[], validate_choice=False)  # checked by the operation
    status = SelectField(_l("Cases in status"), choices=STATUS_CHOICES, validate_choice=False)
    months = StringField(_l("Erase personal content after (months)"))


class RemoveScheduleForm(Form):
    pass


class HoldForm(Form):
    reason = TextAreaField(_l("Reason"))
