"""Staff queues with 100,000 cases: p50 time of the main queue page and of a search, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/staff_queues.py                          # SQLite only
    scripts/with-postgres.sh .venv/bin/python benchmarks/staff_queues.py # SQLite, then PostgreSQL

Cases are bulk-inserted (the search index is kept by the same triggers or index as in production), then
pages are fetched through the whole application stack with a signed-in test client. Target: under 200 ms
on PostgreSQL.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text  # noqa: E402

from civicwatch import create_app  # noqa: E402
from civicwatch.accounts.models import Role  # noqa: E402
from civicwatch.accounts.operations import create_user  # noqa: E402
from civicwatch.cases.counts import rebuild_case_counts, refresh_dashboard_medians  # noqa: E402
from civicwatch.cases.models import Case, CaseStatus, Channel  # noqa: E402
from civicwatch.cases.reference_numbers import public_reference, reference_permutation  # noqa: E402
from civicwatch.demo.operations import demo_examples  # noqa: E402
from civicwatch.extensions import db  # noqa: E402
from civicwatch.routing.rule_operations import load_routing_rules  # noqa: E402
from civicwatch.taxonomy.models import Body, District, Region, Theme  # noqa: E402
from civicwatch.taxonomy.operations import load_taxonomy  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.postgres import throwaway_schema  # noqa: E402

PASSWORD = "benchmark password 1234"
STATUSES = [(CaseStatus.RECEIVED, 5), (CaseStatus.TRIAGED, 5), (CaseStatus.ACKNOWLEDGED, 8),
            (CaseStatus.INVESTIGATING, 15), (CaseStatus.RESPONDED, 7), (CaseStatus.CLOSED, 50),
            (CaseStatus.REJECTED, 5), (CaseStatus.WITHDRAWN, 3), (CaseStatus.REOPENED, 2)]
SEARCHES = ["checkpoint beat", "bribe", "detained without charge", "Kenema", "fuel sold"]


def make_app(url: str, engine_options: dict, workdir: Path):
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": str(workdir / "models"),
        "LOG_LEVEL": "WARNING",
    })
    return create_app(config)


def fill(count: int, seed: int) -> None:
    """Bulk insert `count` cases with realistic text, places, statuses and deadlines, and the references the app
    gives them (the keyed permutation of their ids)."""
    rng = random.Random(seed)
    examples = demo_examples()
    themes = {t.code: t.id for t in db.session.scalars(select(Theme))}
    regions = {r.code: r.id for r in db.session.scalars(select(Region))}
    districts = {d.code: d.id for d in db.session.scalars(select(District))}
    bodies = [b.id for b in db.session.scalars(select(Body))]
    statuses, weights = zip(*STATUSES, strict=False)
    now = dt.datetime.now(dt.UTC)
    first = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
    reference_permutation()  # drawn before the cases, as for a deployment's first case
    db.session.commit()  # kept for the process from then on
    batch = []
    for case_id in range(first, first + count):
        example = rng.choice(examples)
        created = now - dt.timedelta(days=rng.uniform(0, 365))
        status = rng.choices(statuses, weights)[0]
        body = None if status is CaseStatus.RECEIVED and rng.random() < 0.5 else rng.choice(bodies)
        acknowledged = created + dt.timedelta(days=rng.uniform(0.2, 5)) if status not in (
            CaseStatus.RECEIVED, CaseStatus.TRIAGED, CaseStatus.REJECTED) else None
        closed = created + dt.timedelta(days=rng.uniform(10, 120)) if status in (
            CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN) else None
        batch.append({
            "id": case_id, "reference": public_reference(created.year, case_id), "receipt_hash": uuid.uuid4().hex * 2,
            "text": example["text"], "channel": Channel.WEB, "status": status,
            "theme_id": themes.get(example.get("theme")), "theme_confidence": round(rng.uniform(0.3, 0.99), 3),
            "region_id": regions.get(example.get("region")), "district_id": districts.get(example.get("district")),
            "urgent": rng.random() < 0.06, "body_id": body, "routed_by_hand": False,
            "acknowledge_due_at": created + dt.timedelta(hours=72), "respond_due_at": created + dt.timedelta(days=90),
            "acknowledged_at": acknowledged, "closed_at": closed,
            "responded_at": closed if status is CaseStatus.CLOSED else None,
            "created_at": created, "updated_at": created, "version": 1,
        })
        if len(batch) == 5000:
            db.session.execute(insert(Case), batch)
            batch = []
    if batch:
        db.session.execute(insert(Case), batch)
    if db.engine.dialect.name == "postgresql":  # the ids were given: the sequence goes on after them
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    rebuild_case_counts()  # the bulk insert bypasses the operations that keep the dashboard's figures
    refresh_dashboard_medians()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def p50(client, url: str, runs: int) -> tuple[float, float]:
    client.get(url)  # warm caches and the query plan
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), max(times)


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def run(name: str, url: str, engine_options: dict, count: int, runs: int, workdir: Path) -> None:
    app = make_app(url, engine_options, workdir)
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        body = db.session.scalar(select(Body).where(Body.code == "human_rights_commission"))
        triage = create_user("triage@bench.example.org", "Triage", Role.TRIAGE, PASSWORD)
        investigator = create_user("hrc@bench.example.org", "Investigator", Role.INVESTIGATOR, PASSWORD, body=body)
        db.session.commit()
        start = time.perf_counter()
        fill(count, seed=7)
        filled = time.perf_counter() - start
        total = db.session.scalar(select(func.count()).select_from(Case))
        emails = {"triage": triage.email, "investigator": investigator.email}
        db.session.remove()
    print(f"\n{name}: {total:,} cases inserted in {filled:.1f} s")
    # Requests run outside any app context of ours, each in its own, as in production.
    clients = {role: signed_in(app, email) for role, email in emails.items()}
    pages = [
        ("triage officer, main queue (triage queue)", "triage", "/staff/cases"),
        ("triage officer, all in progress", "triage", "/staff/cases?queue=open"),
        ("investigator, main queue (body's cases)", "investigator", "/staff/cases"),
        ("investigator, overdue", "investigator", "/staff/cases?queue=overdue"),
        ("triage officer, dashboard (every body)", "triage", "/staff/"),
    ] + [(f"search '{q}' (every case)", "triage", f"/staff/cases?queue=all&q={q.replace(' ', '+')}")
         for q in SEARCHES] + [
        ("investigator search 'beat' (own body)", "investigator", "/staff/cases?queue=all&q=beat"),
    ]
    for label, role, path in pages:
        median, worst = p50(clients[role], path, runs)
        print(f"  {label:<48} p50 {median:7.1f} ms   max {worst:7.1f} ms")
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", {}, args.cases, args.runs, workdir)
        postgres = os.environ.get("TEST_DATABASE_URL", "")
        if postgres.startswith("postgresql"):
            with throwaway_schema(postgres, prefix="bench") as schema:
                run("PostgreSQL", postgres, {"connect_args": {"options": f"-csearch_path={schema}"}},
                    args.cases, args.runs, workdir)
        else:
            print("\nPostgreSQL: skipped (run under scripts/with-postgres.sh to include it)")


if __name__ == "__main__":
    main()
