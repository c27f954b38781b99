"""Public statistics and open data at scale.

Generates cases spread over five years (1,000,000 in PostgreSQL when TEST_DATABASE_URL points at one, as
under scripts/with-postgres.sh; 200,000 in SQLite otherwise), routed by the default rules and further along
the older they are, with recommendations and published answers. Then it builds the statistics rollup, times
a routine refresh, and prints the median (p50) time of:
  - /transparency for one calendar year (and with a body or a region filter, and for all time),
  - the full statistics CSV export (all time, every table of the page),
  - the published answers CSV export (one year, and every published answer),
with the peak Python memory of each, measured with tracemalloc in a separate run of the same request.
Target: /transparency under 300 ms on PostgreSQL with a million cases; exports in constant memory.

    scripts/with-postgres.sh .venv/bin/python benchmarks/transparency.py
    .venv/bin/python benchmarks/transparency.py
    .venv/bin/python benchmarks/transparency.py --cases 50000 --runs 5
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text, update  # noqa: E402

from civicwatch import create_app  # noqa: E402
from civicwatch.accounts.models import Role  # noqa: E402
from civicwatch.accounts.operations import create_user  # noqa: E402
from civicwatch.cases.models import Case, CaseStatus, Outcome, RemedyStatus  # noqa: E402
from civicwatch.cases.reference_numbers import Permutation, reference_permutation  # noqa: E402
from civicwatch.cases.search import POSTGRES_DDL  # noqa: E402
from civicwatch.extensions import db  # noqa: E402
from civicwatch.routing.models import RoutingRule  # noqa: E402
from civicwatch.routing.rule_operations import load_routing_rules  # noqa: E402
from civicwatch.taxonomy.models import Body, Region, Theme  # noqa: E402
from civicwatch.taxonomy.operations import load_taxonomy  # noqa: E402
from civicwatch.transparency.models import statistics_cells, statistics_durations  # noqa: E402
from civicwatch.transparency.rollup import refresh_statistics  # noqa: E402
from config import TestingConfig  # noqa: E402

YEARS = 5
TEXTS = [
    "Soldiers at the checkpoint beat my brother with sticks because he had no ID card and took his phone.",
    "Police have held my husband for nine days without charge and we cannot see him or bring him food.",
    "Officers at the junction take twenty thousand leones from every okada rider each morning.",
    "The unit's fuel is sold in the market by the transport officer while the patrol vehicles stay parked.",
    "We called the station three times when thieves broke into the shop and nobody came until morning.",
    "Men from the intelligence office came to the radio station and copied the phones of the reporters.",
    "Warders at our prison have not received the risk allowance for seven months and nobody explains why.",
]
CASE_COLUMNS = (
    "reference", "receipt_hash", "text", "channel", "status", "theme_id", "theme_confidence", "model_version",
    "region_id", "urgent", "body_id", "routed_by_hand", "acknowledge_due_at", "respond_due_at",
    "acknowledged_at", "responded_at", "closed_at", "outcome", "findings", "draft_public_response",
    "satisfaction", "status_reason", "version", "created_at", "updated_at",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=None, help="default: 1,000,000 (PostgreSQL), 200,000 (SQLite)")
    parser.add_argument("--runs", type=int, default=9, help="timed requests per figure (default 9)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL tables for a closer look")
    return parser.parse_args()


def benchmark_config(url: str, engine_options: dict) -> type:
    return type("BenchmarkConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "UPLOAD_DIR": tempfile.mkdtemp(), "MODEL_DIR": tempfile.mkdtemp(), "TESTING": False,
        "STATISTICS_REFRESH_SECONDS": 60,  # as in production: pages read the rollup, refreshed each minute
    })


# ---------------------------------------------------------------- data

class Generator:
    """Cases as a deployment would have them: bodies follow the routing rules from the theme (and region),
    and how far a case got depends on its age (old cases are mostly closed, recent ones mostly open). Case n is
    the n-th row of the fresh table, so its id is n, and its reference the app's for that id under the database's
    key (`permutation`, drawn and committed before any case)."""

    def __init__(self, seed: int, now: dt.datetime, rules: list[RoutingRule], bodies: list[Body],
                 themes: list[Theme], regions: list[Region], permutation: Permutation) -> None:
        self.rng = random.Random(seed)
        self.permutation = permutation
        self.now = now
        self.rules = [(r.theme_id, r.region_id, r.actor_id, r.body_id) for r in rules]
        self.deadlines = {b.id: (b.acknowledge_days, b.respond_days) for b in bodies}
        self.themes = [t.id for t in themes]
        self.regions = [r.id for r in regions] + [None, None]

    def _body(self, theme_id: int, region_id: int | None) -> int | None:
        for rule_theme, rule_region, rule_actor, body_id in self.rules:
            if rule_theme == theme_id and rule_actor is None and rule_region in (None, region_id):
                return body_id
        return None

    def _status(self, age_days: float) -> CaseStatus:
        rng = self.rng
        if age_days < 5:
            return rng.choice([CaseStatus.RECEIVED, CaseStatus.TRIAGED, CaseStatus.ACKNOWLEDGED])
        if age_days < 60:
            return rng.choices([CaseStatus.ACKNOWLEDGED, CaseStatus.INVESTIGATING, CaseStatus.RESPONDED,
                                CaseStatus.CLOSED, CaseStatus.REJECTED], [1, 5, 2, 2, 1])[0]
        return rng.choices([CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN,
                            CaseStatus.INVESTIGATING, CaseStatus.RESPONDED, CaseStatus.REOPENED],
                           [80, 6, 4, 2, 4, 3, 1])[0]

    def cases(self, count: int) -> Iterator[tuple]:
        rng, now = self.rng, self.now
        span = dt.timedelta(days=365 * YEARS).total_seconds()
        for number in range(1, count + 1):
            created = now - dt.timedelta(seconds=rng.random() * span)
            theme, region = rng.choice(self.themes), rng.choice(self.regions)
            body = self._body(theme, region) if rng.random() > 0.03 else None
            status = self._status((now - created).days) if body else CaseStatus.RECEIVED
            yield self._row(number, created, theme, region, body, status)

    def _row(self, number: int, created: dt.datetime, theme: int, region: int | None, body: int | None,
             status: CaseStatus) -> tuple:
        rng, now = self.rng, self.now
        ack_days, respond_days = self.deadlines.get(body, (5, 60))  # working days: about 7/5 as many calendar days
        acknowledged = responded = closed = outcome = satisfaction = findings = None
        if status not in (CaseStatus.RECEIVED, CaseStatus.TRIAGED, CaseStatus.REJECTED, CaseStatus.REFERRED,
                          CaseStatus.WITHDRAWN):
            acknowledged = min(now, created + dt.timedelta(hours=rng.expovariate(1 / 40)))
        if status in (CaseStatus.RESPONDED, CaseStatus.CLOSED):
            responded = min(now, (acknowledged or created) + dt.timedelta(days=rng.expovariate(1 / 45)))
            outcome = rng.choice(list(Outcome)).value
            findings = "Findings of the investigation."
            satisfaction = rng.choice([None, None, 1, 2, 3, 4, 5])
        if status is CaseStatus.CLOSED:
            closed = min(now, responded + dt.timedelta(days=rng.expovariate(1 / 10)))
        elif status in (CaseStatus.REJECTED, CaseStatus.REFERRED, CaseStatus.WITHDRAWN):
            closed = min(now, created + dt.timedelta(days=rng.expovariate(1 / 8)))
        digest = hashlib.sha256(f"bench-{number}".encode()).hexdigest()
        return (
            self.permutation.reference(created.year, number), digest, rng.choice(TEXTS), "web", status.value, theme,
            round(rng.uniform(0.5, 0.99), 3), "bench", region, rng.random() < 0.05, body, rng.random() < 0.12,
            created + dt.timedelta(days=ack_days * 7 / 5), created + dt.timedelta(days=respond_days * 7 / 5),
            acknowledged, responded, closed, outcome, findings, None, satisfaction,
            "Outside the mandate." if closed and status is not CaseStatus.CLOSED else None, 1, created, created,
        )


def load_cases(engine_url: str, engine_options: dict, rows: Iterator[tuple], dialect: str) -> None:
    engine = create_engine(engine_url, **engine_options)
    if dialect == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS ix_cases_fts_document")
                with cursor.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                for statement in POSTGRES_DDL:
                    cursor.execute(statement)
            raw.commit()
        finally:
            raw.close()
    else:
        placeholders = ", ".join("?" for _ in CASE_COLUMNS)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            batch: list[tuple] = []
            for row in rows:
                batch.append(tuple(_sqlite_value(v) for v in row))
                if len(batch) == 20_000:
                    cursor.executemany(f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({placeholders})", batch)
                    batch.clear()
            if batch:
                cursor.executemany(f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({placeholders})", batch)
            raw.commit()
        finally:
            raw.close()
    engine.dispose()


def _sqlite_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def add_recommendations_and_publications(dialect: str, author_id: int, seed: int) -> tuple[int, int]:
    """About one answered case in four gets a recommendation; one in three a published answer."""
    rng = random.Random(seed)
    answered = db.session.execute(text(
        "SELECT id, body_id, theme_id, outcome, responded_at FROM cases "
        "WHERE status IN ('responded', 'closed')")).all()
    recommendations, publications = [], []
    statuses = [s.value for s in RemedyStatus]
    for case_id, body_id, theme_id, outcome, responded_at in answered:
        if rng.random() < 0.25:
            recommendations.append({"case_id": case_id, "text": "Retrain the officers at the post.",
                                    "status": rng.choice(statuses)})
        if rng.random() < 0.33:
            when = responded_at if isinstance(responded_at, dt.datetime) else dt.datetime.fromisoformat(
                str(responded_at)).replace(tzinfo=dt.UTC)
            publications.append({
                "case_id": case_id, "version": 1, "status": "published", "body_id": body_id,
                "theme_id": theme_id, "outcome": outcome, "author_id": author_id, "approver_id": author_id,
                "summary": "The complainant reported that officers demanded money at a checkpoint. [name] "
                           "was questioned and the duty roster examined.",
                "response": "The commission found the complaint partly substantiated and recommended "
                            "disciplinary action against the officers on duty that day.",
                "summary_source": "", "response_source": "", "redactions": "[]", "extra_terms": "[]",
                "published_at": when + dt.timedelta(days=3), "created_at": when, "row_version": 1,
            })
    now_value = dt.datetime.now(dt.UTC)
    for rows, table in ((recommendations, "recommendations"), (publications, "publications")):
        if not rows:
            continue
        columns = list(rows[0]) + (["created_at", "updated_at"] if table == "recommendations" else [])
        statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
        batch = []
        for row in rows:
            if table == "recommendations":
                row = {**row, "created_at": now_value, "updated_at": now_value}
            if dialect == "sqlite":
                row = {k: _sqlite_value(v) for k, v in row.items()}
            batch.append(row)
            if len(batch) == 20_000:
                db.session.execute(statement, batch)
                batch = []
        if batch:
            db.session.execute(statement, batch)
    db.session.commit()
    return len(recommendations), len(publications)


# ---------------------------------------------------------------- measuring

def time_request(client, path: str, runs: int) -> tuple[float, int, int]:
    """p50 in ms over `runs` requests after one warm-up, the status and the response size."""
    response = client.get(path)
    size = len(response.get_data())
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        response.get_data()  # a streamed response is produced while it is read
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), response.status_code, size


def peak_memory(client, path: str) -> float:
    """Peak Python memory (MiB) while producing the whole response, read chunk by chunk."""
    gc.collect()
    tracemalloc.start()
    response = client.get(path, buffered=False)
    for _chunk in response.response:
        pass
    response.close()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1024 * 1024)


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def build_rollup(app) -> tuple[float, float]:
    """The first full build of the statistics rollup, and a routine refresh after 500 recent changes (ms)."""
    with app.app_context():
        full, _ = timed(refresh_statistics, full=True)
        db.session.commit()
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
        recent = db.session.scalars(select(Case.id).order_by(Case.created_at.desc()).limit(500)).all()
        db.session.execute(update(Case).where(Case.id.in_(recent)).values(updated_at=later))
        db.session.commit()
        incremental, result = timed(refresh_statistics, now=later + dt.timedelta(minutes=1))
        db.session.commit()
        assert not result.full
        return full, incremental


def main() -> None:
    args = parse_args()
    postgres_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if postgres_url.startswith("postgresql"):
        dialect, url, count = "postgresql", postgres_url, args.cases or 1_000_000
    else:
        path = Path(tempfile.mkdtemp()) / "benchmark.sqlite3"
        dialect, url, count = "sqlite", f"sqlite:///{path}", args.cases or 200_000
    app = create_app(benchmark_config(url, {}))
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        author = create_user("bench@example.org", "Benchmark", Role.ADMIN, "benchmark-password-123")
        permutation = reference_permutation()
        db.session.commit()
        generator = Generator(args.seed, now, list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority))),
                              list(db.session.scalars(select(Body))), list(db.session.scalars(select(Theme))),
                              list(db.session.scalars(select(Region))), permutation)
        started = time.perf_counter()
        load_cases(url, {}, generator.cases(count), dialect)
        recommendations, publications = add_recommendations_and_publications(dialect, author.id, args.seed)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"))
        load_seconds = time.perf_counter() - started
    print(f"{dialect}: {count:,} cases over {YEARS} years, {recommendations:,} recommendations, "
          f"{publications:,} published answers (generated and loaded in {load_seconds:.0f} s)")
    full, incremental = build_rollup(app)
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(statistics_cells))
        durations = db.session.scalar(select(func.count()).select_from(statistics_durations))
    print(f"statistics rollup: first full build {full / 1000:.1f} s ({rows:,} cells, {durations:,} duration rows); "
          f"refresh after 500 changed cases {incremental:.0f} ms")

    year = now.year - 1
    client = app.test_client()
    pages = [
        (f"/transparency for {year}", f"/transparency?period={year}", args.runs),
        (f"/transparency for {year}, one body", f"/transparency?period={year}&body=police_oversight", args.runs),
        (f"/transparency for {year}, one region", f"/transparency?period={year}&region=eastern", args.runs),
        ("/transparency, all time", "/transparency?period=all", args.runs),
        ("statistics CSV, all time", "/transparency/statistics.csv?period=all", args.runs),
        (f"published answers CSV, {year}", f"/published/answers.csv?year={year}", 3),
        ("published answers CSV, all", "/published/answers.csv", 3),
    ]
    print(f"{'request':<40} {'p50 ms':>9} {'status':>7} {'bytes':>13} {'peak MiB':>9}")
    for label, path, runs in pages:
        p50, status, size = time_request(client, path, runs)
        memory = peak_memory(client, path)
        print(f"{label:<40} {p50:>9.1f} {status:>7} {size:>13,} {memory:>9.1f}")
    with app.app_context():
        db.session.remove()
        if dialect == "postgresql" and not args.keep:
            db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
