"""Pattern alerts and related-case suggestions on many cases with planted clusters.

    .venv/bin/python benchmarks/patterns.py --cases 1000000                   # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/patterns.py --cases 1000000 --only postgresql
    .venv/bin/python benchmarks/patterns.py --only postgresql --data-dir /tmp/cw-patterns   # load once, then reuse

Background: cases over the last year spread over every district, one allegation each, one in ten naming a unit,
post or officer of a register (one subject per 40 cases), texts drawn from the demo corpus with words of their
own so that no two read alike. Planted: subjects with 3 to 6 allegations of abuse of force in the last 60 days,
districts whose cases of the last 30 days are 2.5 times their usual, and duplicates (a report sent again a day
later, a few words changed, in the same district). Prints the precision and recall of the alerts of one full
pattern run against the planted clusters (targets 0.9 / 0.9), its time (target < 60 s on PostgreSQL), the
share of duplicates whose original is among the top five suggestions and the precision of the suggestions
marked duplicate, and the p50 time of suggestions for one new case (target < 50 ms).

PostgreSQL is a server started here with fsync on, as deployed (as benchmarks/crash.py starts one), loaded as a
restore would be: the background cases, their allegations and subject links generated inside the database from
one seeded random stream (INSERT ... SELECT over generate_series: only their references cross the wire, made here
with the database's key from the ids and the years drawn, as the app makes them), the planted ones
copied in with COPY, foreign keys not checked row by row and the secondary indexes built once after the load,
then one VACUUM ANALYZE of the loaded tables. Left out: the full-text search index of cases (staff search; nothing
measured here reads it, and building it over a million texts was the slowest step of the load). Nothing is unlogged: every table is written through the WAL and
fsynced as in production. With --data-dir the server's data directory is kept there and a later run with the
same directory (and the same --cases and --seed) skips the load and measures again; the alerts of an earlier
run are deleted first so that every run raises them afresh. Each timing is printed with the CPU time this
process spent in it (the rest is the database and waiting), the database server's CPU time where it is ours to
read, the statements sent and the load average.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from crash import postgres as durable_postgres  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402

from civicwatch import create_app  # noqa: E402
from civicwatch.cases.models import Case, CaseStatus, Channel  # noqa: E402
from civicwatch.cases.reference_numbers import Permutation, reference_permutation  # noqa: E402
from civicwatch.cases.search import PG_INDEX as SEARCH_INDEX  # noqa: E402
from civicwatch.database import set_clock  # noqa: E402
from civicwatch.demo.operations import demo_examples  # noqa: E402
from civicwatch.extensions import db  # noqa: E402
from civicwatch.patterns.alerts import raise_alerts  # noqa: E402
from civicwatch.patterns.detection import find_clusters, rules_from_config  # noqa: E402
from civicwatch.patterns.models import (  # noqa: E402
    AlertEvidence,
    Allegation,
    LinkStatus,
    PatternAlert,
    RelationKind,
    Subject,
    SubjectKind,
    SubjectLink,
    alert_bodies,
)
from civicwatch.patterns.operations import Suggestion, suggest_related_cases  # noqa: E402
from civicwatch.routing.rule_operations import load_routing_rules  # noqa: E402
from civicwatch.taxonomy.models import Actor, Body, District, Theme  # noqa: E402
from civicwatch.taxonomy.operations import load_taxonomy  # noqa: E402
from config import Config, TestingConfig  # noqa: E402

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
BATCH = 50_000
CASE_COLUMNS = ("id", "reference", "receipt_hash", "text", "channel", "status", "theme_id", "district_id", "body_id",
                "actor_id", "incident_date", "urgent", "routed_by_hand", "created_at", "updated_at", "version")
ALLEGATION_COLUMNS = ("case_id", "theme_id", "district_id", "subject_id", "incident_date", "created_at",
                      "updated_at")
LINK_COLUMNS = ("case_id", "subject_id", "status", "created_at")
LOADED_TABLES = ("subjects", "cases", "allegations", "subject_links")
VOCABULARY = [f"{a}{b}{c}" for a in ("ka", "mo", "se", "tu", "bi", "lo", "fa", "ny") for b in
              ("ren", "lat", "mox", "dun", "pil", "gar", "sem", "tok") for c in ("a", "o", "u", "i", "ey")]
SUBJECT_SHARE = 0.1  # of the background cases name a subject of a register

# The background cases, drawn inside the database: a random day of the year before NOW, district, theme, body,
# service, one in ten a background subject, and a text of the demo corpus with twelve words of the vocabulary.
# The word list reads the row's number so that it is drawn again for every row.
BACKGROUND = """
CREATE TEMPORARY TABLE background ON COMMIT DROP AS
SELECT n AS id, created_at, district_id, theme_id, body_id, actor_id, subject_id, body_text
FROM (
    SELECT n,
           CAST(:now AS timestamptz) - random() * interval '365 days' AS created_at,
           (CAST(:districts AS integer[]))[1 + floor(random() * :district_count)::int] AS district_id,
           (CAST(:themes AS integer[]))[1 + floor(random() * :theme_count)::int] AS theme_id,
           (CAST(:bodies AS integer[]))[1 + floor(random() * :body_count)::int] AS body_id,
           (CAST(:actors AS integer[]))[1 + floor(random() * :actor_count)::int] AS actor_id,
           CASE WHEN random() < :subject_share
                THEN (CAST(:subjects AS integer[]))[1 + floor(random() * :subject_count)::int] END AS subject_id,
           (CAST(:examples AS text[]))[1 + floor(random() * :example_count)::int] || ' ' ||
           (SELECT string_agg((CAST(:vocabulary AS text[]))[1 + floor(random() * :vocabulary_count)::int], ' ')
            FROM generate_series(1, 12) AS word WHERE word <= 12 + 0 * n) || '.' AS body_text
    FROM generate_series(1, :count) AS n
) AS drawn
"""
BACKGROUND_CASES = """
INSERT INTO cases (id, reference, receipt_hash, text, channel, status, theme_id, district_id, body_id, actor_id,
                   incident_date, urgent, routed_by_hand, created_at, updated_at, version)
