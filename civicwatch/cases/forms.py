"""Forms of the staff case pages. Every form that changes a case carries the version it was rendered from."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from civicwatch.cases.models import OUTCOME_LABELS, REMEDY_LABELS, STATUS_LABELS, CaseStatus
from civicwatch.cases.search import search_terms, search_text, searched_reference
from civicwatch.forms import Form
from civicwatch.text import one_line


class QueueFilterForm(Form):
    """Read from the query string: a GET form, so no CSRF token and bookmarkable."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)],
                    description=_l("Words from the complaint or place, or a reference such as CW-2026-483071."))
    status = SelectField(_l("Status"), choices=[("", _l("Any status"))] + [(s.value, _l(STATUS_LABELS[s]))
                                                                         for s in CaseStatus],
                         default="", validate_choice=True)
    theme = SelectField(_l("Theme"), choices=[], validate_choice=False)
    actor = SelectField(_l("Who"), choices=[], validate_choice=False)
    region = SelectField(_l("Region"), choices=[], validate_choice=False)
    district = SelectField(_l("District"), choices=[], validate_choice=False)
    body = SelectField(_l("Body"), choices=[], validate_choice=False)
    urgency = SelectField(_l("Urgency"), choices=[("", _l("Any")), ("urgent", _l("Urgent only")),
                                                  ("ordinary", _l("Not urgent"))], default="")
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received until"), validators=[Optional()])
    submit = SubmitField(_l("Apply"))

    def validate_q(self, field: SearchField) -> None:
        text = search_text(field.data)
        if (field.data or "").strip() and searched_reference(text) is None and not search_terms(text):
            raise ValidationError(_l("Nothing to search for: type words from the complaint or place, or a "
                                     "reference."))


class CaseForm(Form):
    version = HiddenField(validators=[InputRequired()])


