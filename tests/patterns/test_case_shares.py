"""Sharing a related case with the body that asked: the holding body decides, for a limited time, and the asking
body reads only a restricted view (never the complainant's words, identity, contact or files), through the same
visibility queries as every case page. Each attack is tried in every state of the request."""
from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseShare, CaseStatus, Recusal, ShareStatus
from civicwatch.extensions import db
from civicwatch.patterns.models import CaseRelation
from civicwatch.patterns.operations import propose_related_cases
from civicwatch.routing.operations import route_case
from civicwatch.taxonomy.models import Body, District
from tests.cases.conftest import post_case_form
from tests.conftest import audit_count, csrf_token, csrf_token_from, forms_posting_to
from tests.disclosure.conftest import add_user
from tests.factories import staff_client

# Every case signs several staff in: argon2 at its lowest cost (what is tested here is not the password).

PHONE = "+23276555999"
OLD_TEXT = ("Soldiers at the Tongo Field checkpoint beat the bus driver with rifle butts and took his money. "
            "Witness Zorblax Quennet saw it.")
NEW_TEXT = "At the Tongo Field checkpoint soldiers beat our bus driver with rifle butts and took money from him."
REASON = "Both bodies investigate the same checkpoint beating."
SECRETS = ("Zorblax", "rifle butts", "76555999")


class Browsers(dict):
    """A signed-in browser per role, signed in when first used (and again after the clock jumped a week)."""

    def __init__(self, app, users: dict[str, User]) -> None:
        super().__init__()
        self.app, self.users = app, users

    def __missing__(self, role: str) -> FlaskClient:
        self[role] = staff_client(self.app, self.users[role])
        return self[role]


@dataclass
class Setting:
    old: Case  # at the human rights commission: the case asked for
    new: Case  # at the police oversight authority: the asking body's case
    relation: CaseRelation
    users: dict[str, User]
    browsers: Browsers


ROLES = ("admin", "triage", "auditor", "asker", "asker_colleague", "owner", "third_body")


@pytest.fixture
def setting(app, make_case, clock) -> Setting:
    kenema = db.session.query(District).filter_by(code="kenema").one()
    old = make_case(CaseStatus.INVESTIGATING, body="human_rights_commission", text=OLD_TEXT, district=kenema,
                    created_at=clock.now - dt.timedelta(days=3), contact={"phone": PHONE})
    new = make_case(CaseStatus.RECEIVED, body="police_oversight", text=NEW_TEXT, district=kenema,
                    created_at=clock.now)
    [relation] = propose_related_cases(new)
    users = {"admin": add_user("admin", Role.ADMIN), "triage": add_user("triage", Role.TRIAGE),
             "auditor": add_user("auditor", Role.AUDITOR),
             "asker": add_user("asker", Role.INVESTIGATOR, "police_oversight"),
             "asker_colleague": add_user("colleague", Role.INVESTIGATOR, "police_oversight"),
             "owner": add_user("owner", Role.INVESTIGATOR, "human_rights_commission"),
             "third_body": add_user("third", Role.INVESTIGATOR, "anti_corruption_commission")}
    db.session.commit()
    return Setting(old, new, relation, users, Browsers(app, users))


def post(browser: FlaskClient, path: str, **data: object):
    return browser.post(path, data={"csrf_token": csrf_token(browser, "/staff/"), **data})


def ask(s: Setting):
    db.session.expire_all()
    return post_case_form(s.browsers["asker"], s.new.id, f"related/{s.relation.id}/request-share", "relation")


def the_share(s: Setting) -> CaseShare:
    return db.session.scalar(select(CaseShare).where(CaseShare.case_id == s.old.id).order_by(CaseShare.id.desc()))


def decide(s: Setting, decision: str, role: str = "owner", **data: object):
    if decision == "revoke":  # sent from its confirmation page
        data = {"confirmed": "yes", **data}
    return post(s.browsers[role], f"/staff/patterns/shares/{the_share(s).id}/{decision}", **data)


def put_in_state(s: Setting, state: str, clock) -> None:
    if state == "none":
        return
    assert ask(s).status_code == 302
    if state in ("approved", "expired", "revoked", "moved", "asker_moved"):
        assert decide(s, "approve", days=7, reason=REASON).status_code == 302
    if state == "refused":
        assert decide(s, "refuse", reason="Not the same incident at all.").status_code == 302
    if state == "revoked":
        assert decide(s, "revoke", reason="Our investigation is closed to others now.").status_code == 302
    if state == "expired":
        clock.advance(days=7)
        s.browsers.clear()  # signed out by the week's wait
    if state == "moved":  # the holding body sends the case on: its grant does not follow it
        elsewhere = db.session.scalar(select(Body).where(Body.code == "defence_committee"))
        route_case(db.session.get(Case, s.old.id), s.users["admin"], elsewhere, "It concerns soldiers, not rights.")
        db.session.commit()
    if state == "asker_moved":  # the asking body sends its own case on: the grant served that case's investigation
        elsewhere = db.session.scalar(select(Body).where(Body.code == "anti_corruption_commission"))
        route_case(db.session.get(Case, s.new.id), s.users["admin"], elsewhere, "It is about the bribe, not the beating.")
        db.session.commit()


