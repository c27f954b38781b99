"""Every staff route of the case workflow and the audit log, for every role, including another body's case.

Investigators of another body get 404 (the case's existence is not revealed); roles that may not act get 403;
auditors read everything and change nothing; a community committee member (who only enters complaints for
others) is refused everything by the role gate, before any case is looked up. The table must list every route
of the two blueprints.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from civicwatch.accounts.models import Role
from civicwatch.accounts.operations import create_user
from civicwatch.cases.attachments import PreparedFile, save_attachment
from civicwatch.cases.models import (
    CaseMessage,
    CaseStatus,
    Channel,
    MessageKind,
    Outcome,
    Recommendation,
    RetaliationCheckIn,
)
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.patterns.models import Allegation, CaseRelation, RelationKind, Subject, SubjectKind, SubjectLink
from civicwatch.taxonomy.models import Body, Holiday
from tests.cases.conftest import post_case_form
from tests.conftest import csrf_token
from tests.factories import create_case

STAFF = ("admin", "triage", "investigator", "other_investigator", "auditor")
ROLES = (*STAFF, "community")
CASEWORK = {"admin", "triage", "investigator"}
READERS = {"admin", "auditor"}
S = CaseStatus


@dataclass
class Row:
    endpoint: str
    allowed: set[str]
    method: str = "POST"
    path: str = ""  # for POST on a case: the part after /staff/cases/<id>/
    status: CaseStatus = S.INVESTIGATING
    prefix: str = ""
    fields: dict[str, Callable | str] = field(default_factory=dict)
    url: Callable | None = None  # GET rows: (case, env) -> URL
    case_scoped: bool = True
    refused: int = 403

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.path or self.url.__name__ if self.url else self.path}"


def other_body_id(env) -> str:
    return str(db.session.query(Body).filter_by(code="human_rights_commission").one().id)


def queue_url(key):
    def url(case, env):
        return f"/staff/cases?queue={key}"
    url.__name__ = f"queue_{key}"
    return url


GET_ROWS = [
    Row("cases.dashboard", set(STAFF), "GET", url=lambda c, e: "/staff/", case_scoped=False),
    Row("cases.queue", {"admin", "triage", "auditor"}, "GET", url=queue_url("triage"), case_scoped=False, refused=404),
    Row("cases.queue", {"investigator", "other_investigator"}, "GET", url=queue_url("body"), case_scoped=False,
        refused=404),
    Row("cases.queue", {"investigator", "other_investigator"}, "GET", url=queue_url("mine"), case_scoped=False,
        refused=404),
    Row("cases.queue", set(STAFF), "GET", url=queue_url("urgent"), case_scoped=False),
    Row("cases.queue", set(STAFF), "GET", url=queue_url("overdue"), case_scoped=False),
    Row("cases.queue", set(STAFF), "GET", url=queue_url("retaliation"), case_scoped=False),
    Row("cases.queue", set(STAFF), "GET", url=queue_url("closed_words"), case_scoped=False),
    Row("cases.queue", {"admin", "triage", "auditor"}, "GET", url=queue_url("open"), case_scoped=False, refused=404),
    Row("cases.queue", set(STAFF), "GET", url=queue_url("all"), case_scoped=False),
    Row("cases.detail", set(STAFF), "GET", url=lambda c, e: f"/staff/cases/{c.id}"),
    Row("cases.attachment", set(STAFF), "GET",
        url=lambda c, e: f"/staff/cases/{c.id}/attachments/{e['attachment'].id}"),
    Row("cases.deadlines", {"admin"}, "GET", url=lambda c, e: "/staff/deadlines", case_scoped=False),
    Row("cases.holiday_list", {"admin"}, "GET", url=lambda c, e: "/staff/holidays", case_scoped=False),
    Row("cases.change_staff_role", {"admin"}, "GET", url=lambda c, e: f"/staff/users/{e['bystander'].id}/role",
        case_scoped=False),
    Row("cases.give_back", {"admin"}, "GET", url=lambda c, e: f"/staff/users/{e['bystander'].id}/cases",
        case_scoped=False),
    Row("audit.log", READERS, "GET", url=lambda c, e: "/staff/audit/", case_scoped=False),
    Row("audit.case_log", READERS, "GET", url=lambda c, e: f"/staff/audit/cases/{c.id}", case_scoped=False),
    Row("audit.user_log", READERS, "GET", url=lambda c, e: f"/staff/audit/users/{e['investigator'].id}",
        case_scoped=False),
]

POST_ROWS = [
    Row("cases.change_status", CASEWORK, path="status/triaged", status=S.RECEIVED, prefix="to-triaged"),
    Row("cases.change_status", {"investigator"}, path="status/acknowledged", status=S.TRIAGED,
        prefix="to-acknowledged"),
    Row("cases.change_status", {"investigator"}, path="status/investigating", status=S.ACKNOWLEDGED,
        prefix="to-investigating"),
    Row("cases.change_status", {"investigator"}, path="status/responded", status=S.INVESTIGATING,
        prefix="to-responded", fields={"response": "We found the officer at fault; he has been disciplined."}),
    Row("cases.change_status", {"investigator"}, path="status/closed", status=S.RESPONDED, prefix="to-closed"),
    Row("cases.change_status", {"investigator"}, path="status/reopened", status=S.CLOSED, prefix="to-reopened",
        fields={"reason": "The complainant appealed."}),
    Row("cases.change_status", CASEWORK, path="status/rejected", status=S.TRIAGED, prefix="to-rejected",
        fields={"reason": "A private dispute between neighbours."}),
    Row("cases.change_status", CASEWORK, path="status/referred", status=S.TRIAGED, prefix="to-referred",
        fields={"reason": "This is for the courts."}),
    Row("cases.change_status", CASEWORK, path="status/withdrawn", status=S.INVESTIGATING, prefix="to-withdrawn",
        fields={"reason": "The complainant asked us to stop."}),
    Row("cases.route", CASEWORK, path="route", status=S.TRIAGED, prefix="route",
        fields={"body": other_body_id, "reason": "It is about a beating."}),
    Row("cases.correct", CASEWORK, path="correct", status=S.TRIAGED, prefix="correct",
        fields={"theme": lambda env: str(env["case"].theme_id), "actor": "", "region": "", "district": ""}),
    Row("cases.assign", {"admin", "investigator"}, path="assign", prefix="assign",
        fields={"assignee": lambda env: str(env["investigator"].id)}),
    Row("cases.recuse", CASEWORK, path="recuse", prefix="recuse", fields={"reason": "My cousin is the officer."}),
    Row("cases.add_note", CASEWORK, path="notes", prefix="note", fields={"text": "Called the station."}),
    Row("cases.retaliation_seen", CASEWORK, path="retaliation-seen", prefix="retaliation_seen"),
    # Only the body's own investigators: admins and triage officers only for a case no body holds.
    Row("cases.closure_words_read", {"investigator"}, path="closure-words-read", status=S.CLOSED,
        prefix="closure_words_read", fields={"through": lambda env: str(env["words"].id)}),
    Row("cases.message", CASEWORK, path="messages", prefix="message", fields={"text": "Which day was it?"}),
    Row("cases.clock", CASEWORK, path="clock", prefix="clock"),
    Row("cases.extend", {"admin", "investigator"}, path="extend", prefix="extend",
        fields={"days": "10", "reason": "We are waiting for the hospital's records."}),
    Row("cases.findings", {"investigator"}, path="findings", prefix="findings",
        fields={"outcome": "substantiated", "findings": "Two witnesses confirm it."}),
    Row("cases.recommend", {"investigator"}, path="recommendations", prefix="recommend",
        fields={"text": "Retrain the station's officers."}),
    Row("cases.remedy", {"investigator"}, path="recommendations/{recommendation}", prefix="remedy-{recommendation}",
        fields={"status": "implemented"}),
    Row("cases.draft_response", {"investigator"}, path="draft-response", prefix="draft",
        fields={"text": "The authority found the complaint substantiated."}),
    Row("cases.add_allegation", CASEWORK, path="allegations", prefix="allegation-new",
        fields={"theme": lambda env: str(env["case"].theme_id), "victim": "a bus driver", "actor": "", "subject": "", "region": "",
                "district": "", "finding": ""}),
    Row("cases.update_allegation", CASEWORK, path="allegations/{allegation}", prefix="allegation-{allegation}",
        fields={"theme": lambda env: str(env["case"].theme_id), "actor": "", "subject": "", "region": "",
                "district": "", "finding": "substantiated", "remedy": "Apology and compensation."}),
    Row("cases.link_subject", CASEWORK, path="subjects", prefix="link",
        fields={"subject": lambda env: str(env["subject"].id)}),
    Row("cases.decide_subject_link", CASEWORK, path="subjects/{link}/confirm", prefix="decide"),
    Row("cases.decide_relation", CASEWORK, path="related/{relation}/link", prefix="relation"),
    Row("cases.save_deadlines", {"admin"}, path="", case_scoped=False, prefix="body-{body}",
        fields={"acknowledge_days": "4", "acknowledge_days_urgent": "1", "respond_days": "60",
                "respond_days_urgent": "20"}),
    Row("cases.add_holiday", {"admin"}, case_scoped=False, url=lambda c, e: "/staff/holidays",
        fields={"day": "2030-04-27", "name": "Independence Day"}),
    Row("cases.import_holidays", {"admin"}, case_scoped=False, url=lambda c, e: "/staff/holidays/import",
        fields={"csv": "date,name\n2030-12-25,Christmas Day\n"}),
    Row("cases.remove_holiday", {"admin"}, case_scoped=False,
        url=lambda c, e: f"/staff/holidays/{e['holiday'].id}/remove"),
    Row("cases.set_active", {"admin"}, case_scoped=False, url=lambda c, e: f"/staff/users/{e['bystander'].id}/active",
        fields={"active": "0", "confirmed": "yes"}),
]


@pytest.fixture
def staff(make_user, signed_in):
    users = {
        "admin": make_user(Role.ADMIN), "triage": make_user(Role.TRIAGE),
        "investigator": make_user(Role.INVESTIGATOR, body="police_oversight"),
        "other_investigator": make_user(Role.INVESTIGATOR, body="anti_corruption_commission"),
        "auditor": make_user(Role.AUDITOR),
        "community": make_user(Role.COMMUNITY, body="community_southern"),
    }
    return users, {role: signed_in(user) for role, user in users.items()}


def _setup_case(make_case, row: Row):
    case = make_case(row.status, body="police_oversight", phone="+23276123456")
    env = {"case": case}
    if row.path == "clock":
        case.waiting_since = utcnow() - dt.timedelta(days=2)
    if row.path.startswith("status/responded"):
        case.outcome, case.findings = Outcome.SUBSTANTIATED, "Two witnesses confirm it."
    if row.path.startswith("recommendations/"):
        env["recommendation"] = Recommendation(case=case, text="Retrain the officers.")
        db.session.add(env["recommendation"])
    if row.path == "retaliation-seen":
        db.session.add(RetaliationCheckIn(case=case, open_round=1, answered_at=utcnow(), retaliation_reported=True))
    if row.path == "closure-words-read":
        env["words"] = CaseMessage(case=case, kind=MessageKind.FROM_COMPLAINANT, channel=Channel.WEB,
                                   body="I moved to Bo.", after_closure=True)
        db.session.add(env["words"])
    if row.path.startswith("subjects"):
        env["subject"] = Subject(body=case.body, kind=SubjectKind.POST, name=f"Bo Junction post {case.id}")
        env["link"] = SubjectLink(case=case, subject=env["subject"], matched="Bo Junction")
        db.session.add(env["link"])
    if row.path.startswith("related/"):
        older = create_case(row.status, body="police_oversight")
        env["relation"] = CaseRelation(case=case, related_case=older, kind=RelationKind.RELATED, score=0.5, reasons=[])
        db.session.add(env["relation"])
    if row.path.startswith("allegations/"):
        env["allegation"] = Allegation(case=case, theme=case.theme)
        db.session.add(env["allegation"])
    if row.endpoint in ("cases.set_active", "cases.change_staff_role", "cases.give_back"):
        # A staff member nobody signs in as: deactivating one of the table's users would end their sessions.
        env["bystander"] = create_user(f"bystander{case.id}@example.org", "Bystander", Role.TRIAGE,
                                       "a long enough password")
        db.session.commit()
    if row.endpoint == "cases.remove_holiday":
        env["holiday"] = Holiday(day=dt.date(2030, 1, 1) + dt.timedelta(days=case.id), name="Bank holiday")
        db.session.add(env["holiday"])
    env["attachment"] = save_attachment(case, PreparedFile("photo.pdf", "application/pdf", b"%PDF-1.4 test"))
    db.session.commit()
    return case, env


def _expected(row: Row, role: str) -> int:
    if role == "community":
        return 403
    if row.case_scoped and role == "other_investigator":
        return 404
    if role not in row.allowed:
        return row.refused
    return 200 if row.method == "GET" else 302


def _request(row: Row, client, case, env):
    if row.method == "GET":
        return client.get(row.url(case, env))
    if row.url is not None:  # a POST outside the case page
        data = {**row.fields, "csrf_token": csrf_token(client, "/staff/")}
        return client.post(row.url(case, env), data=data)
    if row.endpoint == "cases.save_deadlines":
        body = db.session.query(Body).filter_by(code="police_oversight").one()
        prefix = row.prefix.format(body=body.id)
        data = {f"{prefix}-{k}": v for k, v in row.fields.items()}
        data[f"{prefix}-csrf_token"] = csrf_token(client, "/staff/")
        data[f"{prefix}-version"] = str(body.deadlines_version)
        return client.post(f"/staff/deadlines/{body.id}", data=data)
    ids = {"recommendation": env["recommendation"].id if "recommendation" in env else "",
           "allegation": env["allegation"].id if "allegation" in env else "",
           "link": env["link"].id if "link" in env else "",
           "relation": env["relation"].id if "relation" in env else ""}
    fields = {k: (v(env) if callable(v) else v) for k, v in row.fields.items()}
    return post_case_form(client, case.id, row.path.format(**ids), row.prefix.format(**ids), **fields)


def test_role_matrix(clock, staff, make_case):
    """One app for the whole table (sign-ins are slow by design); every failure is listed at the end."""
    users, clients = staff
    failures = []
    for row in GET_ROWS + POST_ROWS:
        for role in ROLES:
            case, env = _setup_case(make_case, row)
            env.update(users)
            response = _request(row, clients[role], case, env)
            expected = _expected(row, role)
            text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            response.close()
            if "holiday" in env:  # removed by the request: SQLite may give the next one its id
                db.session.expunge(env["holiday"])
            if response.status_code != expected:
                failures.append(f"{row.id} as {role}: expected {expected}, got {response.status_code}: "
                                f"{text[text.find('<h1'):][:160]}")
    assert failures == []


def test_the_matrix_lists_every_route(app):
    listed = {row.endpoint for row in GET_ROWS + POST_ROWS}
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith(("cases.", "audit."))}
    assert routes == listed


def test_the_audit_log_has_no_route_that_changes_it(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