class TransitionForm(CaseForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    response = TextAreaField(_l("Response to the complainant"), validators=[Optional(), Length(max=1600)],
                             description=_l("Sent to the complainant (by SMS when they gave a number). Plain words."))
    submit = SubmitField(_l("Confirm"))


class RouteForm(CaseForm):
    body = SelectField(_l("Send to"), choices=[], validators=[DataRequired(message=_l("Choose a body."))])
    reason = TextAreaField(_l("Why this body"), validators=[DataRequired(message=_l("Give a reason.")),
                                                            Length(max=2000)])
    submit = SubmitField(_l("Send to this body"))


class CorrectForm(CaseForm):
    theme = SelectField(_l("Theme"), choices=[])
    actor = SelectField(_l("Who is complained about"), choices=[])
    region = SelectField(_l("Region"), choices=[])
    district = SelectField(_l("District"), choices=[])
    submit = SubmitField(_l("Save the correction"))


class AssignForm(CaseForm):
    assignee = SelectField(_l("Investigator"), choices=[])
    submit = SubmitField(_l("Assign"))


class RecuseForm(CaseForm):
    reason = TextAreaField(_l("Your conflict of interest"),
                           validators=[DataRequired(message=_l("Give a reason.")), Length(max=2000)])
    submit = SubmitField(_l("Recuse myself"))


class RetaliationSeenForm(CaseForm):
    submit = SubmitField(_l("Mark as seen"))


class ClosureWordsReadForm(CaseForm):
    # The newest message the page showed: words that come after it stay unread.
    through = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    submit = SubmitField(_l("Mark as read"))


class NoteForm(CaseForm):
    text = TextAreaField(_l("Internal note"), validators=[DataRequired(message=_l("Write the note.")),
                                                          Length(max=20000)],
                         description=_l("Only staff see notes. The complainant never does."))
    submit = SubmitField(_l("Add note"))


class MessageForm(CaseForm):
    text = TextAreaField(_l("Message to the complainant"),
                         validators=[DataRequired(message=_l("Write the message.")), Length(max=1600)],
                         description=_l("They read it on the follow-up page, and by SMS when they gave a number."))
    wait_for_reply = BooleanField(_l("This is a question: stop the deadline clock until they reply"))
    submit = SubmitField(_l("Send message"))


class ClockForm(CaseForm):
    submit = SubmitField(_l("Restart the deadline clock"))


class ExtendDeadlineForm(CaseForm):
    days = IntegerField(_l("Extend by (working days)"),
                        validators=[InputRequired(message=_l("Give the number of working days.")),
                                    NumberRange(min=1, max=520)])
    reason = TextAreaField(_l("Why the body needs more time"),
                           validators=[DataRequired(message=_l("Write the reason: the complainant reads it.")),
                                       Length(max=1000)],
                           description=_l("The complainant reads this on the follow-up page, and by SMS when they "
                                          "gave a number. The deadline can be extended only once."))
    submit = SubmitField(_l("Extend the deadline"))


class FindingsForm(CaseForm):
    outcome = SelectField(_l("Outcome"), choices=[("", _l("Choose an outcome"))] +
                          [(o.value, _l(label)) for o, label in OUTCOME_LABELS.items()],
                          validators=[DataRequired(message=_l("Choose an outcome."))])
    findings = TextAreaField(_l("Findings"), validators=[DataRequired(message=_l("Write the findings.")),
                                                         Length(max=20000)])
    submit = SubmitField(_l("Save findings"))


class RecommendationForm(CaseForm):
    text = TextAreaField(_l("Recommendation to the security agency"),
                         validators=[DataRequired(message=_l("Write the recommendation.")), Length(max=20000)])
    submit = SubmitField(_l("Add recommendation"))


class RemedyForm(CaseForm):
    status = SelectField(_l("Carried out?"), choices=[(s.value, _l(label)) for s, label in REMEDY_LABELS.items()])
    submit = SubmitField(_l("Update"))


class DraftResponseForm(CaseForm):
    text = TextAreaField(_l("Draft public response"), validators=[Optional(), Length(max=20000)],
                         description=_l("What the public will read once it is published. Leave out names, "
                                        "numbers and places that could identify anyone."))
    submit = SubmitField(_l("Save draft"))


class DeadlinesForm(Form):
    version = HiddenField(validators=[InputRequired()])
    acknowledge_days = IntegerField(_l("Acknowledge within (working days)"),
                                    validators=[InputRequired(), NumberRange(min=1, max=60)])
    acknowledge_days_urgent = IntegerField(_l("Urgent: acknowledge within (working days)"),
                                           validators=[InputRequired(), NumberRange(min=1, max=60)])
    respond_days = IntegerField(_l("Respond within (working days)"),
                                validators=[InputRequired(), NumberRange(min=1, max=520)])
    respond_days_urgent = IntegerField(_l("Urgent: respond within (working days)"),
                                       validators=[InputRequired(), NumberRange(min=1, max=520)])
    submit = SubmitField(_l("Save deadlines"))


class HolidayForm(Form):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Give the date as YYYY-MM-DD."))])
    name = StringField(_l("Name"),
                       validators=[DataRequired(message=_l("Give the holiday's name.")), Length(max=200)],
                       filters=[one_line])
    submit = SubmitField(_l("Save holiday"))


class HolidayImportForm(Form):
    csv = TextAreaField(_l("Holidays as CSV"), validators=[DataRequired(message=_l("Paste the holidays first.")),
                                                           Length(max=200_000)],
                        description=_l("One holiday a line: YYYY-MM-DD,Name (a date,name header may come first). "
                                       "A bad line refuses the whole list."))
    submit = SubmitField(_l("Import holidays"))


class RemoveHolidayForm(Form):
    submit = SubmitField(_l("Remove"))


class GiveBackCasesForm(Form):
    """The cases an admin gives back to a reactivated account: the choices are those still waiting for it."""

    cases = SelectMultipleField(_l("Cases to give back"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Give back the cases chosen"))

    def validate_cases(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one case to give back, or go back to the staff accounts."))
        offered = {value for value, _label in field.choices or ()}
        if any(value not in offered for value in field.data):
            raise ValidationError(_l("A case chosen is no longer waiting for this account (someone took it "
                                     "meanwhile): choose again among those listed."))
