"""Forms of the staff pages of patterns: allegations on the case page."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from civicwatch.cases.forms import CaseForm
from civicwatch.cases.models import OUTCOME_LABELS
from civicwatch.forms import ConfirmForm, Form
from civicwatch.i18n import N_
from civicwatch.patterns.models import Subject, SubjectKind
from civicwatch.taxonomy.queries import all_actors, all_districts, all_regions, all_themes, name_choices

KIND_LABELS = {SubjectKind.UNIT: N_("Unit"), SubjectKind.POST: N_("Post"), SubjectKind.OFFICER: N_("Officer")}


def subject_label(subject: Subject) -> str:
    return f"{subject.name} ({gettext(KIND_LABELS[subject.kind]).lower()})"


class AllegationForm(CaseForm):
    theme = SelectField(_l("What was done"), choices=[])
    victim = StringField(_l("To whom"), validators=[Optional(), Length(max=500)],
                         description=_l("A description (\"a bus driver\", \"two detainees\"); staff only."))
    actor = SelectField(_l("By which service"), choices=[])
    subject = SelectField(_l("By which unit, post or officer"), choices=[])
    region = SelectField(_l("Region"), choices=[])
    district = SelectField(_l("District"), choices=[])
    location_text = StringField(_l("Place"), validators=[Optional(), Length(max=500)])
    incident_date = DateField(_l("When"), validators=[Optional()])
    finding = SelectField(_l("Finding"), choices=[("", _l("Not decided"))] +
                          [(o.value, _l(label)) for o, label in OUTCOME_LABELS.items()])
    remedy = TextAreaField(_l("Remedy"), validators=[Optional(), Length(max=20000)])
    submit = SubmitField(_l("Save allegation"))


def fill_allegation_choices(form: AllegationForm, subjects: list[Subject]) -> None:
    """Choices of the select fields (ids), the same on GET and POST; `subjects`: the case's body's register."""
    form.subject.choices = [("", gettext("Not known"))] + [(str(s.id), subject_label(s)) for s in subjects]
    form.theme.choices = [("", gettext("Not known"))] + name_choices(all_themes(), by_id=True)
    form.actor.choices = [("", gettext("Not known"))] + name_choices(all_actors(), by_id=True)
    form.region.choices = [("", gettext("Not known"))] + name_choices(all_regions(), by_id=True)
    form.district.choices = [("", gettext("Not known"))] + name_choices(all_districts(), by_id=True)


class LinkSubjectForm(CaseForm):
    subject = SelectField(_l("Subject"), choices=[], validators=[DataRequired(message=_l("Choose a subject."))])
    submit = SubmitField(_l("Link"))


class DecideLinkForm(CaseForm):
    submit = SubmitField(_l("Save"))


class RegisterImportForm(Form):
    body = SelectField(_l("Register of"), choices=[], validators=[DataRequired(message=_l("Choose a body."))])
    file = FileField(_l("CSV file"), validators=[DataRequired(message=_l("Choose a CSV file."))],
                     description=_l("Columns: kind (unit, post or officer), name, service, district, aliases "
                                    "(separated by |). A header line names them."))
    submit = SubmitField(_l("Import"))


class ShareDecisionForm(Form):
    """Approving or refusing a share: the reason is required; the days only when approving."""

    days = IntegerField(_l("For how many days"), default=30, validators=[Optional()])
    reason = TextAreaField(_l("Why"), validators=[Optional()])


class RevokeShareForm(ConfirmForm):
    """Revoking a running share, from its confirmation page: the reason is required (the operation checks it)."""

    reason = TextAreaField(_l("Why the share ends now"), validators=[Optional()])
