"""Forms: the filters of the published answers (GET, no CSRF: they change nothing) and the staff publishing
forms."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Field, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms import Form as QueryForm
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from civicwatch.cases.models import Outcome
from civicwatch.forms import ConfirmForm, Form, listed, refuse_repeated, repeated_filters
from civicwatch.open_data import outcome_words, year_problem
from civicwatch.taxonomy.models import Body, Theme
from civicwatch.taxonomy.queries import name_choices

SEARCH_MAX = 200


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _valid_year(form: QueryForm, field: Field) -> None:
    problem = year_problem(field.data)
    if problem:
        raise ValidationError(problem)


class PublishedSearchForm(QueryForm):
    """The filters of /published and of the published answers exports."""

    # Messages of ours throughout: WTForms' own are English only on these forms.
    q = StringField(_l("Search the answers"),
                    validators=[Optional(), Length(max=SEARCH_MAX, message=_l(
                        "Shorten your search to at most %(max)s characters."))],
                    description=_l("Words from the answer, or a reference such as CW-2026-483071."),
                    render_kw={"type": "search", "maxlength": SEARCH_MAX})
    body = SelectField(_l("Oversight body"), default="", validate_choice=False,
                       validators=[listed(_l("Choose an oversight body from the list."))])
    theme = SelectField(_l("What the complaint was about"), default="", validate_choice=False,
                        validators=[listed(_l("Choose a subject from the list."))])
    outcome = SelectField(_l("Outcome"), default="", validate_choice=False,
                          validators=[listed(_l("Choose an outcome from the list."))])
    year = StringField(_l("Year published"), validators=[Optional(), _valid_year], filters=[_stripped],
                       render_kw={"inputmode": "numeric"})

    def __init__(self, args: MultiDict, bodies: list[Body], themes: list[Theme]) -> None:
        super().__init__(args)
        # A filter given twice: the form would read its first value alone and say nothing of the other.
        self.repeated = repeated_filters(self, args)
        self.body.choices = [("", gettext("All bodies"))] + name_choices(bodies)
        self.theme.choices = [("", gettext("All subjects"))] + name_choices(themes)
        self.outcome.choices = [("", gettext("All outcomes"))] + [(o.value, outcome_words(o)) for o in Outcome]

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        valid = refuse_repeated(self, self.repeated) and valid
        return valid


# ---------------------------------------------------------------- staff

class DraftForm(Form):
    """The author's draft: both texts as written, then the decision on each proposal (posted as
    hide-<key> and replacement-<key> fields, one pair per proposal)."""

    row_version = HiddenField()
    summary_source = TextAreaField(_l("Public summary of the complaint and what was done"),
                                   validators=[DataRequired(_l("Write the public summary.")), Length(max=20_000)])
    response_source = TextAreaField(_l("The body's response"),
                                    validators=[DataRequired(_l("Write the body's response.")), Length(max=20_000)])
    extra_terms = TextAreaField(
        _l("Also hide these words or phrases"), validators=[Optional(), Length(max=2000)],
        description=_l("One per line: names or details the assistant missed. They are hidden wherever they appear."))
    check = SubmitField(_l("Save and check again"))
    submit_for_approval = SubmitField(_l("Submit for approval"))


class ReviewForm(Form):
    row_version = HiddenField()
    note = TextAreaField(_l("Why you are sending it back"), validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I have read the published text and it names or identifies no one"))
    approve = SubmitField(_l("Approve and publish"))
    send_back = SubmitField(_l("Send back to the author"))


class WithdrawForm(Form):
    row_version = HiddenField()
    reason = TextAreaField(_l("Reason (published with the notice)"),
                           validators=[DataRequired(_l("Give the reason the public will read.")), Length(max=1000)])
    submit = SubmitField(_l("Withdraw this answer"))


class StartDraftForm(Form):
    submit = SubmitField(_l("Start a draft"))


class DiscardForm(ConfirmForm):
    row_version = HiddenField()
    submit = SubmitField(_l("Discard this draft"))
