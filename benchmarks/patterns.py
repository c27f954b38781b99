"""Pattern alerts and related-case suggestions on many cases with planted clusters.

    .venv/bin/python benchmarks/patterns.py --cases 200000                          # SQLite
    scripts/with-postgres.sh .venv/bin/python benchmarks/patterns.py --postgres-only  # PostgreSQL

Background: cases over the last year spread over every district, one allegation each, one in ten naming a unit,
post or officer of a register (one subject per 40 cases), texts drawn from the demo corpus with words of their
own so that no two read alike. Planted: subjects with 3 to 6 allegations of abuse of force in the last 60 days,
districts whose cases of the last 30 days are 2.5 times their usual, and duplicates (a report sent again a day
later, a few words changed, in the same district). Prints the precision and recall of the alerts of one full
pattern run against the planted clusters (targets 0.9 / 0.9), its time (target < 60 s on PostgreSQL), the
share of duplicates whose original is among the top five suggestions and the precision of the suggestions
marked duplicate, and the p50 time of suggestions for one new case (target < 50 ms).
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
from tests.postgres import throwaway_schema  # noqa: E402

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
BATCH = 5000
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
            "reference": f"CW-{created.year}-{case_id:07d}", "receipt_hash": uuid.uuid4().hex * 2,
            "text": body_text or self.text(), "channel": Channel.WEB, "status": CaseStatus.INVESTIGATING,
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
        if self.cases:
            db.session.execute(insert(Case), self.cases)
            db.session.execute(insert(Allegation), self.allegations)
            self.written += len(self.cases)
            self.cases, self.allegations = [], []


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
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    planted = {f"subject:{s}" for s in planted_subjects} | {f"district:{d}" for d in surge}
    return planted, pairs, time.perf_counter() - start


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
        print(f"\n{name}: {total:,} cases ({count:,} background) with planted clusters, written in {filled:.0f} s")

        start = time.perf_counter()
        clusters = find_clusters(rules_from_config(Config.PATTERN_RULES), NOW)
        raise_alerts(clusters)
        db.session.commit()
        elapsed = time.perf_counter() - start
        found = {c.key for c in clusters if c.rule.code in ("force_by_subject", "place_surge")}
        hits = len(found & planted)
        print(f"  full pattern run: {elapsed:.1f} s, {len(clusters)} alerts")
        print(f"  alerts against planted: precision {hits / max(len(found), 1):.2f}, "
              f"recall {hits / len(planted):.2f} ({hits} of {len(planted)} planted, {len(found) - hits} others)")

        timings, top5, marked, marked_right = [], 0, 0, 0
        for original, duplicate in pairs:
            case = db.session.get(Case, duplicate)
            begin = time.perf_counter()
            suggestions = suggest_related_cases(case)
            timings.append((time.perf_counter() - begin) * 1000)
            top5 += any(s.case_id == original for s in suggestions)
            for suggestion in suggestions:
                if suggestion.kind is RelationKind.DUPLICATE:
                    marked += 1
                    marked_right += suggestion.case_id == original
            db.session.expire_all()
        print(f"  duplicates: original among the top 5 for {top5 / len(pairs):.2f}; suggestions marked duplicate "
              f"right {marked_right / max(marked, 1):.2f} ({marked_right} of {marked})")
        print(f"  suggestions for one case: p50 {statistics.median(timings):.1f} ms, "
              f"p95 {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    set_clock(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000, help="background cases (the issue asks 1,000,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.postgres_only:
            measure("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", {}, args.cases, workdir, args.seed)
        postgres = os.environ.get("TEST_DATABASE_URL", "")
        if postgres.startswith("postgresql"):
            with throwaway_schema(postgres, prefix="bench") as schema:
                measure("PostgreSQL", postgres, {"connect_args": {"options": f"-csearch_path={schema}"}},
                        args.cases, workdir, args.seed)
        else:
            print("\nPostgreSQL: skipped (run under scripts/with-postgres.sh to include it)")


if __name__ == "__main__":
    main()
