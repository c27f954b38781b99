"""Deadline alerts name a case: nobody who recused from it is sent one, nor counted among those notified."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases import reminders
from civicwatch.cases.models import CaseStatus, DeadlineAlert, Recusal, StaffNotification
from civicwatch.extensions import db


def notified_cases(user) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(DeadlineAlert.case_id).join(StaffNotification.alert)
                                   .where(StaffNotification.user_id == user.id)))


def test_no_reminder_nor_escalation_goes_to_someone_recused_from_the_case(clock, make_case, make_user):
    assignee = make_user(Role.INVESTIGATOR, body="police_oversight")
    recused_colleague = make_user(Role.INVESTIGATOR, body="police_oversight")
    recused_admin, admin = make_user(Role.ADMIN), make_user(Role.ADMIN)
    case = make_case(CaseStatus.INVESTIGATING, body="police_oversight", assigned_to=assignee,
                     respond_due_at=clock.now + dt.timedelta(hours=30))
    for person in (recused_colleague, recused_admin):
        db.session.add(Recusal(case_id=case.id, user_id=person.id, reason="A relative is named in it."))
    db.session.commit()

    assert reminders.send_deadline_alerts(clock.now).reminders == 1
    clock.advance(hours=31)
    assert reminders.send_deadline_alerts(clock.now).escalations == 1

    assert notified_cases(assignee) == [case.id, case.id] and notified_cases(admin) == [case.id]
    assert notified_cases(recused_colleague) == notified_cases(recused_admin) == []
    counts = db.session.scalars(select(AuditEntry.after).where(AuditEntry.action.like("case.deadline_%"))
                                .order_by(AuditEntry.seq)).all()
    assert [after["notified"] for after in counts] == [1, 2]  # the assignee; then the assignee and one admin
