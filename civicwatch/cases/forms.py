"""Forms of the staff case pages. Every form that changes a case carries the version it was rendered from."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from civicwatch.cases.models import CaseStatus, Outcome, RemedyStatus

OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: "Substantiated",
    Outcome.PARTLY_SUBSTANTIATED: "Partly substantiated",
    Outcome.NOT_SUBSTANTIATED: "Not substantiated",
    Outcome.UNFOUNDED: "Unfounded",
    Outcome.POLICY_FAILURE: "Policy failure",
    Outcome.NO_JURISDICTION: "No jurisdiction",
}
REMEDY_LABELS = {
    RemedyStatus.PENDING: "Pending",
    RemedyStatus.IMPLEMENTED: "Implemented",
    RemedyStatus.PARTLY_IMPLEMENTED: "Partly implemented",
    RemedyStatus.NOT_IMPLEMENTED: "Not implemented",
}


class QueueFilterForm(FlaskForm):
    """Read from the query string: a GET form, so no CSRF token and bookmarkable."""

    class Meta:
        csrf = False

    q = SearchField("Search", validators=[Optional(), Length(max=200)],
                    description="Words from the complaint or place, or a reference such as CW-2026-000123.")
    status = SelectField("Status", choices=[("", "Any status")] + [(s.value, s.value.replace("_", " ").capitalize())
                                                                 for s in CaseStatus], default="", validate_choice=True)
    theme = SelectField("Theme", choices=[], validate_choice=False)
    actor = SelectField("Who", choices=[], validate_choice=False)
    region = SelectField("Region", choices=[], validate_choice=False)
    district = SelectField("District", choices=[], validate_choice=False)
    body = SelectField("Body", choices=[], validate_choice=False)
    urgency = SelectField("Urgency", choices=[("", "Any"), ("urgent", "Urgent only"), ("ordinary", "Not urgent")],
                          default="")
    received_from = DateField("Received from", validators=[Optional()])
    received_to = DateField("Received until", validators=[Optional()])
    submit = SubmitField("Apply")


class CaseForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class TransitionForm(CaseForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    response = TextAreaField("Response to the complainant", validators=[Optional(), Length(max=1600)],
                             description="Sent to the complainant (by SMS when they gave a number). Plain words.")
    submit = SubmitField("Confirm")


class RouteForm(CaseForm):
    body = SelectField("Send to", choices=[], validators=[DataRequired(message="Choose a body.")])
    reason = TextAreaField("Why this body", validators=[DataRequired(message="Give a reason."),
                                                        Length(max=2000)])
    submit = SubmitField("Send to this body")


class CorrectForm(CaseForm):
    theme = SelectField("Theme", choices=[])
    actor = SelectField("Who is complained about", choices=[])
    region = SelectField("Region", choices=[])
    district = SelectField("District", choices=[])
    submit = SubmitField("Save the correction")


class AssignForm(CaseForm):
    assignee = SelectField("Investigator", choices=[])
    submit = SubmitField("Assign")


class RecuseForm(CaseForm):
    reason = TextAreaField("Your conflict of interest", validators=[DataRequired(message="Give a reason."),
                                                                    Length(max=2000)])
    submit = SubmitField("Recuse myself")


class NoteForm(CaseForm):
    text = TextAreaField("Internal note", validators=[DataRequired(message="Write the note."),
                                                      Length(max=20000)],
                         description="Only staff see notes. The complainant never does.")
    submit = SubmitField("Add note")


class MessageForm(CaseForm):
    text = TextAreaField("Message to the complainant", validators=[DataRequired(message="Write the message."),
                                                                   Length(max=1600)],
                         description="They read it on the follow-up page, and by SMS when they gave a number.")
    wait_for_reply = BooleanField("This is a question: stop the deadline clock until they reply")
    submit = SubmitField("Send message")


class ClockForm(CaseForm):
    submit = SubmitField("Restart the deadline clock")


class ExtendDeadlineForm(CaseForm):
    days = IntegerField("Extend by (working days)",
                        validators=[InputRequired(message="Give the number of working days."),
                                    NumberRange(min=1, max=520)])
    reason = TextAreaField("Why the body needs more time",
                           validators=[DataRequired(message="Write the reason: the complainant reads it."),
                                       Length(max=1000)],
                           description="The complainant reads this on the follow-up page, and by SMS when they "
                                       "gave a number. The deadline can be extended only once.")
    submit = SubmitField("Extend the deadline")


class FindingsForm(CaseForm):
    outcome = SelectField("Outcome", choices=[("", "Choose an outcome")] +
                          [(o.value, label) for o, label in OUTCOME_LABELS.items()],
                          validators=[DataRequired(message="Choose an outcome.")])
    findings = TextAreaField("Findings", validators=[DataRequired(message="Write the findings."),
                                                      Length(max=20000)])
    submit = SubmitField("Save findings")


class RecommendationForm(CaseForm):
    text = TextAreaField("Recommendation to the security agency",
                         validators=[DataRequired(message="Write the recommendation."), Length(max=20000)])
    submit = SubmitField("Add recommendation")


class RemedyForm(CaseForm):
    status = SelectField("Carried out?", choices=[(s.value, label) for s, label in REMEDY_LABELS.items()])
    submit = SubmitField("Update")


class DraftResponseForm(CaseForm):
    text = TextAreaField("Draft public response", validators=[Optional(), Length(max=20000)],
                         description="What the public will read once it is published. Leave out names, "
                                     "numbers and places that could identify anyone.")
    submit = SubmitField("Save draft")


class DeadlinesForm(FlaskForm):
    acknowledge_days = IntegerField("Acknowledge within (working days)",
                                    validators=[InputRequired(), NumberRange(min=1, max=60)])
    acknowledge_days_urgent = IntegerField("Urgent: acknowledge within (working days)",
                                           validators=[InputRequired(), NumberRange(min=1, max=60)])
    respond_days = IntegerField("Respond within (working days)",
                                validators=[InputRequired(), NumberRange(min=1, max=520)])
    respond_days_urgent = IntegerField("Urgent: respond within (working days)",
                                       validators=[InputRequired(), NumberRange(min=1, max=520)])
    submit = SubmitField("Save deadlines")



class HolidayForm(FlaskForm):
    day = DateField("Date", validators=[InputRequired(message="Give the date as YYYY-MM-DD.")])
    name = StringField("Name", validators=[DataRequired(message="Give the holiday's name."), Length(max=200)])
    submit = SubmitField("Save holiday")


class HolidayImportForm(FlaskForm):
    csv = TextAreaField("Holidays as CSV", validators=[DataRequired(message="Paste the holidays first."),
                                                        Length(max=200_000)],
                        description="One holiday a line: YYYY-MM-DD,Name (a date,name header may come first). "
                                    "A bad line refuses the whole list.")
    submit = SubmitField("Import holidays")


class RemoveHolidayForm(FlaskForm):
    submit = SubmitField("Remove")
