"""Pattern alerts and related-case suggestions on many cases with planted clusters.

    .venv/bin/python benchmarks/patterns.py --cases 1000000                   # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/patterns.py --cases 1000000 --only postgresql

Background: cases over the last year spread over every district, one allegation each, one in ten naming a unit,
post or officer of a register (one subject per 40 cases), texts drawn from the demo corpus with words of their
own so that no two read alike. Planted: subjects with 3 to 6 allegations of abuse of force in the last 60 days,
districts whose cases of the last 30 days are 2.5 times their usual, and duplicates (a report sent again a day
later, a few words changed, in the same district). Prints the precision and recall of the alerts of one full
pattern run against the planted clusters (targets 0.9 / 0.9), its time (target < 60 s on PostgreSQL), the
share of duplicates whose original is among the top five suggestions and the precision of the suggestions
marked duplicate, and the p50 time of suggestions for one new case (target < 50 ms).

PostgreSQL is a throwaway server started here with fsync on, as deployed (benchmarks/crash.py); cases and
allegations go in with COPY (the search index is built after, as a restore would). Each timing is printed with
the CPU time this process spent in it (the rest is the database and waiting) and the load average.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crash import postgres as durable_postgres  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from civicwatch import create_app  # noqa: E402
from civicwatch.cases.models import Case, CaseStatus, Channel  # noqa: E402
from civicwatch.database import set_clock  # noqa: E402
from civicwatch.demo.operations import demo_examples  # noqa: E402
from civicwatch.extensions import db  # noqa: E402
from civicwatch.patterns.alerts import raise_alerts  # noqa: E402
from civicwatch.patterns.detection import find_clusters, rules_from_config  # noqa: E402
from civicwatch.patterns.models import Allegation, RelationKind, Subject, SubjectKind  # noqa: E402
from civicwatch.patterns.operations import suggest_related_cases  # noqa: E402
from civicwatch.routing.rule_operations import load_routing_rules  # noqa: E402
from civicwatch.taxonomy.models import Actor, Body, District, Theme  # noqa: E402
from civicwatch.taxonomy.operations import load_taxonomy  # noqa: E402
from config import Config, TestingConfig  # noqa: E402

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
BATCH = 20_000
CASE_COLUMNS = ("id", "reference", "receipt_hash", "text", "channel", "status", "theme_id", "district_id", "body_id",
                "actor_id", "incident_date", "urgent", "routed_by_hand", "created_at", "updated_at", "version")
ALLEGATION_COLUMNS = ("case_id", "theme_id", "district_id", "subject_id", "incident_date", "created_at",
                      "updated_at")
VOCABULARY = [f"{a}{b}{c}" for a in ("ka", "mo", "se", "tu", "bi", "lo", "fa", "ny") for b in
              ("ren", "lat", "mox", "dun", "pil", "gar", "sem", "tok") for c in ("a", "o", "u", "i", "ey")]


class Fill:
    """Rows written so far; ids follow insertion order on the fresh tables."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.examples = [e["text"] for e in demo_examples()]
        self.themes = {t.code: t.id for t in db.session.scalars(select(Theme))}
        self.districts = [d.id for d in db.session.scalars(select(District))]
        self.actors = [a.id for a in db.session.scalars(select(Actor))]
        self.bodies = [b.id for b in db.session.scalars(select(Body))]
        self.cases: list[dict] = []
        self.allegations: list[dict] = []
        self.next_id = 1
        self.written = 0

    def text(self) -> str:
        words = " ".join(self.rng.choice(VOCABULARY) for _ in range(12))
        return f"{self.rng.choice(self.examples)} {words}."

    def add(self, created: dt.datetime, district: int | None, theme: str, subject: int | None = None,
            body_text: str | None = None) -> int:
        case_id = self.next_id
        self.next_id += 1
        self.cases.append({
            "id": case_id, "reference": f"CW-{created.year}-{case_id:07d}", "receipt_hash": uuid.uuid4().hex * 2,
            "text": body_text or self.text(), "channel": Channel.WEB.value,
            "status": CaseStatus.INVESTIGATING.value,
            "theme_id": self.themes[theme], "district_id": district, "body_id": self.rng.choice(self.bodies),
            "actor_id": self.rng.choice(self.actors), "incident_date": created.date(), "urgent": False,
            "routed_by_hand": False, "created_at": created, "updated_at": created, "version": 1})
        self.allegations.append({"case_id": case_id, "theme_id": self.themes[theme], "district_id": district,
                                 "subject_id": subject, "incident_date": created.date(), "created_at": created,
                                 "updated_at": created})
        if len(self.cases) >= BATCH:
            self.flush()
        return case_id

    def flush(self) -> None:
        if not self.cases:
            return
        if db.engine.dialect.name == "postgresql":
            _copy("cases", CASE_COLUMNS, self.cases)
            _copy("allegations", ALLEGATION_COLUMNS, self.allegations)
        else:
            db.session.execute(insert(Case.__table__), self.cases)
            db.session.execute(insert(Allegation.__table__), self.allegations)
        self.written += len(self.cases)
        self.cases, self.allegations = [], []


def _copy(table: str, columns: tuple[str, ...], rows: list[dict]) -> None:
    """COPY into `table` on the session's own connection (the same transaction)."""
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _drop_indexes() -> list[str]:
    """As a restore does: no foreign key checks row by row during COPY (the rows refer to the taxonomy just loaded)
    and the secondary indexes of cases and allegations built after it; returns the statements that build them."""
    db.session.execute(text("SET session_replication_role = replica"))
    rows = db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases', 'allegations') "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
    for name, _ in rows:
        db.session.execute(text(f"DROP INDEX {name}"))
    return [definition for _, definition in rows]


