"""Reading the audit log for people: one page of entries with the names of the staff, cases and bodies they
point at, and each action and value in plain words. Who may see which entry is the audit query's business
(`audit_entries` keeps to the reader's visible cases); this only names what it returns."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_date, format_datetime, gettext
from sqlalchemy import select

from civicwatch.accounts.models import User
from civicwatch.audit.models import AuditEntry
from civicwatch.audit.queries import audit_entries
from civicwatch.cases.models import Case
from civicwatch.cases.permissions import visible_cases
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.taxonomy.models import Body

PAGE_SIZE = 50

ACTION_WORDS = {
    "case.view": N_("Opened the case"), "case.submit": N_("Complaint received"), "case.route": N_("Routed the case"),
    "case.override_body": N_("Sent the case to another body"), "case.correct": N_("Corrected the classification"),
    "case.assign": N_("Assigned the case"), "case.recuse": N_("Recused from the case"), "case.note": N_("Added an internal note"),
    "case.message": N_("Messaged the complainant"), "case.complainant_message": N_("The complainant wrote"),
    "case.urgent_by_sender": N_("The complainant said someone is in danger now"),
    "case.clock_pause": N_("Stopped the deadline clock"), "case.clock_resume": N_("Restarted the deadline clock"),
    "case.extend_deadline": N_("Extended the deadline to answer"), "case.deadline_reminder": N_("Deadline reminder sent"),
    "case.deadline_escalation": N_("Passed deadline escalated"),
    "case.findings": N_("Recorded the findings"), "case.recommend": N_("Added a recommendation"),
    "case.remedy": N_("Updated a remedy"), "case.draft_response": N_("Saved the draft public response"),
    "case.rate": N_("The complainant rated the answer"),
    "case.receipt_reissue": N_("A new receipt code was texted to the complainant"), "case.appeal_route": N_("Appeal routed"),
    "case.route_deadlines": N_("Deadlines moved with the case to another body"),
    "case.accept": N_("Accepted the case"), "case.acknowledge": N_("Acknowledged the complaint"),
    "case.investigate": N_("Started the investigation"), "case.respond": N_("Sent the answer"),
    "case.close": N_("Closed the case"), "case.reopen": N_("Reopened the case"), "case.reroute": N_("Sent back for acknowledgement"),
    "case.reject": N_("Rejected the case"), "case.refer": N_("Referred the case outside"), "case.withdraw": N_("Withdrawn"),
    "attachment.view": N_("Opened an attached file"),
    "publication.view": N_("Opened a public answer"), "publication.draft": N_("Started a public answer"),
    "publication.edit": N_("Edited a public answer"), "publication.discard": N_("Discarded a draft answer"),
    "publication.submit": N_("Submitted an answer for approval"), "publication.approve": N_("Approved and published an answer"),
    "publication.supersede": N_("Replaced by a newer version"),
    "publication.send_back": N_("Sent an answer back to its author"), "publication.withdraw": N_("Withdrew a public answer"),
    "user.login": N_("Signed in"), "user.password_ok": N_("Right password, sign-in code not yet entered"),
    "user.logout": N_("Signed out"), "user.create": N_("Created a staff account"),
    "user.role": N_("Changed a staff member's role or body"),
    "user.activate": N_("Activated or deactivated an account"), "user.change_password": N_("Changed the password"),
    "user.password_reset": N_("Gave a temporary password"),
    "user.temporary_password_expired": N_("Refused an expired temporary password"),
    "user.reauth_failed": N_("Wrong current password"), "user.sign_in_blocked": N_("Sign-in paused after wrong passwords"),
    "user.totp_enrol": N_("Set up two-factor sign-in"), "user.totp_verify": N_("Entered a sign-in code"),
    "user.totp_failed": N_("Wrong sign-in code"), "user.totp_locked": N_("Two-factor sign-in locked"),
    "user.totp_reset": N_("Reset an authenticator"), "user.totp_unlock": N_("Unlocked two-factor sign-in"),
    "audit.view_case": N_("Read a case's audit log"), "audit.view_user": N_("Read a staff member's audit log"),
    "routing.rule_create": N_("Added a routing rule"), "routing.rule_update": N_("Changed a routing rule"),
    "routing.rule_delete": N_("Deleted a routing rule"), "routing.threshold": N_("Changed the routing threshold"),
    "body.deadlines": N_("Changed a body's deadlines"), "taxonomy.load": N_("Loaded the taxonomy"),
    "taxonomy.districts_moved": N_("Moved districts to another region, with their cases"),
    "holiday.set": N_("Added or renamed a holiday"), "holiday.remove": N_("Removed a holiday"),
    "holiday.import": N_("Imported holidays"),
    "taxonomy.load_rules": N_("Loaded the routing rules"), "model.train": N_("Trained the classifier"),
    "model.activate": N_("Made a classifier model active"),
    "api_key.issue": N_("Issued an API key"), "api_key.revoke": N_("Revoked an API key"),
    "open311.request": N_("Complaint received through Open311"), "outbox.retry": N_("Sent a failed text again"),
    "sms_inbox.retry": N_("Gave set-aside texts to the worker again"),
    "web_report_queue.retry": N_("Gave web reports that failed to the worker again"),
    "sms_inbox.set_aside_erased": N_("Erased texts set aside longer than they are kept"),
    "case.assisted_intake": N_("Took a complaint for someone (assisted intake)"),
    "case.fears_retaliation": N_("The complainant said they fear reprisals"),
    "case.retaliation_check_in": N_("Asked the complainant about reprisals"),
    "case.retaliation_answer": N_("The complainant answered the question about reprisals"),
    "case.retaliation_seen": N_("Marked reported reprisals as seen"),
    "case.texts_allowed": N_("The complainant changed whether we may text them"),
    "allegation.add": N_("Recorded an allegation"), "allegation.update": N_("Changed an allegation"),
    "subject.import": N_("Imported units, posts and officers"),
    "subject_link.propose": N_("Proposed naming a unit, post or officer"),
    "subject_link.decide": N_("Decided on a proposed unit, post or officer"),
    "subject_link.add": N_("Named a unit, post or officer"),
    "case_relation.propose": N_("Proposed a related case"), "case_relation.decide": N_("Decided on a related case"),
    "case_share.request": N_("Asked another body to share a case"),
    "case_share.approve": N_("Shared a case with another body"),
    "case_share.refuse": N_("Refused to share a case"), "case_share.revoke": N_("Stopped sharing a case"),
    "case_share.view": N_("Opened a case shared by another body"),
    "pattern_alert.raise": N_("Raised a pattern alert"), "pattern_alert.update": N_("Updated a pattern alert"),
    "pattern_alert.open": N_("Opened a pattern alert again"),
    "pattern_alert.acknowledged": N_("Acknowledged a pattern alert"),
    "pattern_alert.referred": N_("Referred a pattern alert"), "pattern_alert.closed": N_("Closed a pattern alert"),
    "disclosure.request": N_("Asked to see the complainant's identity or an original file"),
    "disclosure.approve": N_("Approved a disclosure"), "disclosure.refuse": N_("Refused a disclosure"),
    "disclosure.revoke": N_("Ended a disclosure"), "identity.view": N_("Read the complainant's identity"),
    "attachment.original_view": N_("Opened an original attached file"),
    "user.identity_custodian": N_("Made or unmade a staff member an identity custodian"),
    "retention.schedule_set": N_("Set a retention schedule"),
    "retention.schedule_removed": N_("Removed a retention schedule"),
    "retention.hold_placed": N_("Put a case on hold from erasure"), "retention.hold_lifted": N_("Lifted a hold"),
    "retention.case_erased": N_("Erased a case's personal content"),
    "model.activate_failed": N_("A classifier model failed to become active"),
    "model.active_corrected": N_("Corrected the log of the active classifier model"),
}
ACTION_GROUPS = {
    "case.": N_("Any change to or view of a case"), "publication.": N_("Public answers"),
    "user.": N_("Sign-ins and staff accounts"), "audit.": N_("Reading the audit log"),
    "routing.": N_("Routing rules"), "attachment.": N_("Attached files"),
}
OBJECT_WORDS = {
    "cases": N_("case"), "users": N_("staff account"), "publications": N_("public answer"), "bodies": N_("oversight body"),
    "routing_rules": N_("routing rule"), "api_keys": N_("API key"), "outbound_messages": N_("text message"),
    "attachments": N_("attached file"), "recommendations": N_("recommendation"), "case_messages": N_("message"),
    "settings": N_("setting"), "classifier_models": N_("classifier model"), "holidays": N_("holiday"),
    "deadline_alerts": N_("deadline alert"),
}
PERSON_FIELDS = frozenset({"assigned_to", "recused", "author", "approver", "user", "user_id", "by"})
BODY_FIELDS = frozenset({"body_id"})


def action_words(action: str) -> str:
    if action in ACTION_WORDS:
        return gettext(ACTION_WORDS[action])
    subject, _, verb = action.partition(".")
    return f"{subject.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}" if verb else action


def object_words(object_type: str) -> str:
    if object_type in OBJECT_WORDS:
        return gettext(OBJECT_WORDS[object_type])
    return object_type.replace("_", " ")


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None  # a code or a group prefix such as "case."
    user_id: int | None = None
    body_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def active(self) -> bool:
        return any(value is not None and value != "" for value in self.__dict__.values())


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    users: dict[int, User] = field(default_factory=dict)
    cases: dict[int, str] = field(default_factory=dict)
    bodies: dict[int, str] = field(default_factory=dict)
    older: int | None = None  # `before` of the next older page
    newer: int | None = None  # `after` of the next newer page
    unreadable: list[int] = field(default_factory=list)  # entries of the page whose stored values cannot be read

    def shown(self, key: str, value: Any) -> Any:
        """A recorded value in plain words: names for staff and bodies, words for states and dates."""
        if isinstance(value, int) and not isinstance(value, bool):
            if key in PERSON_FIELDS and value in self.users:
                return self.users[value].name
            if key in BODY_FIELDS and value in self.bodies:
                return self.bodies[value]
            return value
        if isinstance(value, bool):
            return gettext("yes") if value else gettext("no")
        if isinstance(value, str):
            return _plain_string(value)
        return value


def _plain_string(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value.replace("_", " ") if value.islower() and " " not in value else value
    # The same patterns as the datetime and date filters, with the month named in the reader's language.
    if "T" in value or " " in value:
        return format_datetime(moment, "dd MMM y, HH:mm 'UTC'")
    return format_date(moment.date(), "dd MMM y")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def audit_page(reader: User, filters: AuditFilters, case_id: int | None = None, user_id: int | None = None,
               before: int | None = None, after: int | None = None) -> AuditPage:
    """One page of entries the reader may see, narrowed by the filters, with the names they point at."""
    visible = visible_cases(reader)
    if filters.body_id is not None:
        visible = visible.where(Case.body_id == filters.body_id)
    rows = audit_entries(
        visible.with_only_columns(Case.id), case_id=case_id,
        user_id=user_id if user_id is not None else filters.user_id, limit=PAGE_SIZE + 1,
        before_seq=before, after_seq=after if before is None else None, action_prefix=filters.action,
        since=_day_start(filters.since) if filters.since else None,
        until=_day_start(filters.until + dt.timedelta(days=1)) if filters.until and filters.until < dt.date.max
        else None,  # the calendar's last day: no end
        cases_only=filters.body_id is not None)
    more = len(rows) > PAGE_SIZE
    if after is not None and before is None:
        shown = rows[-PAGE_SIZE:]  # the newest of them are beyond this page
        older, newer = shown[-1].seq if shown else None, shown[0].seq if more and shown else None
    else:
        shown = rows[:PAGE_SIZE]
        older, newer = shown[-1].seq if more and shown else None, shown[0].seq if before is not None and shown else None
    page = AuditPage([row for row in shown if isinstance(row, AuditEntry)], older=older, newer=newer,
                     unreadable=[row.seq for row in shown if not isinstance(row, AuditEntry)])
    _name_everything(page)
    return page


def _name_everything(page: AuditPage) -> None:
    people = {e.user_id for e in page.entries if e.user_id}
    body_ids: set[int] = set()
    for entry in page.entries:
        for values in (entry.before or {}, entry.after or {}):
            people |= {v for k, v in values.items() if k in PERSON_FIELDS and isinstance(v, int)}
            body_ids |= {v for k, v in values.items() if k in BODY_FIELDS and isinstance(v, int)}
        if entry.object_type == "users" and entry.object_id and entry.object_id.isascii() and entry.object_id.isdigit():
            people.add(int(entry.object_id))
    if people:
        page.users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people)))}
    case_ids = {e.case_id for e in page.entries if e.case_id}
    if case_ids:
        page.cases = dict(db.session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).tuples().all())
    if body_ids:
        page.bodies = dict(db.session.execute(select(Body.id, Body.name).where(Body.id.in_(body_ids))).tuples().all())
