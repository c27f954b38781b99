"""Signed Twilio webhook requests under gunicorn beside a bare endpoint, then `civicwatch deliver` workers
answering texts and sending the replies, with the classifier model active.

    .venv/bin/python benchmarks/sms_webhook.py                       # SQLite, then PostgreSQL (fsync on)
    .venv/bin/python benchmarks/sms_webhook.py --only postgresql --worker-counts 1,2,4

PostgreSQL is a throwaway server started here with fsync on, as deployed (scripts/with-postgres.sh turns it
off for tests). SQLite runs as the app configures it: WAL, each commit synced before it returns (civicwatch/wal_sync.py).

1. The webhook. One gunicorn server runs the real application with one extra route, GET /bench/bare, that
   returns a few bytes and touches nothing. A load generator on loopback (32 client processes by default,
   keep-alive connections) runs two workloads for the same time each, in interleaved rounds: the bare route,
   and POST /sms/inbound with valid X-Twilio-Signature headers carrying a realistic mix of texts (each phone
   reports, adds two details, asks STATUS and HELP). Prints requests/s, p50/p99 for both and the ratio.
   Targets: webhook p99 <= 100 ms at 32 clients, throughput at least half the bare endpoint's.

2. The worker. Each database runs as it is deployed: SQLite one gunicorn process with threads, PostgreSQL
   several. Then `civicwatch deliver` runs in separate processes (1, 2, 4 of them), each with the model
   trained on the test fixture corpus active (so texts are classified and routed, not sent to triage), sending
   every reply through twilio's real Client over an HttpClient that answers in-process (no network). Each run
   gets a fresh batch of texts written to the inbox in one transaction while the workers are idle and warm,
   and is timed until the inbox is empty and every reply is sent. Prints texts/s, CPU ms per text in the
   workers, and twilio requests beside the messages recorded as sent (a message sent twice shows up there).
   Target: >= 150 texts/s for one worker, near-linear to 4 workers (bounded by the machine's cores).
   Twilio's answer takes --twilio-latency-ms (200 by default; from West Africa a send is a 150-400 ms round trip
   to api.twilio.com; 0 answers at once, as this benchmark did before), an assumption printed with the figures.
   Each worker count runs once per --send-concurrency (OUTBOX_SEND_CONCURRENCY: 1, the sends one after the
   other, and the default), back to back.

Every section prints the load average; the reference is the bare endpoint for the webhook and, for the worker,
a fixed single-core Python workload timed in the same run (texts/s is also given as texts per million
reference operations, which moves less with the machine).
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crash import postgres as durable_postgres  # noqa: E402
from gunicorn_server import HOST, free_port, start_gunicorn  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

AUTH_TOKEN = "bench" + "0" * 27
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15005550006"
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
    return type("BenchConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SECRET_KEY": "bench-secret-key", "CIVICWATCH_ENCRYPTION_KEY": os.environ["BENCH_ENCRYPTION_KEY"],
        "CIVICWATCH_IDENTITY_KEY": os.environ["BENCH_IDENTITY_KEY"],
        "CIVICWATCH_EVIDENCE_KEY": os.environ["BENCH_EVIDENCE_KEY"],
        "CIVICWATCH_AUDIT_KEY": "benchmark-audit-chain-key-of-these-runs-only",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PUBLIC_BASE_URL": os.environ["BENCH_PUBLIC_URL"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": os.environ["BENCH_MODEL_DIR"],
        "AUDIT_ANCHOR_FILE": str(workdir / "audit_anchor.json"), "LOG_LEVEL": "WARNING",
    })


def prepare_database() -> None:
    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.routing.queries import THRESHOLD_SETTING
    from civicwatch.routing.rule_operations import load_routing_rules
    from civicwatch.taxonomy.models import Setting
    from civicwatch.taxonomy.operations import load_taxonomy

    app = create_app(bench_config())
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        # The fixture model is trained on a hundred texts and is rarely sure: an admin's lower threshold lets
        # most cases be routed, so the worker pays for routing as well as for classifying.
        db.session.merge(Setting(key=THRESHOLD_SETTING, value=0.25))
        db.session.commit()
        db.engine.dispose()


def prepare_model(workdir: Path) -> Path:
    """Train the test fixture model (a few seconds) and make it the active one; returns MODEL_DIR."""
    from civicwatch.classify.registry import activate_model
    from tests.classify.fixtures import train_fixture_model

    path = train_fixture_model(workdir / "fixture-model")
    activate_model(path.name, path.parent)
    return path.parent


def run_worker() -> None:
    """`civicwatch deliver` in this process, sending through twilio's Client over an HttpClient that answers
    here; when it stops, writes how many messages twilio accepted to BENCH_WORKER_COUNT_FILE."""
    from civicwatch import create_app
    from civicwatch.messaging.senders import TwilioSender, set_sender
    from tests.messaging.recording_twilio import RecordingHttpClient

    app = create_app(bench_config())
    http = RecordingHttpClient(latency=twilio_latency())
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))
    # By default the shortest --interval the command takes: an idle worker looks again soon after the benchmark fills
    # the inbox (--worker-interval: the command's default of 1 s, as deployed).
    interval = os.environ.get("BENCH_WORKER_INTERVAL", "0.1")
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", interval], catch_exceptions=False)
    if result.exit_code:
        sys.exit(f"deliver stopped with exit code {result.exit_code}:\n{result.output}")
    Path(os.environ["BENCH_WORKER_COUNT_FILE"]).write_text(str(len(http.accepted)))


def twilio_latency() -> float:
    """Seconds Twilio takes to answer each request (BENCH_TWILIO_LATENCY_MS): the round trip to api.twilio.com."""
    return float(os.environ.get("BENCH_TWILIO_LATENCY_MS", "0")) / 1000


def fill_inbox(texts: list[tuple[str, str]]) -> None:
    """Put (phone, body) texts in the inbox in one transaction, as the webhook would have, in order."""
    from civicwatch import create_app
    from civicwatch.crypto import encrypt_json, keyed_hash
    from civicwatch.database import utcnow
    from civicwatch.extensions import db
    from civicwatch.sms.inbox import SENDER_HASH_PURPOSE
    from civicwatch.sms.models import InboxText

    app = create_app(bench_config())
    with app.app_context():
        now = utcnow()
        db.session.add_all([InboxText(message_sid="SM" + secrets.token_hex(16),
                                      sender_hash=keyed_hash(SENDER_HASH_PURPOSE, phone),
                                      payload_encrypted=encrypt_json({"from": phone, "body": body}),
                                      received_at=now, attempts=0) for phone, body in texts])
        db.session.commit()
        db.engine.dispose()


def work_left() -> tuple[int, int, int, int]:
    """(texts in the inbox, replies owed or being sent, replies sent, texts answered)."""
    from sqlalchemy import func, select

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.messaging.models import OutboundMessage, OutboxStatus
    from civicwatch.sms.models import InboundSms, InboxText

    app = create_app(bench_config())
    with app.app_context():
        status = OutboundMessage.status
        counts = db.session.execute(select(
            select(func.count()).select_from(InboxText).scalar_subquery(),
            select(func.count()).where(status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))).scalar_subquery(),
            select(func.count()).where(status == OutboxStatus.SENT).scalar_subquery(),
            select(func.count()).select_from(InboundSms).scalar_subquery(),
        )).one()
        db.engine.dispose()
    return tuple(counts)  # type: ignore[return-value]


def stored_rows() -> dict[str, int]:
    from sqlalchemy import func, select

    from civicwatch import create_app
    from civicwatch.cases.models import Case
    from civicwatch.extensions import db

    app = create_app(bench_config())
    with app.app_context():
        triage = db.session.scalar(select(func.count()).select_from(Case).where(Case.body_id.is_(None)))
        cases = db.session.scalar(select(func.count()).select_from(Case))
        db.engine.dispose()
    return {"cases": cases or 0, "triage": triage or 0}


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
            params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": ACCOUNT_SID, "From": phone,
                      "To": FROM_NUMBER, "Body": body, "NumMedia": "0", "NumSegments": "1"}
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
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds spent by gunicorn's workers, the database

    def __add__(self, other: Result) -> Result:
        cpu = {key: self.cpu.get(key, 0.0) + other.cpu.get(key, 0.0) for key in {*self.cpu, *other.cpu}}
        return Result(self.timed + other.timed, self.errors + other.errors, self.seconds + other.seconds, cpu)

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

def start_server(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    return start_gunicorn("sms_webhook:bench_app()", port, workers, threads, env, "/bench/bare")


# (workers, threads) per database when not given: SQLite one process as `make run`, PostgreSQL several, with
# enough threads between them for every client's request to be in flight: a webhook spends most of its time
# waiting for its commit's fsync, and commits that wait together share one (PostgreSQL's group commit).
DEPLOYMENTS = {"SQLite": (1, 8), "PostgreSQL": (max(2, os.cpu_count() or 1), 16)}


def run(name: str, database_url: str, args: argparse.Namespace, workdir: Path, model_dir: Path) -> None:
    from cryptography.fernet import Fernet

    port = free_port()
    public_url = f"http://{HOST}:{port}"
    os.environ.update(BENCH_WORKDIR=str(workdir), BENCH_DATABASE_URL=database_url, BENCH_MODEL_DIR=str(model_dir),
                      BENCH_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                      BENCH_IDENTITY_KEY=Fernet.generate_key().decode(),
                      BENCH_EVIDENCE_KEY=Fernet.generate_key().decode(), BENCH_PUBLIC_URL=public_url,
                      CIVICWATCH_ENV="production")
    prepare_database()
    print(f"\n{name}: {os.cpu_count()} CPUs shared by everything below", flush=True)
    if not args.deliver_only:
        webhook(name, args, port, public_url)
    if args.webhook_only:
        return
    kind = name.split()[0]
    worker_counts = [int(n) for n in (args.worker_counts or ("1" if kind == "SQLite" else "1,2,4")).split(",")]
    reference = reference_rate()
    print(f"  reference: {reference / 1e3:.0f} thousand operations/s on one core (a fixed Python workload)")
    print(f"  assumed: Twilio answers each request in {args.twilio_latency_ms:g} ms (simulated here, no network); "
          f"each worker's --interval {args.worker_interval:g} s")
    runs = [(count, concurrency) for count in worker_counts for concurrency in send_concurrencies(args)]
    for batch, (count, concurrency) in enumerate(runs):
        os.environ["CIVICWATCH_OUTBOX_SEND_CONCURRENCY"] = str(concurrency)  # read by the workers' config
        deliver(count, args.texts, batch, reference, f"sends in flight {concurrency:2d}")
    rows = stored_rows()
    print(f"  stored: {rows['cases']} cases, {rows['triage']} of them left to triage (no body from the model and "
          f"the rules)")


def webhook(name: str, args: argparse.Namespace, port: int, public_url: str) -> None:
    """One gunicorn server per thread count asked for (all signed against `public_url`: the signature is
    checked against PUBLIC_BASE_URL, not the port), their rounds interleaved so that they share the load."""
    kind = name.split()[0]
    workers = args.workers or DEPLOYMENTS[kind][0]
    thread_counts = [int(n) for n in args.threads.split(",")] if args.threads else [DEPLOYMENTS[kind][1]]
    ports = [port] + [free_port() for _ in thread_counts[1:]]
    cap = args.max_requests // len(SCRIPT) * len(SCRIPT)
    signed = signed_texts((args.warmup + cap * args.rounds) * len(ports), public_url, seed=11)
    warm = args.warmup * len(ports)
    texts = iter([signed[n:n + args.warmup] for n in range(0, warm, args.warmup)]
                 + [signed[n:n + cap] for n in range(warm, len(signed), cap)])
    bare = [Request("GET", "/bench/bare")] * cap
    results = {port: {"bare": Result([], 0, 0.0), "mix": Result([], 0, 0.0)} for port in ports}
    load_before = os.getloadavg()
    database = database_server_pid()
    servers = [start_server(port, workers, threads, dict(os.environ)) for port, threads in zip(ports, thread_counts, strict=True)]
    try:
        for port in ports:
            load(port, bare[: args.warmup], args.clients, args.seconds)
            load(port, next(texts), args.clients, args.seconds)
        # Each workload runs for the same time in every round, and the rounds interleave them (and the servers),
        # so that a change in the machine's background load hits all of them alike.
        for _ in range(args.rounds):
            for port, server in zip(ports, servers, strict=True):
                results[port]["bare"] += timed_cpu(server.pid, database,
                                                   lambda port=port: load(port, bare, args.clients, args.seconds))
                shard = next(texts)
                results[port]["mix"] += timed_cpu(server.pid, database, lambda port=port, shard=shard: load(
                    port, shard, args.clients, args.seconds))
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
    for port, threads in zip(ports, thread_counts, strict=True):
        report(f"  webhook: gunicorn {workers} workers x {threads} threads", args, results[port],
               (load_before, os.getloadavg()))
    print(f"  the {clear_inbox()} texts the webhook kept are removed: the workers below answer batches of their own",
          flush=True)


def report(name: str, args: argparse.Namespace, results: dict[str, Result],
           load_average: tuple[tuple[float, ...], tuple[float, ...]]) -> None:
    print(f"{name}, {args.clients} client processes, {args.rounds} interleaved rounds of {args.seconds:g} s per "
          f"workload (load average {_load(load_average[0])} before, {_load(load_average[1])} after)")
    labels = {"bare": "bare endpoint", "mix": "webhook, mixed texts"}
    for key, result in results.items():
        print(f"    {labels[key]:<21} {result.done:6d} requests in {result.seconds:5.1f} s {result.rate:8.1f} req/s  "
              f"p50 {result.percentile_ms(0.5):6.1f} ms  p99 {result.percentile_ms(0.99):6.1f} ms  "
              f"errors {result.errors}")
        print(f"    {'':<21} CPU per request: gunicorn workers {result.cpu['gunicorn'] / result.done * 1000:.2f} ms, "
              f"database server {result.cpu['database'] / result.done * 1000:.2f} ms")
    ratio = results["mix"].rate / results["bare"].rate
    p99 = results["mix"].percentile_ms(0.99)
    print(f"    throughput ratio webhook / bare: {ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'}); "
          f"webhook p99 {p99:.0f} ms (target <= 100 ms: {'met' if p99 <= 100 else 'NOT met'}); "
          f"p99 ratio webhook / bare {p99 / results['bare'].percentile_ms(0.99):.2f}")
    print("    webhook p50 by kind of text: " + ", ".join(
        f"{KINDS.get(kind, kind)} {results['mix'].percentile_ms(0.5, kind):.1f} ms" for kind in results["mix"].kinds()))


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def tree_cpu_seconds(root: int | None) -> float:
    """CPU of a server's child processes that are alive now (gunicorn's workers, PostgreSQL's backends)."""
    total = 0.0
    for pid in children_of(root) if root else []:
        try:
            total += cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def timed_cpu(gunicorn: int, database: int | None, run_load: Callable[[], Result]) -> Result:
    before = tree_cpu_seconds(gunicorn), tree_cpu_seconds(database)
    result = run_load()
    result.cpu = {"gunicorn": tree_cpu_seconds(gunicorn) - before[0], "database": tree_cpu_seconds(database) - before[1]}
    return result


