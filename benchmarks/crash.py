"""Kill -9 under load: what a crash of the web server or of the delivery worker costs.

    .venv/bin/python benchmarks/crash.py                 # SQLite, then PostgreSQL (started here, fsync on)
    .venv/bin/python benchmarks/crash.py --seconds 120 --only sqlite
    .venv/bin/python benchmarks/crash.py --queued       # web reports queued, filed by the (killed) worker

For each database: a real gunicorn server (production settings) and a `civicwatch deliver` worker that
sends through a fake Twilio REST API (an HTTP server in this process that accepts after 50 ms, like a
quick Twilio, and records every message). Client threads post web reports, each with a unique marker,
and signed texts, each from its own phone (so that each owes exactly one reply). During the run the
server's whole process group is killed with SIGKILL several times, and so is the worker, at spread and
slightly jittered moments; each is started again at once. Then the worker is left to answer every text
and send every reply (up to --drain-seconds; what is left is printed), and the database is compared
with what the clients were told.

The table:
- acknowledged: web reports whose receipt page (its code) the citizen saw, and texts Twilio got a 200 for;
- stored: web reports and texts in the database (a report stored without its receipt seen counts here);
- lost: acknowledged but not stored (a web report: no case holds the code its sender saw); duplicated: a web report
  stored twice;
- 5xx: answers with a server error (a killed server gives no answer: "cut" counts those for the web);
- sent twice: replies the fake Twilio accepted more than once. A worker killed between Twilio's acceptance and
  the commit of its SID leaves claims without SIDs; the worker that takes them over lists the fake Twilio's
  messages and records the SIDs it finds instead of sending again (`civicwatch/messaging/delivery.py`), so this
  should stay 0 (the fake Twilio lists at once; the real one may lag a few seconds).

What it leaves out: killing PostgreSQL itself, full or read-only disks, network partitions between the
app and the database, Twilio timeouts (tests/messaging/test_messaging_lost_answers.py), a citizen retrying
a web form whose answer was cut (each retry here is a new report; only texts are retried, with their
MessageSid), uploads, and more than one server or worker at a time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.crashes import Outcome, Plan, run  # noqa: E402


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server as scripts/with-postgres.sh starts one, but with fsync on (as deployed)."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    if not bins:
        raise SystemExit("PostgreSQL is not installed (scripts/install-system-packages.sh)")
    pg_bin = bins[-1]
    data_dir = Path(tempfile.mkdtemp(prefix="civicwatch-crash-pg."))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run_as: list[str] = []
    if os.getuid() == 0:
        shutil.chown(data_dir, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run([*run_as, str(pg_bin / "initdb"), "-D", str(data_dir / "data"), "-U", "civicwatch",
                    "--auth=trust", "-E", "UTF8"], **quiet)  # type: ignore[call-overload]
    subprocess.run([*run_as, str(pg_bin / "pg_ctl"), "-D", str(data_dir / "data"), "-l", str(data_dir / "server.log"),
                    "-w", "-o", f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
                    "start"], **quiet)  # type: ignore[call-overload]
    try:
        subprocess.run([*run_as, str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "civicwatch",
                        "civicwatch_crash"], **quiet)  # type: ignore[call-overload]
        yield f"postgresql+psycopg://civicwatch@127.0.0.1:{port}/civicwatch_crash"
    finally:
        subprocess.run([*run_as, str(pg_bin / "pg_ctl"), "-D", str(data_dir / "data"), "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(data_dir, ignore_errors=True)


def row(name: str, outcome: Outcome) -> str:
    return (f"{name:<11} {outcome.acknowledged:>12} {outcome.stored:>7} {outcome.lost:>5} {outcome.duplicated:>11} "
            f"{outcome.server_errors:>4} {outcome.unanswered:>4} {outcome.sent_twice:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load time per database")
    parser.add_argument("--kills", type=int, default=6, help="SIGKILLs of gunicorn per database")
    parser.add_argument("--worker-kills", type=int, default=6, help="SIGKILLs of the deliver worker per database")
    parser.add_argument("--web-clients", type=int, default=4)
    parser.add_argument("--sms-clients", type=int, default=3)
    parser.add_argument("--drain-seconds", type=float, default=600.0,
                        help="at most, for the worker to answer every text and send every reply afterwards")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--queued", action="store_true",
                        help="web reports queued (CIVICWATCH_WEB_REPORTS_QUEUED) and filed by the worker")
    args = parser.parse_args()
    outcomes: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="civicwatch-crash.") as workdir:
        def plan(workers: int, threads: int) -> Plan:
            return Plan(seconds=args.seconds, kills=args.kills, web_clients=args.web_clients,
                        sms_clients=args.sms_clients, worker=True, worker_kills=args.worker_kills,
                        workers=workers, threads=threads, drain_seconds=args.drain_seconds, queued=args.queued)

        if args.only in (None, "sqlite"):
            print("SQLite: gunicorn 1 worker x 8 threads, one deliver worker")
            (Path(workdir) / "sqlite").mkdir()
            outcomes["SQLite"] = run(f"sqlite:///{workdir}/sqlite/crash.sqlite3", None, Path(workdir) / "sqlite",
                                     plan(1, 8), progress=print)
        if args.only in (None, "postgresql"):
            print("PostgreSQL (fsync on): gunicorn 2 workers x 4 threads, one deliver worker")
            (Path(workdir) / "postgresql").mkdir()
            with postgres() as url:
                outcomes["PostgreSQL"] = run(url, None, Path(workdir) / "postgresql", plan(2, 4), progress=print)
    queued = ", web reports queued for the worker" if args.queued else ""
    print(f"\n{args.seconds:g} s of load per database, gunicorn killed {args.kills} times, the deliver worker "
          f"{args.worker_kills} times (SIGKILL), {args.web_clients} web and {args.sms_clients} SMS clients{queued}")
    print(f"{'database':<11} {'acknowledged':>12} {'stored':>7} {'lost':>5} {'duplicated':>11} {'5xx':>4} "
          f"{'cut':>4} {'sent twice':>10}")
    for name, outcome in outcomes.items():
        print(row(name, outcome))
    for name, outcome in outcomes.items():
        print(f"  {name}: {outcome.details}")


if __name__ == "__main__":
    main()
