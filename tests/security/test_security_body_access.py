"""Per-body access, attacked from inside: a hostile investigator with a real account at one body, guessing
the ids and references of another body's cases; a recused officer; an auditor trying to change things;
an account that was deactivated while its session was still open.

Every case URL in the URL map is tried (found from the map, so a new route cannot be forgotten). A case
outside the user's reach must look exactly like a case that does not exist (404), and the attempt must
change nothing in the database.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Attachment, Case, CaseStatus, Recommendation, RemedyStatus
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.conftest import csrf_token
from tests.factories import png_bytes, staff_client
from tests.security.conftest import build_path, page_token, place_case, rules_with, send_report, snapshot

HOME_BODY = "police_oversight"
OTHER_BODY = "defence_committee"
MISSING_ID = 987_654
CASE_ARGS = ("case_id",)


def hostile_form(case: Case, token: str, attacker: User, recommendation_id: int) -> dict[str, str]:
    """Every case form filled in validly, so that only access control can stop it."""
    home = db.session.scalar(select(Body.id).where(Body.code == HOME_BODY))
    prefixes = ["route", "correct", "assign", "recuse", "note", "message", "clock", "findings", "recommend",
                "draft", f"remedy-{recommendation_id}"] + [f"to-{status.value}" for status in CaseStatus]
    data = {"csrf_token": token}
    for prefix in prefixes:
        data[f"{prefix}-csrf_token"] = token
        data[f"{prefix}-version"] = str(case.version)
    data.update({
        "route-body": str(home), "route-reason": "Ours now.", "assign-assignee": str(attacker.id),
        "recuse-reason": "Conflict.", "note-text": "Hostile note.", "message-text": "Where do you live now?",
        "message-wait_for_reply": "y", "findings-outcome": "unfounded", "findings-findings": "Nothing happened.",
        "recommend-text": "Do nothing.", "draft-text": "Complaint unfounded.",
        f"remedy-{recommendation_id}-status": RemedyStatus.IMPLEMENTED.value,
    })
    for status in CaseStatus:
        data[f"to-{status.value}-reason"] = "Closing it."
        data[f"to-{status.value}-response"] = "Your complaint is unfounded."
    return data


@pytest.fixture
def scene(app, make_user):
    """A case of another body, under investigation, with a file and a recommendation; and the cast."""
    owner = make_user(Role.INVESTIGATOR, body=OTHER_BODY, name="Owner")
    attacker = make_user(Role.INVESTIGATOR, body=HOME_BODY, name="Attacker")
    own = send_report(app, "own-case")
    place_case(own.case_id, HOME_BODY, CaseStatus.INVESTIGATING)
    target = send_report(app, "target-case", files=[(png_bytes(), "bruises.png")])
    place_case(target.case_id, OTHER_BODY, CaseStatus.INVESTIGATING)
    owner_client = staff_client(app, owner)
    response = owner_client.post(f"/staff/cases/{target.case_id}/recommendations", data={
        "recommend-csrf_token": page_token(owner_client), "recommend-version":
            str(db.session.get(Case, target.case_id).version), "recommend-text": "Discipline the unit."})
    assert response.status_code == 302
    recommendation = db.session.scalar(select(Recommendation).where(Recommendation.case_id == target.case_id))
    attachment = db.session.scalar(select(Attachment).where(Attachment.case_id == target.case_id))
    return {"owner": owner, "attacker": attacker, "own": own, "target": target,
            "recommendation_id": recommendation.id, "attachment_id": attachment.id}


def case_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "case_id" in rule.arguments]


def test_every_case_url_exists_in_the_map(app):
    endpoints = {rule.endpoint for rule in case_rules(app)}
    # The attack below covers every one of these; the list grows as routes are added.
    assert {"cases.detail", "cases.attachment", "cases.change_status", "cases.route", "cases.assign",
            "cases.add_note", "cases.message", "cases.findings", "cases.remedy"} <= endpoints


def _attack_every_case_url(app, client, attacker, case_id, values, token):
    """(rule, method, status) for every case URL, GET and POST, aimed at `case_id`."""
    case = db.session.get(Case, case_id) or db.session.get(Case, values["fallback_case_id"])
    form = hostile_form(case, token, attacker, values["recommendation_id"])
    results = []
    for rule in case_rules(app):
        targets = ["received", "investigating", "responded", "closed", "rejected"] \
            if "target" in rule.arguments else [None]
        for target in targets:
            path = build_path(rule, {**values, "case_id": case_id, "target": target})
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = form if method == "POST" else None
                response = client.open(path, method=method, data=data)
                results.append((rule.rule, path, method, response.status_code, response.get_data(as_text=True)))
    return results


def test_investigator_of_another_body_gets_not_found_on_every_case_url(app, scene):
    attacker, target = scene["attacker"], scene["target"]
    client = staff_client(app, attacker)
    token = page_token(client)
    values = {"attachment_id": scene["attachment_id"], "recommendation_id": scene["recommendation_id"],
              "fallback_case_id": target.case_id}
    before = snapshot(exclude=("audit_entries",))
    last_seq = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))

    results = _attack_every_case_url(app, client, attacker, target.case_id, values, token)

    assert results
    for rule, path, method, status, body in results:
        # Role-gated pages (the audit trail) refuse investigators whatever the case: 403 there.
        assert status == (403 if rule.startswith("/staff/audit") else 404), (method, path, status)
        assert target.reference not in body, (method, path)
        assert "target-case" not in body, (method, path)
    assert snapshot(exclude=("audit_entries",)) == before
    new_entries = db.session.scalars(select(AuditEntry).where(AuditEntry.seq > last_seq)).all()
    assert all(entry.case_id != target.case_id for entry in new_entries)


def test_another_bodys_case_looks_exactly_like_a_missing_case(app, scene):
    """Same status and same page for a real foreign id and an id that does not exist: no oracle."""
    client = staff_client(app, scene["attacker"])
    token = page_token(client)
    values = {"attachment_id": scene["attachment_id"], "recommendation_id": scene["recommendation_id"],
              "fallback_case_id": scene["target"].case_id}
    real = _attack_every_case_url(app, client, scene["attacker"], scene["target"].case_id, values, token)
    missing = _attack_every_case_url(app, client, scene["attacker"], MISSING_ID, values, token)
    assert [(m, s) for _, _, m, s, _ in real] == [(m, s) for _, _, m, s, _ in missing]
    for (_, _, _, _, real_body), (_, _, _, _, missing_body) in zip(real, missing, strict=False):
        assert neutral(real_body, scene["target"].case_id) == neutral(missing_body, MISSING_ID)


def neutral(body: str, case_id: int) -> str:
    """The page without its CSRF tokens and with the case id in paths replaced."""
    body = re.sub(r'value="[A-Za-z0-9._-]{40,}"', 'value="TOKEN"', body)
    return re.sub(rf"/(cases?)/{case_id}(?!\d)", r"/\1/ID", body)


def test_the_owner_can_do_what_the_attacker_could_not(app, scene):
    """Control: the same requests work for the body's own investigator, so the 404s above are access control."""
    owner_client = staff_client(app, scene["owner"])
    target = scene["target"]
    assert owner_client.get(f"/staff/cases/{target.case_id}").status_code == 200
    download = owner_client.get(f"/staff/cases/{target.case_id}/attachments/{scene['attachment_id']}")
    download.close()
    assert download.status_code == 200
    token = page_token(owner_client)
    case = db.session.get(Case, target.case_id)
    response = owner_client.post(f"/staff/cases/{target.case_id}/notes", data={
        "note-csrf_token": token, "note-version": str(case.version), "note-text": "Owner's note."})
    assert response.status_code == 302


