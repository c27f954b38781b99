"""Words the complainant sends, marked unread until the body reads them. Once their case has ended (closed,
rejected, referred or withdrawn: a follow-up message, words given with a "No" to a check-in after closure, a text
to such a check-in) nobody works on it, so each waits in the body's "New words on closed cases" queue; on a case
still being worked on (above all the answer to a staff question) in the "New words from the complainant" queue,
marked on the queue's rows. Both wait on the dashboard's counts until one of the body's investigators marks them
read (a case no body holds: a triage officer or an admin). Another body's staff never see them: every read goes
through `visible_cases`. Flush, never commit."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import ColumnElement, exists, select, update

from civicwatch.accounts.models import Role, User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import ENDED_STATUSES, Case, CaseEvent, CaseMessage, MessageKind
from civicwatch.cases.permissions import require
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, PermissionDeniedError
from civicwatch.extensions import db

EVENT = "closure_words_read"
OPEN_EVENT = "complainant_words_read"  # the words came while the case was worked on


def filed_after_closure(case: Case) -> bool:
    """Whether words the complainant adds now reach a case that has ended (read under the case's lock)."""
    return case.status in ENDED_STATUSES


def unread_words_after_closure() -> ColumnElement[bool]:
    """Whether the case has words after closure nobody has marked read (through the partial index
    ix_case_messages_unread_after_closure: the few such messages), whatever became of the case since."""
    return exists().where(CaseMessage.case_id == Case.id, CaseMessage.after_closure.is_(True),
                          CaseMessage.read_at.is_(None))


def unread_words_while_open() -> ColumnElement[bool]:
    """Whether the case has words the complainant sent while it was worked on that nobody has marked read (through
    the partial index ix_case_messages_unread_while_open), whatever became of the case since."""
    return exists().where(CaseMessage.case_id == Case.id, CaseMessage.kind == MessageKind.FROM_COMPLAINANT,
                          CaseMessage.after_closure.is_(False), CaseMessage.read_at.is_(None))


def _unread() -> tuple[ColumnElement[bool], ...]:
    # Only the complainant's words are ever unread: staff messages and notes keep read_at empty for good.
    return CaseMessage.kind == MessageKind.FROM_COMPLAINANT, CaseMessage.read_at.is_(None)


def cases_with_unread_words(case_ids: list[int]) -> set[int]:
    """Which of these cases (already read through `visible_cases`) hold words not read yet, ended or not."""
    if not case_ids:
        return set()
    return set(db.session.scalars(select(CaseMessage.case_id).distinct().where(
        CaseMessage.case_id.in_(case_ids), *_unread())))


def unread_message_ids(case: Case) -> list[int]:
    """The case's words from the complainant not read yet, oldest first."""
    return list(db.session.scalars(select(CaseMessage.id).where(CaseMessage.case_id == case.id, *_unread())
                                   .order_by(CaseMessage.id)))


def may_mark_read(user: User, case: Case) -> bool:
    """The body's own staff act on its cases: its investigators (`visible_cases` shows them no other body's), and
    for a case no body holds, the triage officers and admins who handle those."""
    if user.role is Role.INVESTIGATOR:
        return user.body_id == case.body_id
    return case.body_id is None and user.role in (Role.TRIAGE, Role.ADMIN)


def mark_closure_words_read(case: Case, user: User, through: int) -> int:
    """The staff member read the complainant's words shown on the page, up to message `through`: they leave the
    queues and the counts. Words that came after the page was read stay unread. The caller holds the case's lock, as
    the complainant's writer does. Audited (how many, never the words); flushes."""
    require(user, "closure_words_read", case)
    if not may_mark_read(user, case):
        body = case.body.local_name if case.body else ""
        raise PermissionDeniedError(gettext("Only the investigators of %(body)s can mark these words read: the case "
                                            "is theirs to act on.", body=body))
    now = utcnow()
    marked = db.session.execute(update(CaseMessage).where(
        CaseMessage.case_id == case.id, *_unread(), CaseMessage.id <= through,
    ).values(read_at=now).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if not marked:
        raise ConflictError(gettext("There are no unread words from the complainant on this case: someone marked "
                                    "them read already."))
    kind = EVENT if filed_after_closure(case) else OPEN_EVENT
    db.session.add(CaseEvent(case_id=case.id, kind=kind, user_id=user.id, public=False, created_at=now,
                             detail={"messages": marked}))
    db.session.flush()
    record_audit(user, f"case.{kind}", case, after={"messages": marked})
    return marked