def make_subjects(count: int, rng: random.Random) -> list[int]:
    bodies = [b.id for b in db.session.scalars(select(Body))]
    kinds = list(SubjectKind)
    rows = [{"body_id": rng.choice(bodies), "kind": kinds[i % 3], "name": f"Subject {i}", "active": True,
             "created_at": NOW} for i in range(count)]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Subject), rows[start:start + BATCH])
    return list(db.session.scalars(select(Subject.id).order_by(Subject.id)))


def fill(count: int, seed: int) -> tuple[set[str], list[tuple[int, int]], float]:
    """Background and planted cases; returns the planted alert keys, (original, duplicate) pairs, seconds."""
    start = time.perf_counter()
    postgres = db.engine.dialect.name == "postgresql"
    indexes = _drop_indexes() if postgres else []
    data = Fill(seed)
    rng = data.rng
    subjects = make_subjects(max(50, count // 40), rng)
    themes = list(data.themes)
    planted_subjects = rng.sample(subjects, 50)
    background_subjects = [s for s in subjects if s not in set(planted_subjects)]
    surge = set(rng.sample(data.districts, 3))
    for _ in range(count):
        created = NOW - dt.timedelta(days=rng.uniform(0, 365))
        subject = rng.choice(background_subjects) if rng.random() < 0.1 else None
        data.add(created, rng.choice(data.districts), rng.choice(themes), subject)
    usual = count * 30 / 365 / len(data.districts)
    for district in surge:
        for _ in range(int(usual * 1.5)):
            data.add(NOW - dt.timedelta(days=rng.uniform(0, 29.5)), district, rng.choice(themes))
    for subject in planted_subjects:
        for _ in range(rng.randint(3, 6)):
            data.add(NOW - dt.timedelta(days=rng.uniform(0, 60)), rng.choice(data.districts), "abuse_of_force",
                     subject)
    pairs = []
    for _ in range(200):
        district, theme = rng.choice(data.districts), rng.choice(themes)
        created = NOW - dt.timedelta(days=rng.uniform(2, 300))
        original_text = data.text()
        original = data.add(created, district, theme, body_text=original_text)
        words = original_text.split()
        for _ in range(3):
            words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
        duplicate = data.add(created + dt.timedelta(hours=rng.uniform(2, 30)), district, theme,
                             body_text=" ".join(words))
        pairs.append((original, duplicate))
    data.flush()
    if postgres:
        db.session.execute(text("SET session_replication_role = DEFAULT"))
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
        db.session.execute(text("SET maintenance_work_mem = '512MB'"))
        for statement in indexes:
            db.session.execute(text(statement))
    db.session.commit()
    if postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    planted = {f"subject:{s}" for s in planted_subjects} | {f"district:{d}" for d in surge}
    return planted, pairs, time.perf_counter() - start


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def measure(name: str, url: str, engine_options: dict, count: int, workdir: Path, seed: int) -> None:
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": str(workdir / "models"), "LOG_LEVEL": "WARNING",
        "AUDIT_ANCHOR_FILE": str(workdir / "audit_anchor.json")})
    app = create_app(config)
    set_clock(lambda: NOW)
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        db.session.commit()
        planted, pairs, filled = fill(count, seed)
        total = db.session.scalar(select(db.func.count(Case.id)))
        print(f"\n{name}: {total:,} cases ({count:,} background) with planted clusters, written in {filled:.0f} s "
              f"(load average {_load()})", flush=True)

        start, cpu = time.perf_counter(), time.process_time()
        clusters = find_clusters(rules_from_config(Config.PATTERN_RULES), NOW)
        raise_alerts(clusters)
        db.session.commit()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        found = {c.key for c in clusters if c.rule.code in ("force_by_subject", "place_surge")}
        hits = len(found & planted)
        print(f"  full pattern run: {elapsed:.1f} s ({cpu:.1f} s CPU here), {len(clusters)} alerts", flush=True)
        print(f"  alerts against planted: precision {hits / max(len(found), 1):.2f}, "
              f"recall {hits / len(planted):.2f} ({hits} of {len(planted)} planted, {len(found) - hits} others)",
              flush=True)

        timings, top5, marked, marked_right, cpu = [], 0, 0, 0, 0.0
        for original, duplicate in pairs:
            case = db.session.get(Case, duplicate)
            begin, begin_cpu = time.perf_counter(), time.process_time()
            suggestions = suggest_related_cases(case)
            timings.append((time.perf_counter() - begin) * 1000)
            cpu += time.process_time() - begin_cpu
            top5 += any(s.case_id == original for s in suggestions)
            for suggestion in suggestions:
                if suggestion.kind is RelationKind.DUPLICATE:
                    marked += 1
                    marked_right += suggestion.case_id == original
            db.session.expire_all()
        print(f"  duplicates: original among the top 5 for {top5 / len(pairs):.2f}; suggestions marked duplicate "
              f"right {marked_right / max(marked, 1):.2f} ({marked_right} of {marked})")
        print(f"  suggestions for one case: p50 {statistics.median(timings):.1f} ms, "
              f"p95 {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms ({cpu * 1000 / len(pairs):.1f} ms CPU here "
              f"on average)")
        print(f"  load average after: {_load()}", flush=True)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    set_clock(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="background cases")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            measure("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", {}, args.cases, workdir, args.seed)
        if args.only in (None, "postgresql"):
            with durable_postgres() as url:
                measure("PostgreSQL (fsync on)", url, {}, args.cases, workdir, args.seed)


if __name__ == "__main__":
    main()