STATES = ("none", "pending", "approved", "expired", "refused", "revoked", "moved", "asker_moved")


@pytest.mark.parametrize("state", STATES)
def test_only_the_asking_body_reads_the_restricted_view_and_only_while_the_grant_runs(setting, clock, state):
    s = setting
    put_in_state(s, state, clock)
    for role in ROLES:
        browser = s.browsers[role]
        shared = browser.get(f"/staff/patterns/shared/cases/{s.old.id}")
        readable = state == "approved" and role in ("asker", "asker_colleague")
        assert shared.status_code == (200 if readable else 404), (state, role)
        html = shared.get_data(as_text=True)
        assert not any(secret in html for secret in SECRETS), (state, role)
        if readable:
            assert s.old.reference in html and "Shared with your body until" in html
            assert "<dd>Investigating</dd>" in html  # the status as a reader says it, not its stored code
        # The restricted view never opens the case itself to the asking body.
        if role in ("asker", "asker_colleague", "third_body"):
            assert browser.get(f"/staff/cases/{s.old.id}").status_code == 404, (state, role)
            assert browser.get(f"/staff/cases/{s.old.id}/identity").status_code == 404, (state, role)


def test_guessing_ids_reads_nothing_else_of_the_holding_body(setting, make_case, clock):
    s = setting
    put_in_state(s, "approved", clock)
    unshared = make_case(CaseStatus.INVESTIGATING, body="human_rights_commission", text=OLD_TEXT)
    asker = s.browsers["asker"]
    for case_id in (unshared.id, s.new.id, unshared.id + 1000):
        assert asker.get(f"/staff/patterns/shared/cases/{case_id}").status_code == 404, case_id
    # Guessing a share id: the asking and third bodies cannot decide or revoke it, nor learn it exists.
    for role in ("asker", "asker_colleague", "third_body"):
        for decision in ("approve", "refuse", "revoke"):
            assert decide(s, decision, role, days=90, reason=REASON).status_code == 404, (role, decision)
    for role in ("admin", "triage", "auditor"):
        assert decide(s, "revoke", role, reason=REASON).status_code == 403, role
    assert the_share(s).status is ShareStatus.APPROVED


def test_the_holding_body_decides_with_a_reason_and_a_limit(setting, app, clock):
    s = setting
    page = s.browsers["owner"].get("/staff/patterns/shares").get_data(as_text=True)
    assert s.old.reference not in page  # nothing asked yet
    assert ask(s).status_code == 302
    assert ask(s).status_code == 409  # asked already
    page = s.browsers["owner"].get("/staff/patterns/shares").get_data(as_text=True)
    assert s.old.reference in page and "pending" in page
    assert s.browsers["third_body"].get("/staff/patterns/shares").get_data(as_text=True).count(s.old.reference) == 0
    assert decide(s, "approve", days=7, reason="").status_code == 400  # a reason is required
    too_long = app.config["SHARE_MAX_DAYS"] + 1
    assert decide(s, "approve", days=too_long, reason=REASON).status_code == 400
    assert decide(s, "approve", days=7, reason=REASON).status_code == 302
    assert decide(s, "refuse", reason=REASON).status_code == 409  # decided already
    share = the_share(s)
    assert share.status is ShareStatus.APPROVED and share.expires_at == clock.now + dt.timedelta(days=7)
    related = s.browsers["asker"].get(f"/staff/cases/{s.new.id}").get_data(as_text=True)
    assert f"/staff/patterns/shared/cases/{s.old.id}" in related


def test_every_step_is_audited_with_reasons_only_as_fingerprints(setting, clock):
    s = setting
    put_in_state(s, "revoked", clock)
    assert ask(s).status_code == 302  # asked again after the revocation
    assert decide(s, "approve", days=3, reason=REASON).status_code == 302
    assert s.browsers["asker"].get(f"/staff/patterns/shared/cases/{s.old.id}").status_code == 200
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("case_share.%"))
                                      .order_by(AuditEntry.seq)))
    assert [e.action for e in entries] == ["case_share.request", "case_share.approve", "case_share.revoke",
                                           "case_share.request", "case_share.approve", "case_share.view"]
    assert all(e.case_id == s.old.id for e in entries)
    assert {e.user_id for e in entries if e.action in ("case_share.approve", "case_share.revoke")} == {
        s.users["owner"].id}
    for entry in entries:
        assert REASON not in f"{entry.before} {entry.after}"
    approve = entries[1].after
    assert approve["reason"]["length"] == len(REASON) and approve["days"] == 7


