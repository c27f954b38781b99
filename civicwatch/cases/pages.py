"""What the case page shows a given user: the forms their role allows at this status, and the next step."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from markupsafe import Markup

from civicwatch.accounts.models import Role, User
from civicwatch.cases.closure_words import filed_after_closure, may_mark_read, unread_message_ids
from civicwatch.cases.deadlines import deadline_state, describe_due, extension_limit, respond_past_the_law
from civicwatch.cases.forms import (
    AssignForm,
    ClockForm,
    ClosureWordsReadForm,
    CorrectForm,
    DraftResponseForm,
    ExtendDeadlineForm,
    FindingsForm,
    MessageForm,
    NoteForm,
    RecommendationForm,
    RecuseForm,
    RemedyForm,
    RetaliationSeenForm,
    RouteForm,
    TransitionForm,
)
from civicwatch.cases.models import STATUS_LABELS, Case, CaseStatus
from civicwatch.cases.notifications import case_said_not_safe
from civicwatch.cases.permissions import may
from civicwatch.cases.retaliation import RetaliationReport, retaliation_reported_while_open
from civicwatch.cases.routing_facts import routing_facts
from civicwatch.cases.workflow import ACTION_LABELS, Transition, assignable_investigators, available_transitions
from civicwatch.database import utcnow
from civicwatch.forms import Form
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import all_actors, all_bodies, all_districts, all_regions, all_themes, name_choices

S = CaseStatus
FORMS: dict[str, tuple[type[Form], str]] = {
    "route": (RouteForm, "route"),
    "correct": (CorrectForm, "correct"),
    "assign": (AssignForm, "assign"),
    "recuse": (RecuseForm, "recuse"),
    "note": (NoteForm, "note"),
    "retaliation_seen": (RetaliationSeenForm, "retaliation_seen"),
    "closure_words_read": (ClosureWordsReadForm, "closure_words_read"),
    "message": (MessageForm, "message"),
    "clock": (ClockForm, "clock"),
    "extend": (ExtendDeadlineForm, "extend"),
    "findings": (FindingsForm, "findings"),
    "recommend": (RecommendationForm, "recommend"),
    "draft_response": (DraftResponseForm, "draft"),
}


@dataclass
class TransitionOption:
    target: CaseStatus
    transition: Transition
    form: TransitionForm
    label: str
    primary: bool = False


@dataclass(frozen=True)
class Mistake:
    label: str
    field_id: str
    message: str


def mistakes_in(submitted: dict[str, Form]) -> list[Mistake]:
    """Each field of the forms sent back that holds a mistake: the page names them at its top, linked, since the
    form may be far down the page and folded (without JavaScript nothing takes the reader there). A hidden field
    (the version, the CSRF token) is the page's own: reloading it is the only correction."""
    found = []
    for form in submitted.values():
        for item in form:
            if item.errors:
                hidden = getattr(item.widget, "input_type", None) == "hidden"
                label = gettext("The page itself") if hidden else str(item.label.text)
                message = gettext("Reload the page and try again.") if hidden else str(item.errors[0])
                found.append(Mistake(label, "main" if hidden else item.id, message))
    return found


@dataclass
class CasePage:
    case: Case
    forms: dict[str, Form] = field(default_factory=dict)
    transitions: list[TransitionOption] = field(default_factory=list)
    remedy_forms: dict[int, RemedyForm] = field(default_factory=dict)
    next_step: str = ""
    suggested_body: Body | None = None
    deadline: Any = None
    due_words: str = ""
    respond_by_law: dt.datetime | None = None  # set when the deadline to answer is later than the law's
    panels: list[Markup] = field(default_factory=list)
    retaliation_reported: list[RetaliationReport] = field(default_factory=list)  # answers to check-ins while open
    closure_words: list[int] = field(default_factory=list)  # the complainant's words not read yet
    closure_words_ended: bool = False  # the case has ended: nobody works on it
    mistakes: list[Mistake] = field(default_factory=list)  # of the forms sent back, told where the page opens
    routing: list[tuple[str, str]] = field(default_factory=list)  # why it was routed so, in words
    # The complainant said others may read the texts on the phone given: staff must not text or call it by hand.
    # Their own answer only: another report's for the same number is not this case's staff's to learn.
    not_safe_to_text: bool = False


