"""What one POST /report costs in this process: CPU, SQL statements and commits, with an optional profile.

    .venv/bin/python benchmarks/intake_profile.py --only sqlite --reports 200
    .venv/bin/python benchmarks/intake_profile.py --only postgresql --profile 40
    .venv/bin/python benchmarks/intake_profile.py --only sqlite --queued   # the POST, then the worker's filing

Same set-up as benchmarks/intake.py (production settings, the fixture model active, the default taxonomy and
routing rules), but the report form is posted through the Flask test client in this process, one report at a
time: the form's GETs are made first and not timed, then `--reports` text-only reports are posted. Prints CPU ms
(time.process_time of this process) per report, statements, commits and pool checkouts (each one a ping:
pool_pre_ping, a round trip more on PostgreSQL) per report, and the load average; with
`--profile`, Python calls per report too (a count that does not depend on the machine's load).
On SQLite it also prints the write turn per report: the wall time this process's writer queue was held (from the
statement that opens a write transaction to its commit or rollback, civicwatch/sqlite_writes.py), the part of a
report that other writers of the database wait behind.
PostgreSQL runs with fsync on; its server's CPU is not counted here, nor is gunicorn's HTTP parsing.
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import intake  # noqa: E402
from crash import postgres as durable_postgres  # noqa: E402
from deliver_profile import Counter  # noqa: E402

from tests.classify.fixtures import train_fixture_model  # noqa: E402


def measure(database_url: str, workdir: Path, model: Path, reports: int, profile_lines: int) -> None:
    from cryptography.fernet import Fernet
    from werkzeug.datastructures import MultiDict

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.sqlite_writes import QueueFigures, writer_queue

    public_url = "http://127.0.0.1:1"
    os.environ.update(BENCH_WORKDIR=str(workdir), BENCH_DATABASE_URL=database_url,
                      BENCH_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                      BENCH_IDENTITY_KEY=Fernet.generate_key().decode(),
                      BENCH_EVIDENCE_KEY=Fernet.generate_key().decode(), BENCH_PUBLIC_URL=public_url,
                      CIVICWATCH_ENV="production")
    durability = intake.prepare_database(model)
    app = create_app(intake.bench_config())
    client = app.test_client()

    def forms(count: int, first: int) -> list[MultiDict]:
        pages = [client.get("/report", base_url=public_url).get_data(as_text=True) for _ in range(count)]
        return [MultiDict({**intake.hidden_fields(page), **intake.report_fields(first + n)})
                for n, page in enumerate(pages)]

    def post(fields: MultiDict) -> None:
        response = client.post("/report", data=fields, base_url=public_url)
        assert response.status_code == 303, response.status_code

    with app.app_context():
        for fields in forms(10, 0):  # warm-up: model, templates and caches loaded
            post(fields)
        batch = forms(reports, 10)
        counter = Counter()
        counter.listen(db.engine)
        queue = writer_queue(os.path.realpath(db.engine.url.database)) if db.engine.url.database else None
        figures_before = dataclasses.replace(queue.figures) if queue else QueueFigures()
        load_before = os.getloadavg()
        profiler = cProfile.Profile() if profile_lines else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for fields in batch:
            post(fields)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        n = len(batch)
        load_after = os.getloadavg()
        print(f"  {durability}")
        print(f"  {n} reports: CPU {cpu / n * 1000:.2f} ms/report, wall {wall / n * 1000:.2f} ms/report, "
              f"{counter.statements / n:.2f} statements/report, {counter.commits / n:.2f} commits/report, "
              f"{counter.checkouts / n:.2f} pool checkouts/report "
              f"(load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)", flush=True)
        if queue is not None and db.engine.dialect.name == "sqlite":
            held = queue.figures.held_seconds - figures_before.held_seconds
            turns = queue.figures.writes - figures_before.writes
            print(f"  write turn {held / n * 1000:.2f} ms/report ({turns / n:.2f} turns/report)", flush=True)
        if profiler is not None:
            calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
            print(f"  {calls / n:,.0f} Python calls/report (with the profiler on: CPU and wall above include its "
                  "overhead)", flush=True)
        counter.print_details(n, "report", profiler, profile_lines)
        if app.config["WEB_REPORTS_QUEUED"] is True:  # otherwise "auto" with no worker: filed by the request
            file_queued(n, profile_lines)
        db.engine.dispose()


def file_queued(n: int, profile_lines: int) -> None:
    """--queued: the reports just queued filed as the deliver worker files them (file_queued_reports), timed."""
    from civicwatch.extensions import db
    from civicwatch.intake.queue import file_queued_reports

    counter = Counter()
    counter.listen(db.engine)
    profiler = cProfile.Profile() if profile_lines else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    filed = file_queued_reports(limit=n)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert filed.filed == n and filed.failed == 0, filed
    print(f"  filing them (the deliver worker's part): CPU {cpu / n * 1000:.2f} ms/report, wall {wall / n * 1000:.2f} "
          f"ms/report, {counter.statements / n:.2f} statements/report, {counter.commits / n:.2f} commits/report",
          flush=True)
    counter.print_details(n, "filed report", profiler, profile_lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="print this many lines of a cProfile (cumulative)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--queued", action="store_true",
                        help="CIVICWATCH_WEB_REPORTS_QUEUED: the POSTs queue the reports, then they are filed and timed "
                             "apart")
    args = parser.parse_args()
    if args.queued:
        os.environ["BENCH_QUEUED"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model = train_fixture_model(workdir / "trained")
        if args.only in (None, "sqlite"):
            print("SQLite")
            (workdir / "sqlite").mkdir()
            measure(f"sqlite:///{workdir / 'sqlite' / 'bench.sqlite3'}", workdir / "sqlite", model, args.reports,
                    args.profile)
        if args.only in (None, "postgresql"):
            with durable_postgres() as url:
                print("PostgreSQL (fsync on)")
                (workdir / "postgresql").mkdir()
                measure(url, workdir / "postgresql", model, args.reports, args.profile)


if __name__ == "__main__":
    main()