def test_recused_staff_neither_decide_a_share_of_their_case_nor_read_under_a_grant_made_for_it(setting, clock):
    """The holding body's investigator recused from the case asked for does not see or decide the request; the
    asking body's investigator recused from the asking case does not read the related case shared for it (the grant
    serves that case's investigation, the one they stepped away from). Their colleagues still do."""
    s = setting
    put_in_state(s, "pending", clock)
    db.session.add_all([Recusal(case_id=s.old.id, user_id=s.users["owner"].id, reason="My cousin was beaten."),
                        Recusal(case_id=s.new.id, user_id=s.users["asker_colleague"].id, reason="My cousin drove.")])
    db.session.commit()
    assert s.old.reference not in s.browsers["owner"].get("/staff/patterns/shares").get_data(as_text=True)
    assert decide(s, "approve", days=7, reason=REASON).status_code == 404
    assert the_share(s).status is ShareStatus.PENDING
    colleague = add_user("owner.colleague", Role.INVESTIGATOR, "human_rights_commission")
    db.session.commit()
    owner_colleague = staff_client(s.browsers.app, colleague)
    assert post(owner_colleague, f"/staff/patterns/shares/{the_share(s).id}/approve", days=7,
                reason=REASON).status_code == 302

    recused = s.browsers["asker_colleague"].get(f"/staff/patterns/shared/cases/{s.old.id}")
    assert recused.status_code == 404 and s.old.reference not in recused.get_data(as_text=True)
    assert s.browsers["asker"].get(f"/staff/patterns/shared/cases/{s.old.id}").status_code == 200


def test_a_body_that_was_refused_waits_before_asking_again(setting, clock):
    """A refusal is an answer: asking again straight away would press the holding body with the same request;
    after SHARE_ASK_AGAIN_DAYS (7) a new request may bring new reasons. (A revoked grant may be asked for again:
    the holding body had agreed once.)"""
    s = setting
    put_in_state(s, "refused", clock)
    again = ask(s)
    assert again.status_code == 409
    assert "ask again" in again.get_data(as_text=True)
    assert db.session.query(CaseShare).filter_by(case_id=s.old.id).count() == 1

    clock.advance(days=7, minutes=1)
    s.browsers.clear()  # signed out by the week's wait
    assert ask(s).status_code == 302
    assert the_share(s).status is ShareStatus.PENDING




def test_revoking_a_share_asks_once_more_on_a_page_with_the_reason_box(setting, clock):
    s = setting
    put_in_state(s, "approved", clock)
    share_id = the_share(s).id
    action = f"/staff/patterns/shares/{share_id}/revoke"
    owner = s.browsers["owner"]
    listing = owner.get("/staff/patterns/shares").get_data(as_text=True)
    assert forms_posting_to(listing, action) == [], "one press of the row's button revokes the share"
    assert f'href="{action}"' in listing
    before = audit_count()
    response = owner.get(action)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert s.old.reference in page and s.new.body.local_name in page and "cannot be undone" in page
    assert len(forms_posting_to(page, action)) == 1 and '<input type="hidden" name="confirmed" value="yes">' in page
    assert re.search(r'<textarea[^>]*name="reason"', page)
    assert re.search(r'<a [^>]*href="/staff/patterns/shares"[^>]*>Cancel</a>', page)
    assert the_share(s).status is ShareStatus.APPROVED and audit_count() == before
    refused = owner.post(action, data={"csrf_token": csrf_token_from(page), "reason": REASON})
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    assert "Nothing was done" in page and REASON in page
    db.session.expire_all()
    assert the_share(s).status is ShareStatus.APPROVED and audit_count() == before
    # A reason too short is refused on the same page, the text given back.
    short = owner.post(action, data={"csrf_token": csrf_token_from(page), "confirmed": "yes", "reason": "Done."})
    assert short.status_code == 400 and "Done." in short.get_data(as_text=True)
    db.session.expire_all()
    assert the_share(s).status is ShareStatus.APPROVED
    confirmed = owner.post(action, data={"csrf_token": csrf_token_from(page), "confirmed": "yes", "reason": REASON})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert the_share(s).status is ShareStatus.REVOKED


def test_whoever_may_not_revoke_a_share_learns_nothing_from_its_confirmation_page(setting, clock):
    s = setting
    put_in_state(s, "approved", clock)
    action = f"/staff/patterns/shares/{the_share(s).id}/revoke"
    for role, status in (("asker", 404), ("asker_colleague", 404), ("third_body", 404), ("admin", 403),
                         ("triage", 403), ("auditor", 403)):
        response = s.browsers[role].get(action)
        assert response.status_code == status, role
        assert s.old.reference not in response.get_data(as_text=True), role
    assert s.browsers["owner"].get(action).status_code == 200
    db.session.expire_all()
    assert the_share(s).status is ShareStatus.APPROVED


def test_the_holding_bodys_decisions_are_confirmed_in_the_language_the_investigator_chose(setting, clock):
    s = setting
    owner = s.browsers["owner"]
    owner.get("/language/fr")
    assert ask(s).status_code == 302
    approved = decide(s, "approve", days=7, reason=REASON)
    assert approved.status_code == 302
    assert "Partagé." in html.unescape(owner.get("/staff/patterns/shares").get_data(as_text=True))
    revoked = decide(s, "revoke", reason="Our investigation is closed to others now.")
    assert revoked.status_code == 302
    page = html.unescape(owner.get("/staff/patterns/shares").get_data(as_text=True))
    assert "Partage révoqué." in page and "Share revoked." not in page