SELECT id, reference,
       md5('receipt ' || id) || md5('hash ' || id), body_text, :channel, :status, theme_id, district_id, body_id,
       actor_id, (created_at AT TIME ZONE 'UTC')::date, false, false, created_at, created_at, 1
FROM background JOIN background_references USING (id) ORDER BY id
"""
BACKGROUND_YEARS = "SELECT id, extract(year FROM created_at AT TIME ZONE 'UTC')::int FROM background ORDER BY id"
BACKGROUND_ALLEGATIONS = """
INSERT INTO allegations (case_id, theme_id, district_id, subject_id, incident_date, created_at, updated_at)
SELECT id, theme_id, district_id, subject_id, (created_at AT TIME ZONE 'UTC')::date, created_at, created_at
FROM background ORDER BY id
"""
BACKGROUND_LINKS = """
INSERT INTO subject_links (case_id, subject_id, status, created_at)
SELECT id, subject_id, :link_status, created_at FROM background WHERE subject_id IS NOT NULL ORDER BY id
"""


class Fill:
    """Rows written so far; ids follow insertion order on the fresh tables."""

    def __init__(self, seed: int, permutation: Permutation, first_id: int = 1) -> None:
        self.rng = random.Random(seed)
        self.permutation = permutation  # the database's reference key: each case gets the app's reference
        self.examples = [e["text"] for e in demo_examples()]
        self.themes = {t.code: t.id for t in db.session.scalars(select(Theme).order_by(Theme.id))}
        self.districts = [d.id for d in db.session.scalars(select(District).order_by(District.id))]
        self.actors = [a.id for a in db.session.scalars(select(Actor).order_by(Actor.id))]
        self.bodies = [b.id for b in db.session.scalars(select(Body).order_by(Body.id))]
        self.cases: list[dict] = []
        self.allegations: list[dict] = []
        self.links: list[dict] = []
        self.next_id = first_id
        self.written = 0

    def text(self) -> str:
        words = " ".join(self.rng.choice(VOCABULARY) for _ in range(12))
        return f"{self.rng.choice(self.examples)} {words}."

    def add(self, created: dt.datetime, district: int | None, theme: str, subject: int | None = None,
            body_text: str | None = None) -> int:
        case_id = self.next_id
        self.next_id += 1
        self.cases.append({
            "id": case_id, "reference": self.permutation.reference(created.year, case_id),
            "receipt_hash": uuid.uuid4().hex * 2,
            "text": body_text or self.text(), "channel": Channel.WEB.value,
            "status": CaseStatus.INVESTIGATING.value,
            "theme_id": self.themes[theme], "district_id": district, "body_id": self.rng.choice(self.bodies),
            "actor_id": self.rng.choice(self.actors), "incident_date": created.date(), "urgent": False,
            "routed_by_hand": False, "created_at": created, "updated_at": created, "version": 1})
        self.allegations.append({"case_id": case_id, "theme_id": self.themes[theme], "district_id": district,
                                 "subject_id": subject, "incident_date": created.date(), "created_at": created,
                                 "updated_at": created})
        if subject is not None:
            self.links.append({"case_id": case_id, "subject_id": subject, "status": LinkStatus.CONFIRMED.value,
                               "created_at": created})
        if len(self.cases) >= BATCH:
            self.flush()
        return case_id

    def flush(self) -> None:
        if not self.cases:
            return
        if db.engine.dialect.name == "postgresql":
            _copy("cases", CASE_COLUMNS, self.cases)
            _copy("allegations", ALLEGATION_COLUMNS, self.allegations)
            _copy("subject_links", LINK_COLUMNS, self.links)
        else:
            db.session.execute(insert(Case.__table__), self.cases)
            db.session.execute(insert(Allegation.__table__), self.allegations)
            if self.links:
                db.session.execute(insert(SubjectLink.__table__), self.links)
        self.written += len(self.cases)
        self.cases, self.allegations, self.links = [], [], []


def _copy(table: str, columns: tuple[str, ...], rows: list[dict]) -> None:
    """COPY into `table` on the session's own connection (the same transaction)."""
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


