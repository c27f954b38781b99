"""Forms of the staff pages of patterns: allegations on the case page."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from civicwatch.cases.forms import OUTCOME_LABELS, CaseForm
from civicwatch.patterns.models import Subject, SubjectKind
from civicwatch.taxonomy.queries import all_actors, all_districts, all_regions, all_themes

KIND_LABELS = {SubjectKind.UNIT: "Unit", SubjectKind.POST: "Post", SubjectKind.OFFICER: "Officer"}


def subject_label(subject: Subject) -> str:
    return f"{subject.name} ({KIND_LABELS[subject.kind].lower()})"


class AllegationForm(CaseForm):
    theme = SelectField("What was done", choices=[])
    victim = StringField("To whom", validators=[Optional(), Length(max=500)],
                         description="A description (\"a bus driver\", \"two detainees\"); staff only.")
    actor = SelectField("By which service", choices=[])
    subject = SelectField("By which unit, post or officer", choices=[])
    region = SelectField("Region", choices=[])
    district = SelectField("District", choices=[])
    location_text = StringField("Place", validators=[Optional(), Length(max=500)])
    incident_date = DateField("When", validators=[Optional()])
    finding = SelectField("Finding", choices=[("", "Not decided")] +
                          [(o.value, label) for o, label in OUTCOME_LABELS.items()])
    remedy = TextAreaField("Remedy", validators=[Optional(), Length(max=20000)])
    submit = SubmitField("Save allegation")


def fill_allegation_choices(form: AllegationForm, subjects: list[Subject]) -> None:
    """Choices of the select fields (ids), the same on GET and POST; `subjects`: the case's body's register."""
    form.subject.choices = [("", "Not known")] + [(str(s.id), subject_label(s)) for s in subjects]
    form.theme.choices = [("", "Not known")] + [(str(t.id), t.name) for t in all_themes()]
    form.actor.choices = [("", "Not known")] + [(str(a.id), a.name) for a in all_actors()]
    form.region.choices = [("", "Not known")] + [(str(r.id), r.name) for r in all_regions()]
    form.district.choices = [("", "Not known")] + [(str(d.id), d.name) for d in all_districts()]


class LinkSubjectForm(CaseForm):
    subject = SelectField("Subject", choices=[], validators=[DataRequired(message="Choose a subject.")])
    submit = SubmitField("Link")


class DecideLinkForm(CaseForm):
    submit = SubmitField("Save")


class RegisterImportForm(FlaskForm):
    body = SelectField("Register of", choices=[], validators=[DataRequired(message="Choose a body.")])
    file = FileField("CSV file", validators=[DataRequired(message="Choose a CSV file.")],
                     description="Columns: kind (unit, post or officer), name, service, district, aliases "
                                 "(separated by |). A header line names them.")
    submit = SubmitField("Import")


class ShareDecisionForm(FlaskForm):
    """Approving, refusing or revoking a share: the reason is required; the days only when approving."""

    days = IntegerField("For how many days", default=30, validators=[Optional()])
    reason = TextAreaField("Why", validators=[Optional()])
