"""Signed Twilio webhook requests against the app under gunicorn, with a bare endpoint as the reference.

    .venv/bin/python benchmarks/sms_webhook.py                          # SQLite only
    scripts/with-postgres.sh .venv/bin/python benchmarks/sms_webhook.py # SQLite, then PostgreSQL

One gunicorn server runs the real application with one extra route, GET /bench/bare, that returns a few
bytes and touches nothing. A load generator on loopback (several processes, keep-alive connections) runs
two workloads for the same time each, in interleaved rounds: the bare route, and POST /sms/inbound with
valid X-Twilio-Signature headers (computed beforehand with twilio's RequestValidator) carrying a realistic
mix of texts (each phone reports, adds two details within the follow-up window, asks STATUS and HELP).
Each workload is bounded by time (and a request cap). Prints requests/s and p50/p99 latency for both, and
the ratio. Target: the webhook at least half the bare endpoint's throughput.

Each database runs as it is deployed: SQLite as the embedded default, one gunicorn process with threads
(what `make run` starts); PostgreSQL as at scale, several processes. --workers and --threads override both.

The webhook keeps each text in the inbox and acknowledges it; a worker answers it. So that the figure is
not bought by leaving work undone, the benchmark then answers every text the webhook took, as
`civicwatch deliver` does (dialogue, cases, classifier, routing, replies owed), and prints how fast one
worker did that and what it stored.
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

AUTH_TOKEN = "bench" + "0" * 27
HOST = "127.0.0.1"
REPORTS = [
    "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.",
    "Police in Makeni have held my husband for nine days without charge and we cannot see him.",
    "Officers at the Lunsar junction take 20,000 leones from every okada rider each morning.",
    "We called the station three times when thieves broke into the shop in Bo and nobody came.",
]
FOLLOW_UPS = ["It was on Tuesday around 7 in the evening.", "His name is Musa, he is 17.",
              "Two of them wore uniforms, one did not.", "The officer is called Sergeant K."]
# What one phone sends, in order: a report, details, a status question and a keyword.
SCRIPT = ["report", "follow_up", "follow_up", "STATUS", "HELP"]
KINDS = {"report": "new report", "follow_up": "follow-up", "STATUS": "STATUS", "HELP": "HELP"}


# ---------------------------------------------------------------- the server side (imported by gunicorn)

def bench_app():
    """The real app plus the bare reference route. gunicorn calls this in each worker."""
    from flask import Response

    from civicwatch import create_app

    app = create_app(bench_config())
    app.add_url_rule("/bench/bare", "bench_bare", lambda: Response("ok", mimetype="text/plain"))
    return app


def bench_config() -> type:
    """Production settings, as deployed with Twilio (development refuses Twilio credentials). The rate-limit
    storage is never reached: the webhook is exempt from rate limits and the bare route has none."""
    from config import ProductionConfig

    workdir = Path(os.environ["BENCH_WORKDIR"])
    engine_options: dict = {"pool_pre_ping": True}  # as in production
    if os.environ.get("BENCH_SCHEMA"):
        engine_options["connect_args"] = {"options": f"-csearch_path={os.environ['BENCH_SCHEMA']}"}
    return type("BenchConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SECRET_KEY": "bench-secret-key", "CIVICWATCH_ENCRYPTION_KEY": os.environ["BENCH_ENCRYPTION_KEY"],
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": os.environ["BENCH_PUBLIC_URL"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": str(workdir / "models"),
        "LOG_LEVEL": "WARNING",
    })


def prepare_database() -> None:
    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.routing.rule_operations import load_routing_rules
    from civicwatch.taxonomy.operations import load_taxonomy

    app = create_app(bench_config())
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        db.session.commit()
        db.engine.dispose()


def answer_inbox() -> tuple[int, float, dict[str, int]]:
    """Answer every text waiting, as one `civicwatch deliver` worker would: (texts answered, seconds, rows)."""
    from sqlalchemy import func, select

    from civicwatch import create_app
    from civicwatch.cases.models import Case, CaseMessage
    from civicwatch.extensions import db
    from civicwatch.messaging.models import OutboundMessage
    from civicwatch.sms.inbox import process_inbox
    from civicwatch.sms.models import InboundSms, InboxText

    app = create_app(bench_config())
    with app.app_context():
        start = time.perf_counter()
        answered = failed = 0
        while True:
            report = process_inbox(limit=500)
            answered, failed = answered + report.answered, failed + report.failed
            if report.answered + report.failed == 0:
                break
        seconds = time.perf_counter() - start
        counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                  for model in (InboxText, InboundSms, Case, CaseMessage, OutboundMessage)}
        counts["failed"] = failed
        db.engine.dispose()
    return answered, seconds, counts


# ---------------------------------------------------------------- the load generator

@dataclass
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict | None = None
    kind: str = "bare"


def signed_texts(count: int, public_url: str, seed: int) -> list[Request]:
    """`count` inbound texts: phones working through SCRIPT, each with a fresh MessageSid."""
    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    url = public_url + "/sms/inbound"
    requests = []
    phones = (f"+2327{rng.randrange(6, 9)}{n:06d}" for n in range(10**6))
    while len(requests) < count:
        phone = next(phones)
        for step in SCRIPT:
            body = {"report": lambda: rng.choice(REPORTS), "follow_up": lambda: rng.choice(FOLLOW_UPS)}.get(
                step, lambda s=step: s)()
            params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32, "From": phone,
                      "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1"}
            requests.append(Request("POST", "/sms/inbound", urlencode(params).encode(), {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(url, params)}, kind=step))
    return requests[:count]


def _load_worker(port: int, requests: list[Request], deadline: float, out) -> None:
    """One client process: its requests in order (a phone's texts stay in order), one connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    timed, errors = [], 0
    for request in requests:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        try:
            connection.request(request.method, request.path, body=request.body or None, headers=request.headers or {})
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
        timed.append((request.kind, time.perf_counter() - start))
        errors += not ok
    out.put((timed, errors))


@dataclass
class Result:
    """Pooled over rounds: every request's (kind, latency) and the wall time spent."""

    timed: list[tuple[str, float]]
    errors: int
    seconds: float

    def __add__(self, other: Result) -> Result:
        return Result(self.timed + other.timed, self.errors + other.errors, self.seconds + other.seconds)

    @property
    def done(self) -> int:
        return len(self.timed)

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def percentile_ms(self, fraction: float, kind: str | None = None) -> float:
        values = sorted(latency for k, latency in self.timed if kind is None or k == kind)
        return values[min(len(values) - 1, int(len(values) * fraction))] * 1000

    def kinds(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, _ in self.timed))