def _drop_indexes() -> list[str]:
    """As a restore does: no foreign key checks row by row during the load (the rows refer to the taxonomy just
    loaded) and the secondary indexes of the loaded tables built after it, but for the search index; returns the
    statements that build them."""
    db.session.execute(text("SET session_replication_role = replica"))
    rows = db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases', 'allegations', 'subject_links') "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
    for name, _ in rows:
        db.session.execute(text(f"DROP INDEX {name}"))
    return [definition for name, definition in rows if name != SEARCH_INDEX]


def make_subjects(count: int, rng: random.Random) -> list[int]:
    bodies = [b.id for b in db.session.scalars(select(Body).order_by(Body.id))]
    kinds = list(SubjectKind)
    rows = [{"body_id": rng.choice(bodies), "kind": kinds[i % 3], "name": f"Subject {i}", "active": True,
             "created_at": NOW} for i in range(count)]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(Subject), rows[start:start + BATCH])
    return list(db.session.scalars(select(Subject.id).order_by(Subject.id)))


def _background_in_database(data: Fill, count: int, subjects: list[int], seed: int) -> None:
    """The background cases, their allegations and subject links, drawn and written by the server."""
    db.session.execute(text("SELECT setseed(:seed)"), {"seed": (seed % 1000) / 1000})
    themes, examples = list(data.themes.values()), data.examples
    db.session.execute(text(BACKGROUND), {
        "now": NOW, "count": count, "districts": data.districts, "district_count": len(data.districts),
        "themes": themes, "theme_count": len(themes), "bodies": data.bodies, "body_count": len(data.bodies),
        "actors": data.actors, "actor_count": len(data.actors), "subject_share": SUBJECT_SHARE,
        "subjects": subjects, "subject_count": len(subjects), "examples": examples,
        "example_count": len(examples), "vocabulary": VOCABULARY, "vocabulary_count": len(VOCABULARY)})
    _background_references(data.permutation)
    db.session.execute(text(BACKGROUND_CASES), {"channel": Channel.WEB.value,
                                                "status": CaseStatus.INVESTIGATING.value})
    db.session.execute(text(BACKGROUND_ALLEGATIONS))
    db.session.execute(text(BACKGROUND_LINKS), {"link_status": LinkStatus.CONFIRMED.value})
    db.session.execute(text("DROP TABLE background"))
    db.session.execute(text("DROP TABLE background_references"))


def _background_references(permutation: Permutation) -> None:
    """The app's reference of each background case (its id and the year drawn for it): computed here, where the
    permutation is, and copied into a temporary table the cases' insert reads."""
    db.session.execute(text("CREATE TEMPORARY TABLE background_references (id integer PRIMARY KEY, reference text) "
                            "ON COMMIT DROP"))
    years = db.session.execute(text(BACKGROUND_YEARS)).all()
    _copy("background_references", ("id", "reference"),
          [{"id": case_id, "reference": permutation.reference(year, case_id)} for case_id, year in years])


def _background_here(data: Fill, count: int, subjects: list[int]) -> None:
    rng, themes = data.rng, list(data.themes)
    for _ in range(count):
        created = NOW - dt.timedelta(days=rng.uniform(0, 365))
        subject = rng.choice(subjects) if rng.random() < SUBJECT_SHARE else None
        data.add(created, rng.choice(data.districts), rng.choice(themes), subject)


