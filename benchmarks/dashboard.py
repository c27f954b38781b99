"""The staff dashboard at 100,000 and 1,000,000 cases on PostgreSQL with fsync on.

    .venv/bin/python benchmarks/dashboard.py
    .venv/bin/python benchmarks/dashboard.py --sizes 100000,300000 --runs 15

Cases are generated as benchmarks/transparency.py makes them (five years, bodies from the routing rules, how
far a case got depends on its age) and copied in with COPY; the table is vacuumed and analysed as autovacuum
would leave it. The dashboard (GET /staff/) is then fetched through the whole application with signed-in test
clients: an admin for every body and for one body, and an investigator (their body only). The same run times
the sign-in page (a template and a session, no case query) as a reference, and prints the load average, the
CPU time of a request in the process that serves it (the test client runs the app in this process) and the
SQL statements it runs.
Target: the dashboard under 100 ms with a million cases.

PostgreSQL is a throwaway server started here with fsync on, as deployed (benchmarks/crash.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crash import postgres as durable_postgres  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402
from staff_queues import PASSWORD, p50, signed_in  # noqa: E402
from transparency import Generator, benchmark_config, load_cases  # noqa: E402

from civicwatch import create_app  # noqa: E402
from civicwatch.accounts.models import Role  # noqa: E402
from civicwatch.accounts.operations import create_user  # noqa: E402
from civicwatch.cases.counts import rebuild_case_counts, refresh_dashboard_medians  # noqa: E402
from civicwatch.cases.models import Case  # noqa: E402
from civicwatch.cases.reference_numbers import reference_permutation  # noqa: E402
from civicwatch.extensions import db  # noqa: E402
from civicwatch.routing.models import RoutingRule  # noqa: E402
from civicwatch.routing.rule_operations import load_routing_rules  # noqa: E402
from civicwatch.taxonomy.models import Body, Region, Theme  # noqa: E402
from civicwatch.taxonomy.operations import load_taxonomy  # noqa: E402

BODY = "police_oversight"
PAGES = [
    ("admin, every body", "admin", "/staff/"),
    (f"admin, one body ({BODY})", "admin", f"/staff/?body={BODY}"),
    (f"investigator ({BODY})", "investigator", "/staff/"),
]


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def prepare(app) -> Generator:
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        body = db.session.scalar(select(Body).where(Body.code == BODY))
        create_user("admin@bench.example.org", "Admin", Role.ADMIN, PASSWORD)
        create_user("investigator@bench.example.org", "Investigator", Role.INVESTIGATOR, PASSWORD, body=body)
        db.session.commit()
        rules = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority)))
        permutation = reference_permutation()  # drawn before the first case, kept
        db.session.commit()
        return Generator(7, dt.datetime.now(dt.UTC), rules, list(db.session.scalars(select(Body))),
                         list(db.session.scalars(select(Theme))), list(db.session.scalars(select(Region))), permutation)


def grow(app, url: str, generator: Generator, first: int, count: int) -> float:
    """Add cases numbered from `first` up to `count` in all, then VACUUM ANALYZE; seconds taken."""
    started = time.perf_counter()
    rows = generator.cases(count)
    for _ in range(first - 1):
        next(rows)  # the generator numbers cases from 1; skip those already loaded
    load_cases(url, {}, rows, "postgresql")
    with app.app_context():  # COPY bypasses the operations: count as the migration back-fills, as the worker does
        rebuild_case_counts()
        refresh_dashboard_medians()
        db.session.commit()
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE cases"))
    return time.perf_counter() - started


def measure(app, runs: int) -> dict:
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Case))
        db.session.remove()
    clients = {"admin": signed_in(app, "admin@bench.example.org"),
               "investigator": signed_in(app, "investigator@bench.example.org")}
    print(f"\n{total:,} cases (load average {_load()})", flush=True)
    reference, _ = p50(app.test_client(), "/login", runs)
    print(f"  {'reference: GET /login':<44} p50 {reference:7.1f} ms", flush=True)
    for label, role, path in PAGES:
        statements = statements_per_request(app, clients[role], path)
        cpu_started = time.process_time()
        median, worst = p50(clients[role], path, runs)
        cpu = (time.process_time() - cpu_started) * 1000 / (runs + 1)  # p50 fetches once more to warm up
        print(f"  {label:<44} p50 {median:7.1f} ms   max {worst:7.1f} ms   {median / reference:5.1f}x reference"
              f"   CPU {cpu:5.1f} ms/request   {statements} statements", flush=True)
    print(f"  load average after: {_load()}", flush=True)
    return clients


def statements_per_request(app, client, path: str) -> int:
    """SQL statements one request runs (this process's CPU time is the app's: the test client runs it here)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    client.get(path)
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def explain(app, client, path: str) -> None:
    """EXPLAIN ANALYZE of every statement one dashboard request runs: time, and the scans it chose."""
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    print(f"    (not explained) {' '.join(statement.split())[:100]}")
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = [row[0] for row in cursor.fetchall()]
                scans = sorted({re.sub(r"\s+\(.*", "", line.strip("-> ").strip())
                                for line in plan if "Scan" in line})
                print(f"    {plan[-1].strip():<28} {'; '.join(scans)[:110]}  <- {' '.join(statement.split())[:60]}")
    finally:
        raw.rollback()
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="case counts to time, ascending")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print the plan of each dashboard statement")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with durable_postgres() as url, tempfile.TemporaryDirectory() as tmp:
        # The audit anchor of this throwaway database, not the instance's.
        config = type("DashboardConfig", (benchmark_config(url, {}),),
                      {"AUDIT_ANCHOR_FILE": str(Path(tmp) / "audit_anchor.json")})
        app = create_app(config)
        generator = prepare(app)
        loaded = 0
        for size in sizes:
            # A fresh generator with the same seed: the first cases are the same whatever the sizes asked.
            seconds = grow(app, url, generator if loaded == 0 else prepare_generator(app), loaded + 1, size)
            print(f"\nPostgreSQL (fsync on): cases {loaded + 1:,} to {size:,} generated and loaded in {seconds:.0f} s",
                  flush=True)
            loaded = size
            clients = measure(app, args.runs)
            if args.explain:
                for label, role, path in PAGES:
                    print(f"  plans: {label}")
                    explain(app, clients[role], path)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def prepare_generator(app) -> Generator:
    with app.app_context():
        rules = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority)))
        permutation = reference_permutation()  # the key the first cases were given
        db.session.commit()
        return Generator(7, dt.datetime.now(dt.UTC), rules, list(db.session.scalars(select(Body))),
                         list(db.session.scalars(select(Theme))), list(db.session.scalars(select(Region))), permutation)


if __name__ == "__main__":
    main()