def test_files_and_recommendations_of_another_case_cannot_be_reached_through_ones_own_case(app, scene):
    """IDOR: the attacker's own case id in the URL, the other body's file or recommendation id after it."""
    client = staff_client(app, scene["attacker"])
    own = scene["own"]
    before = snapshot(exclude=("audit_entries",))
    response = client.get(f"/staff/cases/{own.case_id}/attachments/{scene['attachment_id']}")
    assert response.status_code == 404
    assert not response.headers.get("Content-Disposition")
    case = db.session.get(Case, own.case_id)
    prefix = f"remedy-{scene['recommendation_id']}"
    response = client.post(f"/staff/cases/{own.case_id}/recommendations/{scene['recommendation_id']}", data={
        f"{prefix}-csrf_token": page_token(client), f"{prefix}-version": str(case.version),
        f"{prefix}-status": RemedyStatus.IMPLEMENTED.value})
    assert response.status_code == 404
    assert snapshot(exclude=("audit_entries",)) == before


def test_guessing_ids_finds_nothing_of_another_body(app, scene):
    """Walk ids 1..N: the attacker opens exactly their own body's cases."""
    client = staff_client(app, scene["attacker"])
    opened = set()
    for case_id in range(1, 12):
        if client.get(f"/staff/cases/{case_id}").status_code == 200:
            opened.add(case_id)
    assert opened == {scene["own"].case_id}


def test_queues_search_and_dashboard_never_show_another_bodys_case(app, scene):
    client = staff_client(app, scene["attacker"])
    target = scene["target"]
    other = db.session.scalar(select(Body.code).where(Body.code == OTHER_BODY))
    pages = ["/staff/", f"/staff/?body={other}", "/staff/cases?q=target", f"/staff/cases?q={target.reference}",
             f"/staff/cases?body={other}", "/staff/cases?q=Makeni"]
    for queue in ("mine", "all", "triage", "overdue", "open", "closed"):
        pages.append(f"/staff/cases?queue={queue}")
    seen_own = False
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        body = response.get_data(as_text=True)
        assert f"/staff/cases/{target.case_id}\"" not in body, path
        assert "target-case" not in body, path
        seen_own = seen_own or f"/staff/cases/{scene['own'].case_id}\"" in body
    assert seen_own, "the attacker's own case should be listed somewhere (control)"