def fill(count: int, seed: int) -> tuple[set[str], list[tuple[int, int]], float]:
    """Background and planted cases; returns the planted alert keys, (original, duplicate) pairs, seconds."""
    start = time.perf_counter()
    postgres = db.engine.dialect.name == "postgresql"
    permutation = reference_permutation()  # drawn before the first case, as the app draws it
    db.session.commit()
    indexes = _drop_indexes() if postgres else []
    data = Fill(seed, permutation, first_id=count + 1 if postgres else 1)
    rng = data.rng
    subjects = make_subjects(max(100, count // 40), rng)
    themes = list(data.themes)
    planted_subjects = rng.sample(subjects, 50)
    background_subjects = [s for s in subjects if s not in set(planted_subjects)]
    surge = set(rng.sample(data.districts, 3))
    if postgres:
        _background_in_database(data, count, background_subjects, seed)
    else:
        _background_here(data, count, background_subjects)
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
        loaded = time.perf_counter()
        db.session.execute(text("SET session_replication_role = DEFAULT"))
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
        db.session.execute(text("SET maintenance_work_mem = '512MB'"))
        for statement in indexes:
            db.session.execute(text(statement))
        db.session.commit()
        indexed = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM ANALYZE {', '.join(LOADED_TABLES)}"))
        print(f"  load: rows {loaded - start:.0f} s, {len(indexes)} indexes {indexed - loaded:.0f} s, "
              f"VACUUM ANALYZE {time.perf_counter() - indexed:.0f} s", flush=True)
    db.session.commit()
    planted = {f"subject:{s}" for s in planted_subjects} | {f"district:{d}" for d in surge}
    return planted, pairs, time.perf_counter() - start


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class ServerCpu:
    """CPU time of this session's PostgreSQL backend, read from /proc (the server runs on this machine)."""

    def __init__(self) -> None:
        self.stat: Path | None = None
        if db.engine.dialect.name == "postgresql":
            self.stat = Path(f"/proc/{db.session.scalar(text('SELECT pg_backend_pid()'))}/stat")

    def seconds(self) -> float:
        if self.stat is None or not self.stat.exists():
            return 0.0
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _clear_alerts() -> None:
    """A kept database: the alerts of an earlier run go, so this run raises them as the first did."""
    db.session.execute(AlertEvidence.__table__.delete())
    db.session.execute(alert_bodies.delete())
    db.session.execute(PatternAlert.__table__.delete())
    db.session.commit()


def prepare(count: int, seed: int, saved: Path | None) -> tuple[set[str], list[tuple[int, int]]]:
    """Load the cases, or take those of an earlier run that kept its data directory."""
    if saved is not None and saved.exists():
        kept = json.loads(saved.read_text())
        if (kept["cases"], kept["seed"]) != (count, seed):
            raise SystemExit(f"{saved.parent} holds --cases {kept['cases']} --seed {kept['seed']}")
        for index in Case.__table__.indexes | SubjectLink.__table__.indexes:
            index.create(db.engine, checkfirst=True)  # an index added since the load
        _clear_alerts()
        print(f"  reusing the cases loaded in {saved.parent}", flush=True)
        return set(kept["planted"]), [tuple(pair) for pair in kept["pairs"]]
    db.create_all()
    load_taxonomy()
    load_routing_rules()
    db.session.commit()
    planted, pairs, filled = fill(count, seed)
    print(f"  written in {filled:.0f} s (load average {_load()})", flush=True)
    if saved is not None:
        saved.write_text(json.dumps({"cases": count, "seed": seed, "planted": sorted(planted), "pairs": pairs}))
    return planted, pairs


def measure(name: str, url: str, engine_options: dict, count: int, workdir: Path, seed: int,
            saved: Path | None = None) -> None:
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": str(workdir / "models"), "LOG_LEVEL": "WARNING",
        "AUDIT_ANCHOR_FILE": str(workdir / "audit_anchor.json")})
    app = create_app(config)
    set_clock(lambda: NOW)
    with app.app_context():
        print(f"\n{name}:", flush=True)
        planted, pairs = prepare(count, seed, saved)
        total = db.session.scalar(select(db.func.count(Case.id)))
        print(f"  {total:,} cases ({count:,} background) with planted clusters (load average {_load()})", flush=True)

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
        suggestions_of(pairs)
        print(f"  load average after: {_load()}", flush=True)
        db.session.remove()
        if saved is None:
            db.drop_all()
        db.engine.dispose()
    set_clock(None)