def database_server_pid() -> int | None:
    """PostgreSQL's postmaster (the parent of a backend), or None for SQLite (in the workers)."""
    from sqlalchemy import create_engine, text

    url = os.environ["BENCH_DATABASE_URL"]
    if not url.startswith("postgresql"):
        return None
    engine = create_engine(url)
    with engine.connect() as connection:
        backend = connection.scalar(text("SELECT pg_backend_pid()"))
    engine.dispose()
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _load(average: tuple[float, ...]) -> str:
    return "/".join(f"{value:.1f}" for value in average)


# ---------------------------------------------------------------- the deliver workers

def clear_inbox() -> int:
    from sqlalchemy import delete

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.sms.models import InboxText

    app = create_app(bench_config())
    with app.app_context():
        removed = db.session.execute(delete(InboxText)).rowcount  # type: ignore[attr-defined]
        db.session.commit()
        db.engine.dispose()
    return removed


def phone_texts(phones: int, batch: int, seed: int) -> list[tuple[str, str]]:
    """`phones` phones working through SCRIPT, numbered apart from every other batch's: one phone's texts after
    another's, or with BENCH_INTERLEAVE=1 every phone's first text, then every phone's second... (many citizens
    texting at once: a worker's round answers texts of more phones, whose replies go to different numbers)."""
    rng = random.Random(seed)
    texts = []
    for n in range(phones):
        phone = f"+23276{batch:02d}{n:04d}"
        for step in SCRIPT:
            texts.append((phone, rng.choice(REPORTS) if step == "report"
                          else rng.choice(FOLLOW_UPS) if step == "follow_up" else step))
    if os.environ.get("BENCH_INTERLEAVE") == "1":
        texts = [texts[n * len(SCRIPT) + step] for step in range(len(SCRIPT)) for n in range(phones)]
    return texts


