"""Forms of the retention pages; the operations check every value again."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from civicwatch.cases.models import CaseStatus

STATUS_CHOICES = [(status.value, status.value.replace("_", " ").capitalize()) for status in CaseStatus]


class ScheduleForm(FlaskForm):
    body = SelectField("Body", choices=[], validate_choice=False)  # checked by the operation
    status = SelectField("Cases in status", choices=STATUS_CHOICES, validate_choice=False)
    months = StringField("Erase personal content after (months)")


class RemoveScheduleForm(FlaskForm):
    pass


class HoldForm(FlaskForm):
    reason = TextAreaField("Reason")
