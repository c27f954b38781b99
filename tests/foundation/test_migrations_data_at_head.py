"""Data written at an older release, upgraded to the head, is what the code at the head expects: the maintained
case counts match the app's own count of the cases, each case of a relation keeps the decision taken before
(related_status), the statistics rollup is rebuilt with the new figure, and a downgrade and upgrade again keep it."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from civicwatch.extensions import db

# Before the dashboard's maintained counts (a7d4e2c9b6f1) and every later data migration.
START = "f3c8a1d5e7b2"
CASES = [  # (reference, body, status, urgent)
    ("CW-2026-000001", 1, "received", True),
    ("CW-2026-000002", 1, "investigating", False),
    ("CW-2026-000003", 2, "closed", False),
    ("CW-2026-000004", None, "received", False),
    ("CW-2026-000005", 2, "responded", True),
    ("CW-2026-000006", 1, "received", False),
]


def _populate(now: str) -> None:
    with db.engine.begin() as connection:
        for body_id, code in ((1, "police_oversight"), (2, "prisons_oversight")):
            connection.execute(text(
                "INSERT INTO bodies (id, code, name, active, acknowledge_days, acknowledge_days_urgent, respond_days, "
                "respond_days_urgent, target_acknowledged_share, target_closed_within_days) VALUES "
                "(:id, :code, :code, true, 5, 1, 60, 20, 0.9, 90)"), {"id": body_id, "code": code})
        for number, (reference, body_id, status, urgent) in enumerate(CASES, start=1):
            connection.execute(text(
                "INSERT INTO cases (id, reference, receipt_hash, text, channel, status, urgent, routed_by_hand, "
                "tracking_generation, version, created_at, updated_at, body_id, closed_at) VALUES (:id, :reference, "
                ":hash, 'Beaten at the checkpoint.', 'web', :status, :urgent, false, 0, 1, :now, :now, :body, "
                ":closed)"),
                {"id": number, "reference": reference, "hash": f"h{number}", "status": status, "urgent": urgent,
                 "now": now, "body": body_id, "closed": now if status == "closed" else None})
        for case_id, related_id, status in ((2, 3, "linked"), (1, 6, "dismissed"), (5, 1, "proposed")):
            connection.execute(text(
                "INSERT INTO case_relations (case_id, related_case_id, kind, score, reasons, status, created_at) "
                "VALUES (:case, :related, 'related', 0.9, '[]', :status, :now)"),
                {"case": case_id, "related": related_id, "status": status, "now": now})


def _relations() -> list[tuple[int, str, str]]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT case_id, status, related_status FROM case_relations ORDER BY case_id"))]


def test_cases_and_relations_written_before_the_dashboard_counts_upgrade_to_what_the_head_expects(empty_app, clock):
    upgrade(revision=START)
    _populate(clock.now.isoformat(" "))
    upgrade()
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "cases", "check-counts"])
    assert result.exit_code == 0 and "The counts match the cases." in result.output, result.output
    assert _relations() == [(1, "dismissed", "dismissed"), (2, "linked", "linked"), (5, "proposed", "proposed")]

    db.session.remove()  # PostgreSQL: no open transaction may hold a lock on the tables the downgrade drops
    downgrade(revision=START)
    upgrade()
    result = runner.invoke(args=["civicwatch", "cases", "check-counts"])
    assert result.exit_code == 0 and "The counts match the cases." in result.output, result.output
    assert _relations() == [(1, "dismissed", "dismissed"), (2, "linked", "linked"), (5, "proposed", "proposed")]
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cases")).scalar() == len(CASES)
