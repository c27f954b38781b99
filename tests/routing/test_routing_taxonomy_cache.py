"""Routing reads the taxonomy through a per-process cache: no taxonomy query per case, and every change
(by the operations, by the ORM, by a bulk statement, or by another process) is seen by the next case."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import event, select

from civicwatch.cases.models import Case
from civicwatch.classify.registry import current_classifier
from civicwatch.extensions import db
from civicwatch.routing import rule_operations
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.operations import route_new_case
from civicwatch.routing.queries import taxonomy_row
from civicwatch.taxonomy.cache import _APP_KEY, VERSION_SETTING
from civicwatch.taxonomy.models import Actor, Body, Setting, Theme
from tests.conftest import body_by_code, change_taxonomy_elsewhere
from tests.factories import post_multipart
from tests.intake.test_intake_statement_count import _open_form

TAXONOMY_TABLES = ("themes", "actors", "regions", "districts", "bodies", "routing_rules")


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the database receives inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _reads_of(table: str, seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and re.search(rf"\bFROM {table}\b", s)]


def _route(case) -> None:
    route_new_case(case)
    db.session.commit()


def test_routing_a_case_reads_no_taxonomy_when_nothing_changed(make_case, active_model) -> None:
    _route(make_case("The officer demanded a bribe at the checkpoint in Kenema."))  # fills the cache
    case = make_case("dem polis collect money before dem free my broda for Bo")
    with statements() as seen:
        _route(case)
    assert case.theme is not None and case.model_version == active_model
    for table in TAXONOMY_TABLES:
        assert _reads_of(table, seen) == [], table
    # The only taxonomy-related read: the version row, once.
    assert len(_reads_of("settings", seen)) == 1


def test_an_edited_rule_applies_to_the_next_case(make_case, use_fake_classifier, make_user) -> None:
    use_fake_classifier(theme="corruption", confidence=0.99)
    first = make_case()
    _route(first)
    assert first.body.code == "anti_corruption_commission"
    rule = db.session.scalars(select(RoutingRule).join(Theme).where(Theme.code == "corruption")).first()
    admin = make_user("admin")
    rule_operations.update_rule(rule, admin, rule.version, priority=rule.priority, theme=rule.theme,
                                body=body_by_code("auditor_general"))
    db.session.commit()
    second = make_case()
    _route(second)
    assert second.body.code == "auditor_general"


def test_a_bulk_delete_of_the_rules_applies_to_the_next_case(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="corruption", confidence=0.99)
    _route(make_case())
    db.session.query(RoutingRule).delete()
    db.session.commit()
    case = make_case()
    _route(case)
    assert case.body_id is None and case.routing_explanation["reason"].startswith("no routing rule")


def test_a_change_committed_by_another_process_is_seen(make_case, use_fake_classifier) -> None:
    """Another process (plain SQL here, no session event of ours) changes a rule and the version row."""
    use_fake_classifier(theme="corruption", confidence=0.99)
    _route(make_case())
    auditor = body_by_code("auditor_general").id
    corruption = db.session.scalar(select(Theme.id).where(Theme.code == "corruption"))
    change_taxonomy_elsewhere("UPDATE routing_rules SET body_id = :body WHERE theme_id = :theme",
                              {"body": auditor, "theme": corruption})
    db.session.expire_all()
    case = make_case()
    _route(case)
    assert case.body.code == "auditor_general"


def test_an_edited_threshold_applies_to_the_next_case(make_case, use_fake_classifier, make_user) -> None:
    use_fake_classifier(theme="corruption", confidence=0.6)
    first = make_case()
    _route(first)
    assert first.body is not None
    rule_operations.set_routing_threshold(make_user("admin"), 0.7)
    db.session.commit()
    second = make_case()
    _route(second)
    assert second.body_id is None and second.routing_explanation["threshold"] == 0.7


def test_edited_actor_words_apply_to_the_next_classification(app, active_model) -> None:
    text_about_rangers = "The forest rangers beat my father with sticks in Kenema."
    assert current_classifier().classify(text_about_rangers).actor is None
    actor = db.session.scalar(select(Actor).where(Actor.code == "border"))
    actor.terms = [*actor.terms, "forest rangers"]
    db.session.commit()
    assert current_classifier().classify(text_about_rangers).actor == "border"


def test_every_taxonomy_change_writes_a_new_version(app) -> None:
    def version() -> str | None:
        row = db.session.get(Setting, VERSION_SETTING)
        return row.value if row is not None else None

    before = version()
    db.session.scalar(select(Theme).where(Theme.code == "corruption")).name = "Bribery"
    db.session.commit()
    after_edit = version()
    assert after_edit not in (None, before)
    db.session.add(Setting(key="unrelated_but_a_setting", value=1))
    db.session.commit()
    assert version() != after_edit


def test_a_change_pending_in_the_same_transaction_counts(make_case, use_fake_classifier) -> None:
    use_fake_classifier(theme="corruption", confidence=0.99)
    _route(make_case())
    case = make_case()
    rule = db.session.scalars(select(RoutingRule).join(Theme).where(Theme.code == "corruption")).first()
    rule.body = body_by_code("auditor_general")  # not flushed yet
    _route(case)
    assert case.body.code == "auditor_general"


def test_a_cache_value_is_not_filled_from_an_old_copy_the_session_holds(app) -> None:
    """Another thread of the process rebuilt the cache for a change another process committed; this session had
    loaded the body before that change. The value it then computes for the cache (kept for every later request)
    must be read from the database, not from its old copy."""
    body = body_by_code("anti_corruption_commission")
    assert body.active
    change_taxonomy_elsewhere("UPDATE bodies SET active = false WHERE code = 'anti_corruption_commission'",
                              token="closed-by-an-admin")
    current_app.extensions[_APP_KEY] = {"version": "closed-by-an-admin", "values": {}}  # that other thread's rebuild
    assert taxonomy_row(Body, "anti_corruption_commission").active is False
    db.session.rollback()
    assert taxonomy_row(Body, "anti_corruption_commission").active is False  # the cached value, in a new transaction


def test_a_web_report_is_routed_by_a_change_committed_by_another_process(app, client, use_fake_classifier) -> None:
    """A web report reads the taxonomy's version once, in its transaction (with its form's key): a change another
    process commits between two reports routes the second."""
    use_fake_classifier(theme="corruption", confidence=0.99)

    def report() -> Case:
        assert post_multipart(client, "/report", _open_form(client, "")).status_code == 303
        db.session.expire_all()
        case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
        db.session.rollback()
        return case

    assert report().body.code == "anti_corruption_commission"
    auditor = body_by_code("auditor_general").id
    corruption = db.session.scalar(select(Theme.id).where(Theme.code == "corruption"))
    db.session.rollback()
    change_taxonomy_elsewhere("UPDATE routing_rules SET body_id = :body WHERE theme_id = :theme",
                              {"body": auditor, "theme": corruption})
    second = report()
    assert second.body.code == "auditor_general"
    assert second.routing_explanation["body"] == "auditor_general"