# The routing rules live above cases; routing installs the function that reads them (routing/case_views.py).
_route_suggestion: list[Callable[[Case], Body | None]] = []


def set_route_suggestion(suggest: Callable[[Case], Body | None]) -> None:
    """Install what names the body the routing rules suggest for a case waiting in triage."""
    _route_suggestion[:] = [suggest]


def suggested_body(case: Case) -> Body | None:
    if case.body_id is not None or not _route_suggestion:
        return None
    return _route_suggestion[0](case)


# Sections of the case page that domains above cases add (patterns: allegations, subjects, related cases):
# called with the case, the user and the forms sent back with errors, each returns its HTML.
CasePanel = Callable[[Case, User, dict[str, Form]], str]
_panels: list[CasePanel] = []


def add_case_panel(panel: CasePanel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def fill_choices(form: Form, case: Case) -> None:
    """Choices of the select fields; the same on GET and POST so validation checks real options."""
    if isinstance(form, RouteForm):
        form.body.choices = [("", gettext("Choose a body"))] + name_choices(
            (b for b in all_bodies() if b.id != case.body_id), by_id=True)
    elif isinstance(form, CorrectForm):
        form.theme.choices = [("", gettext("Not known"))] + name_choices(all_themes(), by_id=True)
        form.actor.choices = [("", gettext("Not known"))] + name_choices(all_actors(), by_id=True)
        form.region.choices = [("", gettext("Not known"))] + name_choices(all_regions(), by_id=True)
        form.district.choices = [("", gettext("Not known"))] + name_choices(all_districts(), by_id=True)
    elif isinstance(form, AssignForm):
        form.assignee.choices = [("", gettext("Nobody"))] + [(str(u.id), u.name) for u in assignable_investigators(case)]


def _defaults(name: str, case: Case) -> dict[str, Any]:
    if name == "correct":
        return {key: str(value) if value else "" for key, value in (
            ("theme", case.theme_id), ("actor", case.actor_id), ("region", case.region_id),
            ("district", case.district_id))}
    if name == "route":
        suggestion = suggested_body(case)
        return {"body": str(suggestion.id) if suggestion else ""}
    if name == "assign":
        return {"assignee": str(case.assigned_to_id or "")}
    if name == "findings":
        return {"outcome": case.outcome.value if case.outcome else "", "findings": case.findings or ""}
    if name == "draft_response":
        return {"text": case.draft_public_response or ""}
    if name == "closure_words_read":
        unread = unread_message_ids(case)
        return {"through": unread[-1] if unread else None}
    return {}


def build_form(name: str, case: Case, submitted: Form | None = None) -> Form:
    if submitted is not None:
        form = submitted
    else:
        form_class, prefix = FORMS[name]
        form = form_class(prefix=prefix, formdata=None, data=_defaults(name, case))
        fill_choices(form, case)
    form.version.data = str(case.version)
    return form


def transition_form(target: CaseStatus, case: Case, submitted: TransitionForm | None = None) -> TransitionForm:
    form = submitted or TransitionForm(prefix=f"to-{target.value}", formdata=None)
    form.version.data = str(case.version)
    return form


def build_case_page(case: Case, user: User, submitted: dict[str, Form] | None = None) -> CasePage:
    submitted = submitted or {}
    page = CasePage(case)
    page.retaliation_reported = retaliation_reported_while_open(case)
    page.not_safe_to_text = case_said_not_safe(case)
    page.closure_words = unread_message_ids(case)
    page.closure_words_ended = filed_after_closure(case)
    page.mistakes = mistakes_in(submitted)
    for name in FORMS:
        if name == "clock" and case.waiting_since is None:
            continue
        if name == "retaliation_seen" and all(report.seen_at for report in page.retaliation_reported):
            continue
        if name == "closure_words_read" and not (page.closure_words and may_mark_read(user, case)):
            continue
        if name == "assign" and case.body_id is None:
            continue
        if name == "extend" and (case.deadline_extended_at is not None or case.respond_due_at is None
                                 or extension_limit(case) < 1):
            continue
        if may(user, name, case):
            page.forms[name] = build_form(name, case, submitted.get(name))
    for target, transition in available_transitions(user, case):
        form = transition_form(target, case, submitted.get(f"to:{target.value}"))
        page.transitions.append(TransitionOption(target, transition, form, gettext(ACTION_LABELS[transition.action])))
    _mark_primary(page.transitions)
    if may(user, "remedy", case):
        for recommendation in case.recommendations:
            form = submitted.get(f"remedy:{recommendation.id}") or RemedyForm(
                prefix=f"remedy-{recommendation.id}", formdata=None, data={"status": recommendation.status.value})
            form.version.data = str(case.version)
            page.remedy_forms[recommendation.id] = form
    if "route" in page.forms:
        page.suggested_body = suggested_body(case)
    now = utcnow()
    page.deadline = deadline_state(case, now)
    page.due_words = describe_due(page.deadline.due_at, now)
    page.respond_by_law = respond_past_the_law(case)
    page.next_step = next_step(case, user, page)
    page.routing = routing_facts(case.routing_explanation)
    page.panels = [Markup(panel(case, user, submitted)) for panel in _panels]  # each renders its own template
    return page


FORWARD_ACTIONS = ("accept", "acknowledge", "investigate", "respond", "close")


def _mark_primary(options: list[TransitionOption]) -> None:
    """The usual way forward is the prominent button; reject, refer and withdraw stay secondary."""
    forward = [option for option in options if option.transition.action in FORWARD_ACTIONS]
    if forward:
        forward[-1].primary = True


def next_step(case: Case, user: User, page: CasePage) -> str:
    """One sentence: what should happen next, and whether it is this user's to do."""
    body = case.body.local_name if case.body else None
    if case.status in (S.CLOSED, S.REJECTED, S.REFERRED, S.WITHDRAWN):
        return gettext("This case is %(status)s. Nothing more is due unless it is reopened.",
                       status=gettext(STATUS_LABELS[case.status]).lower())
    step = _step(case, user, page, body)
    if page.deadline and page.deadline.waiting:  # the work goes on while the clock stands still
        return " ".join((gettext("Waiting for the complainant to reply: the deadline clock is stopped until they "
                                 "do."), step))
    return step


def _step(case: Case, user: User, page: CasePage, body: str | None) -> str:
    if body is None:
        return (gettext("Choose the oversight body that can act on this complaint.") if "route" in page.forms
                else gettext("Waiting in the triage queue for a triage officer to route it."))
    step = gettext(NEXT_STEPS[case.status]) if case.status in NEXT_STEPS else ""
    if case.status is S.INVESTIGATING and not (case.outcome and case.findings):
        step = gettext("Record the outcome and findings, then send the response: its button appears once they are "
                       "saved.")
    if user.role is not Role.INVESTIGATOR:
        lowered = step[:1].lower() + step[1:]
        return gettext("With %(body)s: %(step)s That is for the body's investigators.", body=body, step=lowered)
    return step


NEXT_STEPS = {
    S.RECEIVED: N_("Acknowledge the complaint so the complainant knows it has been received."),
    S.TRIAGED: N_("Acknowledge the complaint so the complainant knows it has been received."),
    S.ACKNOWLEDGED: N_("Start the investigation."),
    S.INVESTIGATING: N_("Send the response to the complainant."),
    S.REOPENED: N_("The complainant appealed: investigate again."),
    S.RESPONDED: N_("Close the case, or reopen it if the complainant appeals."),
}