def load(port: int, requests: list[Request], clients: int, time_limit: float) -> Result:
    # Texts from one phone go to the same client so they arrive in order, as they would from Twilio.
    shards: list[list[Request]] = [[] for _ in range(clients)]
    per_phone = len(SCRIPT)
    for index in range(0, len(requests), per_phone):
        shards[(index // per_phone) % clients].extend(requests[index:index + per_phone])
    queue: multiprocessing.Queue = multiprocessing.Queue()
    deadline = time.monotonic() + time_limit
    processes = [multiprocessing.Process(target=_load_worker, args=(port, shard, deadline, queue))
                 for shard in shards]
    start = time.perf_counter()
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    seconds = time.perf_counter() - start
    for process in processes:
        process.join()
    return Result([item for batch, _ in results for item in batch], sum(errors for _, errors in results), seconds)


# ---------------------------------------------------------------- running it

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"{HOST}:{port}",
               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
               "--keep-alive", "30", "--log-level", "warning", "--pythonpath", str(ROOT / "benchmarks"),
               "--chdir", str(ROOT), "sms_webhook:bench_app()"]
    server = subprocess.Popen(command, env=env)
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", "/bench/bare")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


# (workers, threads) per database when not given: SQLite one process as `make run`, PostgreSQL several.
DEPLOYMENTS = {"SQLite": (1, 8), "PostgreSQL": (max(2, os.cpu_count() or 1), 2)}


def run(name: str, database_url: str, schema: str | None, args: argparse.Namespace, workdir: Path) -> None:
    from cryptography.fernet import Fernet

    port = free_port()
    public_url = f"http://{HOST}:{port}"
    os.environ.update(BENCH_WORKDIR=str(workdir), BENCH_DATABASE_URL=database_url, BENCH_SCHEMA=schema or "",
                      BENCH_ENCRYPTION_KEY=Fernet.generate_key().decode(), BENCH_PUBLIC_URL=public_url,
                      CIVICWATCH_ENV="production")
    prepare_database()
    cap = args.max_requests // len(SCRIPT) * len(SCRIPT)
    texts = signed_texts(args.warmup + cap * args.rounds, public_url, seed=11)
    bare = [Request("GET", "/bench/bare")] * cap
    results = {"bare": Result([], 0, 0.0), "mix": Result([], 0, 0.0)}
    load_before = os.getloadavg()[0]
    workers, threads = (args.workers or DEPLOYMENTS[name][0]), (args.threads or DEPLOYMENTS[name][1])
    server = start_server(port, workers, threads, dict(os.environ))
    try:
        load(port, bare[: args.warmup], args.clients, args.seconds)
        load(port, texts[: args.warmup], args.clients, args.seconds)
        # Each workload runs for the same time in every round, and the rounds interleave them, so that a
        # change in the machine's background load hits all of them alike.
        for number in range(args.rounds):
            batch = slice(args.warmup + number * cap, args.warmup + (number + 1) * cap)
            results["bare"] += load(port, bare, args.clients, args.seconds)
            results["mix"] += load(port, texts[batch], args.clients, args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    load_after = os.getloadavg()[0]
    report(f"{name}: gunicorn {workers} workers x {threads} threads", args, results, answer_inbox(),
           (load_before, load_after))


def report(name: str, args: argparse.Namespace, results: dict[str, Result],
           answered: tuple[int, float, dict[str, int]], load_average: tuple[float, float]) -> None:
    print(f"\n{name}, {args.clients} client processes, "
          f"{args.rounds} interleaved rounds of {args.seconds:g} s per workload; {os.cpu_count()} CPUs shared by "
          f"server and clients (load average {load_average[0]:.1f} before, {load_average[1]:.1f} after)")
    labels = {"bare": "bare endpoint", "mix": "webhook, mixed texts"}
    for key, result in results.items():
        print(f"  {labels[key]:<21} {result.done:6d} requests in {result.seconds:5.1f} s {result.rate:8.1f} req/s  "
              f"p50 {result.percentile_ms(0.5):6.1f} ms  p99 {result.percentile_ms(0.99):6.1f} ms  "
              f"errors {result.errors}")
    ratio = results["mix"].rate / results["bare"].rate
    print(f"  throughput ratio webhook / bare: {ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
    print("    webhook p50 by kind of text: " + ", ".join(
        f"{KINDS.get(kind, kind)} {results['mix'].percentile_ms(0.5, kind):.1f} ms" for kind in results["mix"].kinds()))
    count, seconds, rows = answered
    print(f"  then one worker answered the {count} texts kept in {seconds:.1f} s ({count / seconds:.0f} texts/s), "
          f"{rows['failed']} failed; left in the inbox: {rows['sms_inbox']}")
    print(f"  stored: {rows['inbound_sms']} texts answered, {rows['cases']} cases, {rows['case_messages']} "
          f"follow-up messages, {rows['outbound_messages']} replies owed in the outbox")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per workload and round")
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per workload and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=250)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, help="gunicorn processes (default: as deployed, see DEPLOYMENTS)")
    parser.add_argument("--threads", type=int, help="threads per process (default: as deployed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", None, args, workdir)
        postgres = os.environ.get("TEST_DATABASE_URL", "")
        if postgres.startswith("postgresql"):
            from tests.postgres import throwaway_schema

            with throwaway_schema(postgres, prefix="bench") as schema:
                run("PostgreSQL", postgres, schema, args, workdir)
        else:
            print("\nPostgreSQL: skipped (run under scripts/with-postgres.sh to include it)")


if __name__ == "__main__":
    main()