def reference_rate(seconds: float = 1.0) -> float:
    """Operations/s of a fixed single-core workload (JSON, hashing, a dict): the worker's reference."""
    done, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        for _ in range(100):
            document = json.dumps({"sid": done, "body": REPORTS[done % len(REPORTS)], "kind": SCRIPT[done % 5]})
            hashlib.sha256(document.encode()).hexdigest()
            done += 1
    return done / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_workers(count: int, workdir: Path) -> list[tuple[subprocess.Popen, Path]]:
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'benchmarks'}{os.pathsep}{ROOT}")
    started = []
    for number in range(count):
        counter = workdir / f"worker-{os.getpid()}-{time.monotonic_ns()}-{number}.count"
        process = subprocess.Popen([sys.executable, "-c", "import sms_webhook; sms_webhook.run_worker()"],
                                   env=dict(env, BENCH_WORKER_COUNT_FILE=str(counter)), cwd=ROOT,
                                   stdout=subprocess.DEVNULL)
        started.append((process, counter))
    return started


def wait_until_done(expected_answered: int, limit: float, workers: list[subprocess.Popen]) -> float:
    """Poll until every text is answered and every reply sent; returns the time that took."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if any(process.poll() is not None for process in workers):
            raise RuntimeError("a deliver worker stopped before the work was done (its error is above)")
        inbox, owed, _, answered = work_left()
        if inbox == 0 and owed == 0 and answered >= expected_answered:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise RuntimeError(f"not done after {limit:.0f} s: {inbox} texts and {owed} replies left")


def send_concurrencies(args: argparse.Namespace) -> list[int]:
    from config import Config

    return [int(n) for n in (args.send_concurrency or f"1,{Config.OUTBOX_SEND_CONCURRENCY}").split(",")]


def deliver(count: int, texts: int, batch: int, reference: float, label: str = "") -> None:
    workdir = Path(os.environ["BENCH_WORKDIR"])
    workers = start_workers(count, workdir)
    try:
        _, _, sent_before, answered = work_left()
        fill_inbox(phone_texts(5 * count, 90 + batch, seed=batch))  # warm-up: model loaded, connections open
        answered += 25 * count
        wait_until_done(answered, 300, [process for process, _ in workers])
        load_before = os.getloadavg()
        cpu_before = sum(cpu_seconds(process.pid) for process, _ in workers)
        batch_texts = phone_texts(texts // len(SCRIPT), batch, seed=100 + batch)
        fill_inbox(batch_texts)
        seconds = wait_until_done(answered + len(batch_texts), 1800, [process for process, _ in workers])
        cpu = sum(cpu_seconds(process.pid) for process, _ in workers) - cpu_before
        load_after = os.getloadavg()
    finally:
        for process, _ in workers:
            process.send_signal(signal.SIGTERM)
        for process, _ in workers:
            process.wait(timeout=60)
    _, _, sent_after, _ = work_left()
    accepted = sum(int(counter.read_text()) for _, counter in workers if counter.exists())
    rate = len(batch_texts) / seconds
    print(f"  deliver x{count} ({label}): {len(batch_texts)} texts answered and their replies sent in {seconds:5.1f} s: "
          f"{rate:6.1f} texts/s ({rate / count:5.1f} per worker), {cpu / len(batch_texts) * 1000:5.1f} ms of worker "
          f"CPU per text, {rate / reference * 1e6:6.0f} texts per million reference operations; twilio accepted "
          f"{accepted}, recorded as sent {sent_after - sent_before} (load average {_load(load_before)} before, "
          f"{_load(load_after)} after)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per workload and round")
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per workload and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=250)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, help="gunicorn processes (default: as deployed, see DEPLOYMENTS)")
    parser.add_argument("--threads", help="threads per process (default: as deployed); several, e.g. 2,16: one "
                                           "server each, their rounds interleaved")
    parser.add_argument("--texts", type=int, default=1500, help="texts per deliver run")
    parser.add_argument("--worker-counts", help="deliver processes per run, e.g. 1,2,4 (default: SQLite 1, "
                                                "PostgreSQL 1,2,4)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--webhook-only", action="store_true", help="time the webhook only (no model, no deliver)")
    parser.add_argument("--deliver-only", action="store_true", help="time the deliver workers only")
    parser.add_argument("--interleave", action="store_true", help="the phones' texts interleaved (see phone_texts)")
    parser.add_argument("--worker-interval", type=float, default=0.1,
                        help="each deliver worker's --interval in seconds (the command's default: 1)")
    parser.add_argument("--twilio-latency-ms", type=float, default=200.0,
                        help="how long Twilio takes to answer each request (0: at once)")
    parser.add_argument("--send-concurrency", help="OUTBOX_SEND_CONCURRENCY of each run, e.g. 1,16 (default: 1 "
                                                   "and config.py's default), each worker count with each")
    args = parser.parse_args()
    os.environ.update(BENCH_TWILIO_LATENCY_MS=str(args.twilio_latency_ms), BENCH_INTERLEAVE=str(int(args.interleave)),
                      BENCH_WORKER_INTERVAL=str(args.worker_interval))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"Training the fixture model (tests/classify/fixtures.py); load average {_load(os.getloadavg())}",
              flush=True)
        model_dir = workdir if args.webhook_only else prepare_model(workdir)
        if args.only in (None, "sqlite"):
            run("SQLite (WAL, each commit synced)", f"sqlite:///{workdir / 'bench.sqlite3'}", args, workdir,
                model_dir)
        if args.only in (None, "postgresql"):
            with durable_postgres() as url:
                run("PostgreSQL (fsync on)", url, args, workdir, model_dir)


if __name__ == "__main__":
    main()
