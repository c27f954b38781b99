"""Routing inside the inbox's batches (several texts per transaction, PostgreSQL): each text is routed by the rules
committed when its turn comes, and a database connection lost while routing is the database's failure, which the
worker waits out and tries again, never a failure counted against the text."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from civicwatch.cases.models import Case
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from civicwatch.routing import operations as routing
from civicwatch.sms.inbox import accept_text, process_inbox
from civicwatch.sms.models import InboxText
from civicwatch.taxonomy.models import Theme
from tests.conftest import body_by_code, change_taxonomy_elsewhere, on_postgres, terminate_the_sessions_backend
from tests.routing.conftest import FakeClassifier

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="another process commits during the batch: PostgreSQL's row locks")
def test_a_rule_changed_during_a_batch_routes_the_batchs_next_text(app, clock, monkeypatch):
    use_classifier(app, FakeClassifier(theme="corruption", confidence=0.99))
    auditor = body_by_code("auditor_general").id
    corruption = db.session.scalar(select(Theme.id).where(Theme.code == "corruption"))
    for phone in ("+23276200001", "+23276200002"):
        accept_text("SM" + secrets.token_hex(16), phone, REPORT)
    read_complaint, read = routing.read_complaint, []

    def read_then_change_the_rule(words):
        read.append(words)
        if len(read) == 2:  # an admin, in another process, sends corruption to the auditor-general and commits
            change_taxonomy_elsewhere("UPDATE routing_rules SET body_id = :body WHERE theme_id = :theme",
                                      {"body": auditor, "theme": corruption})
        return read_complaint(words)

    monkeypatch.setattr(routing, "read_complaint", read_then_change_the_rule)
    report = process_inbox()
    assert report.answered == 2 and len(read) == 2
    db.session.expire_all()
    first, second = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert first.body.code == "anti_corruption_commission"
    assert second.body.code == "auditor_general", second.routing_explanation


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="another process commits during the batch: PostgreSQL's row locks")
def test_a_body_closed_during_a_batch_gets_neither_the_batchs_next_text_nor_later_ones(app, clock, monkeypatch):
    """The batch's first text loaded the body into the worker's session: the next text must not route by that
    old copy, and the process's cache must not be rebuilt from it (it would stay wrong for every later text)."""
    use_classifier(app, FakeClassifier(theme="corruption", confidence=0.99))
    for phone in ("+23276200001", "+23276200002"):
        accept_text("SM" + secrets.token_hex(16), phone, REPORT)
    read_complaint, read = routing.read_complaint, []

    def read_then_close_the_body(words):
        read.append(words)
        if len(read) == 2:  # an admin, in another process, closes the body and commits
            change_taxonomy_elsewhere("UPDATE bodies SET active = false WHERE code = 'anti_corruption_commission'")
        return read_complaint(words)

    monkeypatch.setattr(routing, "read_complaint", read_then_close_the_body)
    assert process_inbox().answered == 2
    monkeypatch.setattr(routing, "read_complaint", read_complaint)
    accept_text("SM" + secrets.token_hex(16), "+23276200003", REPORT)  # later, in a transaction of its own
    assert process_inbox().answered == 1
    db.session.rollback()
    db.session.expire_all()
    first, second, later = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert first.body.code == "anti_corruption_commission"
    assert second.body is None and later.body is None, (second.routing_explanation, later.routing_explanation)


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="terminates a PostgreSQL backend")
@pytest.mark.parametrize("step", ["routing_tables", "write_planned_route"])
def test_a_connection_lost_while_routing_is_tried_again_and_not_counted_against_the_text(app, clock, monkeypatch,
                                                                                        step):
    """The server goes away while the route is planned (its tables read) or written."""
    use_classifier(app, FakeClassifier(theme="corruption", confidence=0.99))
    accept_text("SM" + secrets.token_hex(16), "+23276200001", REPORT)
    original = getattr(routing, step)

    def lose_the_connection(*args):
        terminate_the_sessions_backend()
        monkeypatch.setattr(routing, step, original)  # once
        db.session.execute(text("SELECT 1"))  # what the step reads or writes first
        return original(*args)

    monkeypatch.setattr(routing, step, lose_the_connection)
    with pytest.raises(OperationalError):  # the deliver loop waits and tries again
        process_inbox()
    db.session.rollback()
    waiting = db.session.scalars(select(InboxText)).one()
    assert waiting.attempts == 0 and waiting.last_error is None
    assert process_inbox().answered == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert db.session.scalars(select(Case)).one().body.code == "anti_corruption_commission"