def test_investigators_cannot_read_the_audit_trail_of_any_case(app, scene):
    client = staff_client(app, scene["attacker"])
    target = scene["target"]
    paths = [f"/staff/audit/cases/{target.case_id}", f"/staff/audit/?reference={target.reference}",
             "/staff/audit/", f"/staff/audit/users/{scene['owner'].id}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert target.reference not in response.get_data(as_text=True)
    real = client.get(f"/staff/audit/cases/{target.case_id}").status_code
    assert real == client.get(f"/staff/audit/cases/{MISSING_ID}").status_code


def test_a_recused_user_loses_the_case_everywhere(app, make_user):
    triage = make_user(Role.TRIAGE)
    reported = send_report(app, "recusal")
    client = staff_client(app, triage)
    case = db.session.get(Case, reported.case_id)
    response = client.post(f"/staff/cases/{case.id}/recuse", data={
        "recuse-csrf_token": page_token(client), "recuse-version": str(case.version),
        "recuse-reason": "The officer named is my brother."})
    assert response.status_code == 302
    token = page_token(client)
    before = snapshot(exclude=("audit_entries",))
    values = {"fallback_case_id": case.id, "recommendation_id": 1, "attachment_id": 1}
    for rule, path, method, status, _body in _attack_every_case_url(app, client, triage, case.id, values, token):
        assert status == (403 if rule.startswith("/staff/audit") else 404), (method, path, status)
    link = f'/staff/cases/{case.id}"'
    assert link not in client.get(f"/staff/cases?q={reported.reference}").get_data(as_text=True)
    assert link not in client.get("/staff/cases?q=recusal").get_data(as_text=True)
    assert link not in client.get("/staff/cases?queue=triage").get_data(as_text=True)
    assert snapshot(exclude=("audit_entries",)) == before


def test_an_auditor_can_read_but_every_post_is_refused_and_changes_nothing(app, make_user):
    auditor = make_user(Role.AUDITOR)
    investigator = make_user(Role.INVESTIGATOR, body=HOME_BODY)
    reported = send_report(app, "auditor", files=[(png_bytes(), "f.png")])
    place_case(reported.case_id, HOME_BODY, CaseStatus.INVESTIGATING)
    client = staff_client(app, auditor)
    assert client.get(f"/staff/cases/{reported.case_id}").status_code == 200
    token = page_token(client)
    case = db.session.get(Case, reported.case_id)
    form = hostile_form(case, token, investigator, 1)
    before = snapshot(exclude=("audit_entries",))
    values = {"case_id": case.id, "attachment_id": 1, "recommendation_id": 1, "user_id": investigator.id,
              "body_id": case.body_id, "message_id": 1, "target": "closed"}
    tried = 0
    for rule in rules_with(app, "POST"):
        if not rule.rule.startswith("/staff"):
            continue
        response = client.post(build_path(rule, values), data={**form, "active": "0"})
        # Case actions: 403 outright. Elsewhere a missing object (404) is an equally firm refusal.
        allowed = (403,) if rule.rule.startswith("/staff/cases") else (403, 404)
        assert response.status_code in allowed, (rule.rule, response.status_code)
        tried += 1
    assert tried >= 10
    assert snapshot(exclude=("audit_entries",)) == before


def test_a_deactivated_account_is_signed_out_at_once(app, make_user):
    admin = make_user(Role.ADMIN)
    investigator = make_user(Role.INVESTIGATOR, body=HOME_BODY)
    reported = send_report(app, "deactivated")
    place_case(reported.case_id, HOME_BODY, CaseStatus.INVESTIGATING)
    victim_session = staff_client(app, investigator)
    token = page_token(victim_session)
    assert victim_session.get(f"/staff/cases/{reported.case_id}").status_code == 200

    admin_client = staff_client(app, admin)
    response = admin_client.post(f"/staff/users/{investigator.id}/active",
                                 data={"csrf_token": page_token(admin_client, "/staff/users"), "active": "0",
                                       "confirmed": "yes"})
    assert response.status_code == 302
    assert db.session.get(User, investigator.id).active is False

    before = snapshot(exclude=("audit_entries",))
    response = victim_session.get(f"/staff/cases/{reported.case_id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    case = db.session.get(Case, reported.case_id)
    response = victim_session.post(f"/staff/cases/{reported.case_id}/notes", data={
        "note-csrf_token": token, "note-version": str(case.version), "note-text": "After deactivation."})
    assert response.status_code in (302, 400, 401)
    assert snapshot(exclude=("audit_entries",)) == before
    # And the password no longer opens a new session.
    fresh = app.test_client()
    response = fresh.post("/login", data={"csrf_token": csrf_token(fresh), "email": investigator.email,
                                          "password": "correct horse battery staple"})
    assert response.status_code == 401


def test_changing_the_password_ends_every_other_session(app, make_user):
    user = make_user(Role.TRIAGE)
    stolen = staff_client(app, user)
    own = staff_client(app, user)
    response = own.post("/account/password", data={
        "csrf_token": page_token(own, "/account/password"), "current_password": "correct horse battery staple",
        "new_password": "a whole new passphrase", "confirm": "a whole new passphrase"})
    assert response.status_code == 302
    assert own.get("/staff/").status_code == 200
    response = stolen.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
