"""The case page's allegations and the subjects the case names: sections of the page and the routes that change
them.

Routes of the cases blueprint (the case page's URLs stay together, /staff/cases/<id>/...), as routing's are
(routing/case_views.py); imported before the blueprints are registered (civicwatch/__init__.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from civicwatch.accounts.models import User
from civicwatch.accounts.permissions import staff_required
from civicwatch.cases.models import Case, Outcome, ShareStatus
from civicwatch.cases.pages import add_case_panel
from civicwatch.cases.permissions import can_open, may
from civicwatch.cases.views import blueprint, chosen, perform
from civicwatch.database import utcnow
from civicwatch.errors import NotFoundError
from civicwatch.extensions import db
from civicwatch.forms import Form
from civicwatch.i18n import N_
from civicwatch.patterns import operations, sharing
from civicwatch.patterns.forms import (
    AllegationForm,
    DecideLinkForm,
    LinkSubjectForm,
    fill_allegation_choices,
    subject_label,
)
from civicwatch.patterns.models import Allegation, CaseRelation, Subject
from civicwatch.patterns.operations import AllegationFields
from civicwatch.patterns.permissions import may_ask_to_share
from civicwatch.patterns.queries import (
    allegation_of,
    allegations_of,
    moved_since,
    named_subjects,
    register_of_case,
    relation_of,
    relations_of,
    subject_link_of,
    subject_links_of,
)
from civicwatch.routing.operations import after_routing
from civicwatch.taxonomy.models import Actor, District, Region, Theme

NEW = "allegation:new"
LINK = "subject:link"


def _prefix(allegation_id: int | None) -> str:
    return f"allegation-{allegation_id}" if allegation_id else "allegation-new"


def _allegation_form(case: Case, allegation: Allegation | None, submitted: Form | None,
                     subjects: list[Subject]) -> Form:
    if submitted is not None:
        form = submitted
    else:
        data = {} if allegation is None else {
            "theme": str(allegation.theme_id or ""), "victim": allegation.victim or "",
            "actor": str(allegation.actor_id or ""), "subject": str(allegation.subject_id or ""),
            "region": str(allegation.region_id or ""), "district": str(allegation.district_id or ""),
            "location_text": allegation.location_text or "",
            "incident_date": None if allegation.incident_date_assumed else allegation.incident_date,
            "finding": allegation.finding.value if allegation.finding else "", "remedy": allegation.remedy or ""}
        form = AllegationForm(prefix=_prefix(allegation.id if allegation else None), formdata=None, data=data)
        fill_allegation_choices(form, subjects)
    form.version.data = str(case.version)
    return form


def _versioned(form: Form, case: Case) -> Form:
    form.version.data = str(case.version)
    return form


def allegations_panel(case: Case, user: User, submitted: dict[str, Form]) -> str:
    allegations = allegations_of(case)
    forms: dict[int, Form] = {}
    new_form = None
    if may(user, "allegation", case):
        subjects = register_of_case(case, user)
        forms = {a.id: _allegation_form(case, a, submitted.get(f"allegation:{a.id}"), subjects) for a in allegations}
        new_form = _allegation_form(case, None, submitted.get(NEW), subjects)
    return render_template("patterns/_case_allegations.html", case=case, allegations=allegations, forms=forms,
                           new_form=new_form, subject_label=subject_label,
                           named=named_subjects(allegations, user))


def subjects_panel(case: Case, user: User, submitted: dict[str, Form]) -> str:
    links = subject_links_of(case, user)
    decide_form = link_form = None
    if may(user, "allegation", case):
        decide_form = _versioned(DecideLinkForm(prefix="decide", formdata=None), case)
        subjects = register_of_case(case, user)
        if subjects:
            link_form = submitted.get(LINK) or LinkSubjectForm(prefix="link", formdata=None)
            _fill_link_choices(link_form, subjects)
            _versioned(link_form, case)
    return render_template("patterns/_case_subjects.html", case=case, links=links, decide_form=decide_form,
                           link_form=link_form, subject_label=subject_label)


def _fill_link_choices(form: Form, subjects: list[Subject]) -> None:
    form.subject.choices = [("", gettext("Choose a subject"))] + [(str(s.id), subject_label(s)) for s in subjects]


# The states of links, relations and shares, and why a case looks related, as the case page names them (the
# codes stay in the data).
STATE_WORDS = {
    "proposed": N_("proposed"), "confirmed": N_("confirmed"), "rejected": N_("rejected"), "linked": N_("linked"),
    "dismissed": N_("dismissed"), "pending": N_("pending"), "approved": N_("approved"), "expired": N_("expired"),
    "refused": N_("refused"), "revoked": N_("revoked"),
}
REASON_WORDS = {"same_place": N_("same place"), "same_subject": N_("same subject"), "same_theme": N_("same theme"),
                "same_day": N_("same day")}


@blueprint.app_template_filter("pattern_state")
def pattern_state(code: str) -> str:
    return gettext(STATE_WORDS[code]) if code in STATE_WORDS else code.replace("_", " ")


@blueprint.app_template_filter("relation_reasons")
def relation_reasons(reasons: list[str]) -> str:
    """["text 0.83", "same_place"] in words: the text similarity, then the facts the cases share."""
    words = []
    for reason in reasons:
        if reason.startswith("text "):
            words.append(gettext("text %(score)s", score=reason.removeprefix("text ")))
        else:
            words.append(gettext(REASON_WORDS[reason]) if reason in REASON_WORDS else reason.replace("_", " "))
    return ", ".join(words)


@dataclass(frozen=True)
class RelatedView:
    """One related case as this user may see it: the other case itself, or only the body that holds it."""

    relation: CaseRelation
    other: Case | None  # None: the user may not open it
    holder: str  # where the other case is
    share: str | None  # for a case the user may not open: the state of their body's latest request to share it
    shared_id: int | None  # the other case's id while it is shared with the user's body (the restricted view)
    may_ask: bool
    asked_of_us: bool = False  # the other case's body waits for this body to decide whether to share this case


def _related_view(case: Case, user: User, relation: CaseRelation, now: dt.datetime) -> RelatedView:
    other_id = relation.related_case_id if relation.case_id == case.id else relation.case_id
    other = db.session.get(Case, other_id) if can_open(user, other_id) else None
    holder_case = other or db.session.get(Case, other_id)
    holder = _holder(holder_case, other is None and moved_since(other_id, relation.created_at))
    if other is not None or holder_case is None:
        return RelatedView(relation, other, holder, None, None, False)
    asking_body = holder_case.body_id
    asked_of_us = any(share.status is ShareStatus.PENDING for share in sharing.shares_asked(asking_body, case.id))
    asked = sharing.shares_asked(user.body_id, other_id)
    state = asked[0].state_at(now) if asked else None
    shared_id = other_id if sharing.may_read_shared(user, other_id) else None
    may_ask = may_ask_to_share(user, case, holder_case) and state not in ("pending", "approved")
    return RelatedView(relation, None, holder, state, shared_id, may_ask, asked_of_us)


def _holder(case: Case | None, moved: bool) -> str:
    """Where the related case is. Not named once it has moved since the relation was proposed to a user who can no
    longer open it: a case sent on, or appealed to another body, would tell its first body where it went."""
    if moved:
        return gettext("another body")
    return case.body.local_name if case is not None and case.body else gettext("the triage queue")


def related_panel(case: Case, user: User, submitted: dict[str, Form]) -> str:
    now = utcnow()
    views = [_related_view(case, user, relation, now) for relation in relations_of(case, user)]
    form = _versioned(DecideLinkForm(prefix="relation", formdata=None), case) if may(user, "relate", case) else None
    return render_template("patterns/_case_related.html", case=case, related=views, form=form)


add_case_panel(allegations_panel)
add_case_panel(subjects_panel)
add_case_panel(related_panel)
after_routing(operations.follow_new_case)


def _fields(form: AllegationForm) -> AllegationFields:
    finding = form.finding.data if form.finding.data in {o.value for o in Outcome} else None
    return AllegationFields(
        theme=chosen(Theme, form.theme.data), victim=form.victim.data, actor=chosen(Actor, form.actor.data),
        subject=chosen(Subject, form.subject.data), region=chosen(Region, form.region.data),
        district=chosen(District, form.district.data), location_text=form.location_text.data,
        incident_date=form.incident_date.data, finding=Outcome(finding) if finding else None,
        remedy=form.remedy.data)


def _case_register(case_id: int) -> list[Subject]:
    case = db.session.get(Case, case_id)
    return register_of_case(case, current_user) if case is not None else []


@blueprint.post("/cases/<int:case_id>/allegations")
@staff_required
def add_allegation(case_id: int) -> ResponseReturnValue:
    form = AllegationForm(prefix=_prefix(None))
    fill_allegation_choices(form, _case_register(case_id))

    def act(case: Case) -> str:
        operations.add_allegation(case, current_user, _fields(form))
        return gettext("Allegation added.")

    return perform(case_id, NEW, form, act)


@blueprint.post("/cases/<int:case_id>/allegations/<int:allegation_id>")
@staff_required
def update_allegation(case_id: int, allegation_id: int) -> ResponseReturnValue:
    form = AllegationForm(prefix=_prefix(allegation_id))
    fill_allegation_choices(form, _case_register(case_id))

    def act(case: Case) -> str:
        allegation = allegation_of(case, allegation_id)
        if allegation is None:
            raise NotFoundError(gettext("There is no such allegation on this case."))
        operations.update_allegation(case, current_user, allegation, _fields(form))
        return gettext("Allegation saved.")

    return perform(case_id, f"allegation:{allegation_id}", form, act)


@blueprint.post("/cases/<int:case_id>/subjects")
@staff_required
def link_subject(case_id: int) -> ResponseReturnValue:
    form = LinkSubjectForm(prefix="link")
    _fill_link_choices(form, _case_register(case_id))

    def act(case: Case) -> str:
        operations.link_subject(case, current_user, chosen(Subject, form.subject.data))
        return gettext("Subject linked to the case.")

    return perform(case_id, LINK, form, act)


@blueprint.post("/cases/<int:case_id>/subjects/<int:link_id>/<decision>")
@staff_required
def decide_subject_link(case_id: int, link_id: int, decision: str) -> ResponseReturnValue:
    if decision not in ("confirm", "reject"):
        abort(404)
    form = DecideLinkForm(prefix="decide")

    def act(case: Case) -> str:
        link = subject_link_of(case, current_user, link_id)
        if link is None:
            raise NotFoundError(gettext("There is no such subject on this case."))
        operations.decide_subject_link(case, current_user, link, decision == "confirm")
        return gettext("Subject confirmed.") if decision == "confirm" else gettext("Subject rejected.")

    return perform(case_id, f"subject:{link_id}", form, act)


RELATION_ACTIONS = ("link", "dismiss", "request-share")


@blueprint.post("/cases/<int:case_id>/related/<int:relation_id>/<action>")
@staff_required
def decide_relation(case_id: int, relation_id: int, action: str) -> ResponseReturnValue:
    if action not in RELATION_ACTIONS:
        abort(404)
    form = DecideLinkForm(prefix="relation")

    def act(case: Case) -> str:
        relation = relation_of(case, current_user, relation_id)
        if relation is None:
            raise NotFoundError(gettext("There is no such related case on this case."))
        if action == "request-share":
            sharing.request_share(case, current_user, relation)
            return gettext("The body that holds the related case is asked to share it.")
        operations.decide_relation(case, current_user, relation, action == "link")
        return gettext("The cases are linked.") if action == "link" else gettext("The suggestion is dismissed.")

    return perform(case_id, f"relation:{relation_id}", form, act)