class Timed:
    """Suggestions for each case, timed one by one: wall, CPU here, CPU of the server, statements."""

    def __init__(self, case_ids: list[int]) -> None:
        self.timings: list[float] = []
        self.cpu = self.server_cpu = 0.0
        self.statements = self.sent = 0  # sent: while suggesting
        self.results: list[list[Suggestion]] = []
        server = ServerCpu()
        event.listen(db.engine, "before_cursor_execute", self._count)
        try:
            for case_id in case_ids:
                case = db.session.get(Case, case_id)
                assert case is not None
                before = self.statements
                begin, begin_cpu, begin_server = time.perf_counter(), time.process_time(), server.seconds()
                self.results.append(suggest_related_cases(case))
                self.timings.append((time.perf_counter() - begin) * 1000)
                self.cpu += time.process_time() - begin_cpu
                self.server_cpu += server.seconds() - begin_server
                self.sent += self.statements - before
                db.session.expire_all()
        finally:
            event.remove(db.engine, "before_cursor_execute", self._count)
        self.count = len(case_ids)

    @property
    def server(self) -> str:
        if db.engine.dialect.name != "postgresql":
            return ""  # SQLite works in this process: its CPU is counted above
        return f", {self.server_cpu * 1000 / self.count:.1f} ms CPU in the database server"

    def _count(self, *_: object) -> None:
        self.statements += 1

    def summary(self) -> str:
        return (f"p50 {statistics.median(self.timings):.1f} ms, p95 {_percentile(self.timings, 0.95):.1f} ms, "
                f"p99 {_percentile(self.timings, 0.99):.1f} ms; on average {self.cpu * 1000 / self.count:.1f} ms CPU "
                f"here{self.server}, {self.sent / self.count:.1f} statements (load average {_load()})")


def suggestions_of(pairs: list[tuple[int, int]]) -> None:
    """Suggestions for each planted duplicate (are their originals found?), then for as many cases naming a
    subject (their subject's cases are neighbours too)."""
    duplicates = Timed([duplicate for _, duplicate in pairs])
    top5, marked, marked_right = 0, 0, 0
    for (original, _), suggestions in zip(pairs, duplicates.results, strict=True):
        top5 += any(s.case_id == original for s in suggestions)
        for suggestion in suggestions:
            if suggestion.kind is RelationKind.DUPLICATE:
                marked += 1
                marked_right += suggestion.case_id == original
    print(f"  duplicates: original among the top 5 for {top5 / len(pairs):.2f}; suggestions marked duplicate "
          f"right {marked_right / max(marked, 1):.2f} ({marked_right} of {marked})")
    print(f"  suggestions for one case: {duplicates.summary()}", flush=True)
    naming = list(db.session.scalars(select(SubjectLink.case_id).where(SubjectLink.case_id % 499 == 7)
                                     .order_by(SubjectLink.case_id).limit(len(pairs))))
    if naming:
        print(f"  suggestions for one case naming a subject: {Timed(naming).summary()}", flush=True)


@contextlib.contextmanager
def kept_postgres(directory: Path) -> Iterator[str]:
    """A PostgreSQL server on `directory`, fsync on, created there on first use and kept when it stops."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    if not bins:
        raise SystemExit("PostgreSQL is not installed (scripts/install-system-packages.sh)")
    pg_bin = bins[-1]
    directory.mkdir(parents=True, exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run_as: list[str] = []
    if os.getuid() == 0:
        shutil.chown(directory, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    new = not (directory / "data").exists()
    if new:
        subprocess.run([*run_as, str(pg_bin / "initdb"), "-D", str(directory / "data"), "-U", "civicwatch",
                        "--auth=trust", "-E", "UTF8"], **quiet)  # type: ignore[call-overload]
    subprocess.run([*run_as, str(pg_bin / "pg_ctl"), "-D", str(directory / "data"), "-l",
                    str(directory / "server.log"), "-w", "-o",
                    f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"],
                   **quiet)  # type: ignore[call-overload]
    try:
        if new:
            subprocess.run([*run_as, str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                            "civicwatch", "civicwatch_patterns"], **quiet)  # type: ignore[call-overload]
        yield f"postgresql+psycopg://civicwatch@127.0.0.1:{port}/civicwatch_patterns"
    finally:
        subprocess.run([*run_as, str(pg_bin / "pg_ctl"), "-D", str(directory / "data"), "-m", "fast", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="background cases")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--data-dir", type=Path, help="keep PostgreSQL's data here and reuse it on the next run "
                                                      "(delete the directory to load again)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            measure("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", {}, args.cases, workdir, args.seed)
        if args.only in (None, "postgresql"):
            name = "PostgreSQL (fsync on)"
            if args.data_dir is None:
                with durable_postgres() as url:
                    measure(name, url, {}, args.cases, workdir, args.seed)
            else:
                directory = args.data_dir.resolve()
                with kept_postgres(directory) as url:
                    measure(name, url, {}, args.cases, workdir, args.seed, directory / "bench.json")


if __name__ == "__main__":
    main()
