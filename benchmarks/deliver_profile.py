"""What one `civicwatch deliver` pays per text: CPU, SQL statements and commits, with an optional profile.

    .venv/bin/python benchmarks/deliver_profile.py --only postgresql --texts 400
    .venv/bin/python benchmarks/deliver_profile.py --only sqlite --profile 25
    .venv/bin/python benchmarks/deliver_profile.py --only postgresql --twilio-latency-ms 0 --send-concurrency 1

Same set-up as the worker section of benchmarks/sms_webhook.py (production settings, the fixture model active,
replies through twilio's Client over an in-process HttpClient), but the worker runs in this process: a warm-up
batch, then `--texts` texts (phones working through the report / details / STATUS / HELP script) answered and
their replies sent by `deliver --once`. Prints CPU ms (time.process_time of this process), statements and
commits per text, and the load average. PostgreSQL runs with fsync on; its server's CPU is not counted here.
Twilio answers each request after --twilio-latency-ms (200 by default, an assumption: from West Africa a send is a
150-400 ms round trip), and the batch is sent once per --send-concurrency (OUTBOX_SEND_CONCURRENCY, by default 1
and config.py's default), back to back, --rounds times alternated.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sms_webhook  # noqa: E402
from crash import postgres as durable_postgres  # noqa: E402


class Counter:
    """Statements, commits, rollbacks and connection checkouts (each one a ping: pool_pre_ping) on the app's engine."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0
        self.rollbacks = 0
        self.checkouts = 0
        self.shapes: collections.Counter[str] = collections.Counter()
        self.keep_shapes = bool(os.environ.get("SHAPES"))

    def reset(self) -> None:
        self.statements = self.commits = self.rollbacks = self.checkouts = 0
        self.shapes.clear()

    def listen(self, engine) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import event

        def statement(conn, cursor, text, *args) -> None:  # type: ignore[no-untyped-def]
            self.statements += 1
            if self.keep_shapes:  # only when asked: it costs CPU the worker does not
                self.shapes[" ".join(text.split())[:110]] += 1

        def commit(*args) -> None:  # type: ignore[no-untyped-def]
            self.commits += 1

        def rollback(*args) -> None:  # type: ignore[no-untyped-def]
            self.rollbacks += 1

        def checkout(*args) -> None:  # type: ignore[no-untyped-def]
            self.checkouts += 1

        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
        event.listen(engine, "rollback", rollback)
        event.listen(engine.pool, "checkout", checkout)

    def print_details(self, n: int, unit: str, profiler: cProfile.Profile | None, profile_lines: int) -> None:
        """The commonest statement shapes per `unit` (SHAPES=count) and the profile, if either was asked for."""
        if os.environ.get("SHAPES"):
            for shape, times in self.shapes.most_common(int(os.environ["SHAPES"])):
                print(f"  {times / n:6.2f}/{unit}  {shape}")
        if profiler:
            if os.environ.get("DUMP"):
                profiler.dump_stats(os.environ["DUMP"])
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
                os.environ.get("FILTER", ""), profile_lines)


def measure(database_url: str, workdir: Path, model_dir: Path, args: argparse.Namespace) -> None:
    from cryptography.fernet import Fernet

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.messaging.senders import TwilioSender, set_sender
    from tests.messaging.recording_twilio import RecordingHttpClient

    os.environ.update(BENCH_WORKDIR=str(workdir), BENCH_DATABASE_URL=database_url, BENCH_MODEL_DIR=str(model_dir),
                      BENCH_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                      BENCH_IDENTITY_KEY=Fernet.generate_key().decode(),
                      BENCH_EVIDENCE_KEY=Fernet.generate_key().decode(), BENCH_PUBLIC_URL="http://127.0.0.1:1",
                      CIVICWATCH_ENV="production")
    sms_webhook.prepare_database()
    app = create_app(sms_webhook.bench_config())
    http = RecordingHttpClient(latency=args.twilio_latency_ms / 1000)
    set_sender(app, TwilioSender(sms_webhook.ACCOUNT_SID, sms_webhook.AUTH_TOKEN, sms_webhook.FROM_NUMBER,
                                 http_client=http))
    runner = app.test_cli_runner()

    def deliver() -> None:
        result = runner.invoke(args=["civicwatch", "deliver", "--once"], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    sms_webhook.fill_inbox(sms_webhook.phone_texts(10, 90, seed=1))  # warm-up: model loaded, connections open
    deliver()
    with app.app_context():
        counter = Counter()
        counter.listen(db.engine)
    print(f"  assumed: Twilio answers each request in {args.twilio_latency_ms:g} ms (simulated here, no network)")
    concurrencies = sms_webhook.send_concurrencies(args)
    for run in range(args.rounds * len(concurrencies)):
        concurrency = concurrencies[run % len(concurrencies)]
        app.config["OUTBOX_SEND_CONCURRENCY"] = concurrency
        batch = sms_webhook.phone_texts(args.texts // len(sms_webhook.SCRIPT), 1 + run, seed=2 + run)
        sms_webhook.fill_inbox(batch)
        counter.reset()
        accepted_before = len(http.accepted)
        load_before = os.getloadavg()
        # CPU_PROFILE=1: the profile counts this process's CPU time, not wall time (which the database's waits fill).
        timer = time.process_time if os.environ.get("CPU_PROFILE") else time.perf_counter
        profiler = cProfile.Profile(timer) if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        deliver()
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        left = sms_webhook.work_left()
        n = len(batch)
        print(f"  sends in flight {concurrency}: {n} texts, {len(http.accepted) - accepted_before} replies accepted "
              f"by twilio; inbox left {left[0]}, owed {left[1]}")
        print(f"    CPU {cpu / n * 1000:.2f} ms/text ({n / cpu:.0f} texts per CPU second), wall {wall:.1f} s "
              f"({n / wall:.1f} texts/s), {counter.statements / n:.2f} statements/text, "
              f"{counter.commits / n:.2f} commits/text, {counter.rollbacks / n:.2f} rollbacks/text, "
              f"{counter.checkouts / n:.2f} checkouts/text (load average {sms_webhook._load(load_before)} before, "
              f"{sms_webhook._load(os.getloadavg())} after)", flush=True)
        counter.print_details(n, "text", profiler, args.profile)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--profile", type=int, default=0, help="print this many lines of a cProfile (cumulative)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--twilio-latency-ms", type=float, default=200.0,
                        help="how long Twilio takes to answer each request (0: at once)")
    parser.add_argument("--send-concurrency", help="OUTBOX_SEND_CONCURRENCY of each run, e.g. 1,16 (default: 1 "
                                                   "and config.py's default)")
    parser.add_argument("--rounds", type=int, default=1, help="times each concurrency runs, alternated")
    parser.add_argument("--interleave", action="store_true", help="the phones' texts interleaved (see "
                                                                   "sms_webhook.phone_texts)")
    args = parser.parse_args()
    os.environ["BENCH_INTERLEAVE"] = str(int(args.interleave))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model_dir = sms_webhook.prepare_model(workdir)
        if args.only in (None, "sqlite"):
            print("SQLite (WAL, each commit synced before it returns)")
            (workdir / "sqlite").mkdir()
            measure(f"sqlite:///{workdir / 'bench.sqlite3'}", workdir / "sqlite", model_dir, args)
        if args.only in (None, "postgresql"):
            with durable_postgres() as url:
                print("PostgreSQL (fsync on)")
                (workdir / "postgresql").mkdir()
                measure(url, workdir / "postgresql", model_dir, args)


if __name__ == "__main__":
    main()
