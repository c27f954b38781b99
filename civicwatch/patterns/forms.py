"""Forms of the staff pages of patterns: allegations on the case page."""
from __future__ import annotations

from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from civicwatch.cases.forms import OUTCOME_LABELS, CaseForm
from civicwatch.taxonomy.queries import all_actors, all_districts, all_regions, all_themes


class AllegationForm(CaseForm):
    theme = SelectField("What was done", choices=[])
    victim = StringField("To whom", validators=[Optional(), Length(max=500)],
                         description="A description (\"a bus driver\", \"two detainees\"); staff only.")
    actor = SelectField("By which service", choices=[])
    region = SelectField("Region", choices=[])
    district = SelectField("District", choices=[])
    location_text = StringField("Place", validators=[Optional(), Length(max=500)])
    incident_date = DateField("When", validators=[Optional()])
    finding = SelectField("Finding", choices=[("", "Not decided")] +
                          [(o.value, label) for o, label in OUTCOME_LABELS.items()])
    remedy = TextAreaField("Remedy", validators=[Optional(), Length(max=20000)])
    submit = SubmitField("Save allegation")


def fill_allegation_choices(form: AllegationForm) -> None:
    """Choices of the select fields (ids), the same on GET and POST."""
    form.theme.choices = [("", "Not known")] + [(str(t.id), t.name) for t in all_themes()]
    form.actor.choices = [("", "Not known")] + [(str(a.id), a.name) for a in all_actors()]
    form.region.choices = [("", "Not known")] + [(str(r.id), r.name) for r in all_regions()]
    form.district.choices = [("", "Not known")] + [(str(d.id), d.name) for d in all_districts()]
