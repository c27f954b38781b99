"""POST /report end to end under gunicorn, beside a bare multipart POST endpoint measured in the same run.

    .venv/bin/python benchmarks/intake.py                    # SQLite, then PostgreSQL (started here, fsync on)
    .venv/bin/python benchmarks/intake.py --only sqlite      # one database
    .venv/bin/python benchmarks/intake.py --clients 8 --no-photo --rounds 1 --seconds 3   # a quick look
    .venv/bin/python benchmarks/intake.py --clients 8 --no-photo --queued   # reports filed by the deliver worker

One gunicorn server runs the real application (production settings, a trained classifier active, the default
taxonomy and routing rules) with three extra routes: GET /bench/ready; POST /bench/multipart, which parses
the same multipart body as the report form (every field and file read) and answers 303 like the form,
touching nothing else; and POST /bench/form, the report form checked as POST /report checks it (CSRF, every
field's validators, the form's key looked up in the database as a retry would be) and its receipt kept in the
session cookie as after a report, stored nowhere: the part of a report's cost that storing it does not add. Client processes on loopback (one keep-alive connection each) act as browsers: each
first loads the report form with GET /report as many times as it may send reports (keeping the session
cookie, the CSRF token and each form's own key, as tabs of one browser would), then, once every client is
ready, sends its reports as multipart POSTs for a fixed time. Only the POSTs are timed. The bare endpoint
gets the same bodies, at the same concurrency, in interleaved rounds, so that a change in the machine's
background load hits both alike.

For 1, 8 and 32 clients, without and with a photo, it prints reports/s, p50 and p99 latency, the ratio of
reports/s to the bare endpoint's (and, text only, the form checked alone beside them), and the peak resident memory (VmHWM, reset before each workload) of the
largest gunicorn worker beside its idle size. Targets: p99 <= 300 ms at 8 clients and >= 0.2x the bare
endpoint (reports without a photo). It also counts the SQL statements and commits of one report (in this
process, through the Flask test client, once the caches are warm), and prints the load average and the
durability settings in force: SQLite's journal mode and `synchronous` level (NORMAL with the app's own sync of the
log after each commit, civicwatch/wal_sync.py), PostgreSQL's fsync and synchronous_commit.

Each database runs as it is deployed: SQLite as the embedded default, one gunicorn process with threads (what
`make run` starts); PostgreSQL as at scale, several processes, on its own throwaway server with fsync on.

The server runs with CIVICWATCH_WEB_REPORTS_QUEUED at its default, `auto`: with no worker running, each report is
filed by its request. With `--queued` one `deliver` worker, started beside it on the same cores, says it runs, so
the server stores each text-only report as sent and the worker files them as cases meanwhile, as in `make run`: it
also prints how many reports were still queued when the last workload ended, how long the worker then took to file
them alone, and its CPU per report. `--queued --file-after` queues them (the setting on) with the worker started
only once the load has ended.

What it leaves out:
- rate limits (off here: every client shares one address, and the form allows a few reports a minute);
- the confirmation page (GET /report/received) and the form's GET, which are not timed;
- TLS and a reverse proxy in front of gunicorn;
- the delivery worker: texts owed to complainants who left a phone number (none here: reports are anonymous);
- large photos: the photo is a 2 MP phone photo (1600x1200, ~0.5 MB), re-encoded like every upload;
  benchmarks/uploads.py measures 10 MB files;
- a database on another machine (the PostgreSQL server shares the two cores with gunicorn and the clients).
"""
from __future__ import annotations

import argparse
import http.client
import io
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gunicorn_server import HOST, free_port, start_gunicorn  # noqa: E402

MB = 1_000_000
TEXTS = [
    "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card.",
    "Police in Makeni have held my husband for nine days without charge and we cannot see him.",
    "Officers at the Lunsar junction take 20,000 leones from every okada rider each morning.",
    "We called the station three times when thieves broke into the shop in Bo and nobody came.",
]
HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')
# (workers, threads) per database: SQLite one process as `make run`, PostgreSQL several.
DEPLOYMENTS = {"SQLite": (1, 8), "PostgreSQL": (max(2, os.cpu_count() or 1), 4)}


# ---------------------------------------------------------------- the server side (imported by gunicorn)

def bench_app():
    """The real app plus the reference routes. gunicorn calls this in each worker."""
    from flask import Response, abort, redirect, request

    from civicwatch import create_app
    from civicwatch.extensions import csrf
    from civicwatch.intake.filing_workers import reports_queued_now
    from civicwatch.intake.forms import ReportForm
    from civicwatch.intake.idempotency import find_earlier
    from civicwatch.intake.sessions import remember_receipt

    app = create_app(bench_config())

    def bare_multipart() -> Response:
        fields = request.form.to_dict()
        read = sum(len(storage.read()) for storage in request.files.getlist("attachments"))
        return redirect(f"/bench/ready?fields={len(fields)}&bytes={read}", code=303)

    def form_alone() -> Response:
        form = ReportForm()
        key = form.idempotency_key()
        # The key read as POST /report reads it: outside the session when reports are queued.
        queued = reports_queued_now()
        if not form.validate_on_submit() or key is None or find_earlier(key, outside_transaction=queued) is not None:
            abort(400)
        remember_receipt("CW-2026-000001", "ABCD-EFGH-JKMN")
        return redirect("/bench/ready", code=303)

    def writer_queue_figures() -> Response:
        # SQLite only: this worker's queue of write transactions (civicwatch/sqlite_writes.py), summed over its files.
        from civicwatch.sqlite_writes import all_queue_figures

        figures = all_queue_figures()
        return Response(f"{figures.writes} {figures.held_seconds!r}", mimetype="text/plain")

    app.add_url_rule("/bench/writer-queue", "bench_writer_queue", writer_queue_figures)
    app.add_url_rule("/bench/ready", "bench_ready", lambda: Response("ok", mimetype="text/plain"))
    app.add_url_rule("/bench/multipart", "bench_multipart", csrf.exempt(bare_multipart), methods=["POST"])
    app.add_url_rule("/bench/form", "bench_form", form_alone, methods=["POST"])
    return app


def bench_config() -> type:
    """Production settings with rate limits off (every client here shares one address)."""
    from config import ProductionConfig

    workdir = Path(os.environ["BENCH_WORKDIR"])
    return type("BenchConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},  # as in production
        "SECRET_KEY": "bench-secret-key", "CIVICWATCH_ENCRYPTION_KEY": os.environ["BENCH_ENCRYPTION_KEY"],
        "CIVICWATCH_IDENTITY_KEY": os.environ["BENCH_IDENTITY_KEY"],
        "CIVICWATCH_EVIDENCE_KEY": os.environ["BENCH_EVIDENCE_KEY"],
        "CIVICWATCH_AUDIT_KEY": "benchmark-audit-chain-key-of-these-runs-only",
        "PUBLIC_BASE_URL": os.environ["BENCH_PUBLIC_URL"],
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_ENABLED": False,
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": str(workdir / "models"),
        "AUDIT_ANCHOR_FILE": str(workdir / "audit_anchor.json"), "LOG_LEVEL": "WARNING",
        # The default ("auto": queued while a deliver worker runs, as with --queued) unless --file-after queues them
        # with no worker running yet.
        "WEB_REPORTS_QUEUED": True if os.environ.get("BENCH_QUEUED") == "1" else "auto",
    })


def run_worker() -> None:
    """`civicwatch deliver` in this process (--queued: it files the queued reports), its texts (none here: the reports
    are anonymous) sent through twilio's Client over an HttpClient that answers here."""
    from civicwatch import create_app
    from civicwatch.messaging.senders import TwilioSender, set_sender
    from tests.messaging.recording_twilio import RecordingHttpClient

    app = create_app(bench_config())
    set_sender(app, TwilioSender("AC" + "0" * 32, "bench" + "0" * 27, "+15005550006", http_client=RecordingHttpClient()))
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", "0.1"], catch_exceptions=False)
    if result.exit_code:
        sys.exit(f"deliver stopped with exit code {result.exit_code}:\n{result.output}")


def start_worker() -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'benchmarks'}{os.pathsep}{ROOT}")
    return subprocess.Popen([sys.executable, "-c", "import intake; intake.run_worker()"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL)


def queue_left() -> tuple[int, int]:
    """(reports queued, cases) now."""
    from sqlalchemy import func, select

    from civicwatch import create_app
    from civicwatch.cases.models import Case
    from civicwatch.extensions import db
    from civicwatch.intake.models import QueuedReport

    app = create_app(bench_config())
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).where(QueuedReport.filed_at.is_(None))) or 0,
                  db.session.scalar(select(func.count()).select_from(Case)) or 0)
        db.session.rollback()
        db.engine.dispose()
    return counts


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Filing:
    """--queued: what the deliver worker did beside the server."""

    left_at_end: int  # reports still queued when the last workload ended
    drain_seconds: float  # how long the worker then took to file them, alone
    cases: int  # cases filed in all (warm-up included)
    timed: int  # reports filed after the worker's first one once the workloads had ended,
    timed_seconds: float  # in this time,
    timed_cpu: float  # with this much of its CPU


def prepare_database(model: Path) -> str:
    """Schema, taxonomy, rules and the classifier; returns the durability settings in force."""
    from sqlalchemy import text

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.routing.rule_operations import load_routing_rules
    from civicwatch.taxonomy.operations import load_taxonomy
    from tests.classify.fixtures import install_model

    app = create_app(bench_config())
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        db.session.commit()
        install_model(app, model)
        if db.engine.dialect.name == "sqlite":
            mode = db.session.execute(text("PRAGMA journal_mode")).scalar()
            level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[db.session.execute(text("PRAGMA synchronous")).scalar()]
            settings = f"journal_mode={mode}, synchronous={level}"
            if level == "NORMAL":  # see civicwatch/wal_sync.py
                settings += ", the log synced by the app after each commit, before it returns"
        else:
            settings = ", ".join(f"{name}={db.session.execute(text(f'SHOW {name}')).scalar()}"
                                 for name in ("fsync", "synchronous_commit", "full_page_writes"))
        db.session.rollback()
        db.engine.dispose()
    return settings


def statements_per_report(queued: bool) -> tuple[int, int]:
    """(SQL statements, commits) of one report through the test client, once reports of each text have warmed the
    caches; `queued`: queued, as while the run's worker ran (it has stopped by now)."""
    from sqlalchemy import event
    from werkzeug.datastructures import MultiDict

    from civicwatch import create_app
    from civicwatch.extensions import db

    app = create_app(bench_config())
    if queued:
        app.config["WEB_REPORTS_QUEUED"] = True
    client = app.test_client()
    counts = {"statements": 0, "commits": 0}

    def count_statement(*_args: object) -> None:
        counts["statements"] += 1

    def count_commit(*_args: object) -> None:
        counts["commits"] += 1

    def one_report(index: int, counted: bool) -> None:
        page = client.get("/report", base_url=os.environ["BENCH_PUBLIC_URL"]).get_data(as_text=True)
        fields = MultiDict({**hidden_fields(page), **report_fields(index)})
        db.session.remove()  # the GET's transaction ends here, as each request's does under gunicorn
        if counted:
            event.listen(db.engine, "before_cursor_execute", count_statement)
            event.listen(db.engine, "commit", count_commit)
        response = client.post("/report", data=fields, base_url=os.environ["BENCH_PUBLIC_URL"])
        if counted:
            event.remove(db.engine, "before_cursor_execute", count_statement)
            event.remove(db.engine, "commit", count_commit)
        assert response.status_code == 303, response.status_code

    with app.app_context():
        for index in range(len(TEXTS)):  # every text once: the caches its words fill are warm for the counted one
            one_report(index, counted=False)
        one_report(len(TEXTS), counted=True)
        db.engine.dispose()
    return counts["statements"], counts["commits"]


# ---------------------------------------------------------------- the browser side

def hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN_INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def report_fields(index: int) -> dict[str, str]:
    return {"text": TEXTS[index % len(TEXTS)], "contact_choice": "anonymous", "consent": "y"}


def multipart(fields: dict[str, str], photo: bytes | None) -> tuple[bytes, str]:
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    data = MultiDict(fields)
    if photo is not None:
        data.add("attachments", FileStorage(io.BytesIO(photo), filename="photo.jpg", content_type="image/jpeg"))
    boundary, body = encode_multipart(data)
    return body, f"multipart/form-data; boundary={boundary}"


class Browser:
    """One keep-alive connection and a session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            return 0, ""
        for value in response.msg.get_all("Set-Cookie") or []:
            self.cookie = value.split(";", 1)[0]
        return response.status, text


def _client(port: int, target: str, count: int, photo: bytes | None, seconds: float, seed: int,
            ready, out) -> None:
    browser = Browser(port)
    if target in ("report", "form"):
        forms = []
        for index in range(count):  # the report form, loaded as a browser loads it, before the clock starts
            status, page = browser.send("GET", "/report")
            if status == 200:
                forms.append({**hidden_fields(page), **report_fields(seed + index)})
        bodies = [multipart(fields, photo) for fields in forms]
        path = "/report" if target == "report" else "/bench/form"
    else:  # the same body each time (the endpoint is quicker than a body is built): never runs out first
        bodies = [multipart({**report_fields(seed), "csrf_token": "x" * 91, "form_key": "y" * 43}, photo)] * count * 20
        path = "/bench/multipart"
    ready.wait()
    deadline = time.monotonic() + seconds
    timed, errors = [], Counter()
    for body, content_type in bodies:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        status, _ = browser.send("POST", path, body, {"Content-Type": content_type})
        timed.append(time.perf_counter() - start)
        if status != 303:
            errors[status] += 1  # 0: the connection closed (gunicorn's --max-requests restarts a worker)
    out.put((timed, errors))


@dataclass
class Result:
    timed: list[float]
    errors: Counter[int]  # answers other than 303, by status (0: no answer, the connection closed)
    seconds: float
    peak_rss: int = 0
    turns: int = 0  # SQLite: write transactions of the server during the workload, and how long they held the
    held: float = 0.0  # turn in all (one worker: its writers take turns, so held / seconds is how busy the turn was)

    def __add__(self, other: Result) -> Result:
        return Result(self.timed + other.timed, self.errors + other.errors, self.seconds + other.seconds,
                      max(self.peak_rss, other.peak_rss), self.turns + other.turns, self.held + other.held)

    @property
    def rate(self) -> float:
        return len(self.timed) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        values = sorted(self.timed)
        return values[min(len(values) - 1, int(len(values) * fraction))] * 1000 if values else float("nan")


def load(server: subprocess.Popen, port: int, target: str, clients: int, photo: bytes | None,
         args: argparse.Namespace, round_number: int) -> Result:
    """Every client's POSTs for args.seconds, started together once every client has loaded its forms."""
    per_client = max(4, args.max_requests // clients)
    if target == "form":  # three to four times as quick as a report: more forms, or they run out before the time does
        per_client *= 4
    ready = multiprocessing.Barrier(clients + 1)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=_client, args=(
        port, target, per_client, photo, args.seconds, (round_number * clients + n) * per_client, ready, queue))
        for n in range(clients)]
    for process in processes:
        process.start()
    ready.wait()
    reset_peaks(server.pid)
    turns_before, held_before = writer_queue_figures(port)
    start = time.perf_counter()
    results = [queue.get() for _ in processes]
    seconds = time.perf_counter() - start
    turns_after, held_after = writer_queue_figures(port)
    peak = max(worker_memory(server.pid, "VmHWM").values(), default=0)
    for process in processes:
        process.join()
    return Result([t for batch, _ in results for t in batch], sum((e for _, e in results), Counter()), seconds, peak,
                  turns_after - turns_before, held_after - held_before)


def writer_queue_figures(port: int) -> tuple[int, float]:
    """(write transactions, seconds they held the turn) of one worker so far; zeros without SQLite."""
    _, text = Browser(port).send("GET", "/bench/writer-queue")
    turns, held = text.split()
    return int(turns), float(held)


# ---------------------------------------------------------------- gunicorn and its workers' memory

def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def worker_memory(master: int, field: str) -> dict[int, int]:
    sizes = {}
    for pid in workers_of(master):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                sizes[pid] = int(line.split()[1]) * 1024
    return sizes


def reset_peaks(master: int) -> None:
    for pid in workers_of(master):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from the current size


def start_server(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    return start_gunicorn("intake:bench_app()", port, workers, threads, {**env, "MALLOC_ARENA_MAX": "1"},  # as `make serve`
                          "/bench/ready", lambda server: len(workers_of(server.pid)) == workers, tries=600)


def warm_up(port: int, workers: int) -> None:
    """A few reports per worker: model, templates and caches loaded before anything is timed."""
    for index in range(4 * workers):
        browser = Browser(port)
        _, page = browser.send("GET", "/report")
        body, content_type = multipart({**hidden_fields(page), **report_fields(index)}, None)
        status, _ = browser.send("POST", "/report", body, {"Content-Type": content_type})
        if status != 303:
            raise RuntimeError(f"the warm-up report was not accepted ({status})")


# ---------------------------------------------------------------- running it

def run(name: str, database_url: str, args: argparse.Namespace, workdir: Path, model: Path,
        photo: bytes) -> None:
    from cryptography.fernet import Fernet

    port = free_port()
    os.environ.update(BENCH_WORKDIR=str(workdir), BENCH_DATABASE_URL=database_url,
                      BENCH_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                      BENCH_IDENTITY_KEY=Fernet.generate_key().decode(),
                      BENCH_EVIDENCE_KEY=Fernet.generate_key().decode(), BENCH_PUBLIC_URL=f"http://{HOST}:{port}",
                      CIVICWATCH_ENV="production")
    durability = prepare_database(model)
    workers, threads = DEPLOYMENTS[name]
    load_before = os.getloadavg()
    server = start_server(port, workers, threads, dict(os.environ))
    worker = start_worker() if args.queued and not args.file_after else None
    results: dict[tuple[str, int, bool], Result] = {}
    filing = None
    try:
        warm_up(port, workers)
        idle = max(worker_memory(server.pid, "VmRSS").values())
        for number in range(args.rounds):
            for with_photo in args.photo_modes:
                for clients in args.clients:
                    for target in ("bare", "report") if with_photo else ("bare", "form", "report"):
                        key = (target, clients, with_photo)
                        result = load(server, port, target, clients, photo if with_photo else None, args, number)
                        results[key] = results.get(key, Result([], Counter(), 0.0)) + result
        if args.queued and args.file_after:
            worker = start_worker()
        if worker is not None:
            filing = drain(worker)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    load_after = os.getloadavg()
    statements, commits = statements_per_report(args.queued)
    queued = ", reports queued for one deliver worker beside it (--queued)" if args.queued else ""
    report(f"{name} ({durability}): gunicorn {workers} workers x {threads} threads{queued}", args, results, idle,
           (load_before, load_after), (statements, commits))
    if filing is not None:
        print_filing(filing)


def drain(worker: subprocess.Popen, limit: float = 600.0) -> Filing:
    """Once the last workload has ended: wait for the worker to file every queued report. Its rate and CPU per report
    are taken from its first report filed after that moment to its last (a worker started then loads the model
    first)."""
    left, _ = queue_left()
    start = time.perf_counter()
    waiting, first = left, None
    while waiting:
        if worker.poll() is not None:
            raise RuntimeError("the deliver worker stopped (its error is above)")
        if time.perf_counter() - start > limit:
            raise RuntimeError(f"{waiting} reports still queued after {limit:.0f} s")
        time.sleep(0.02)
        waiting, _ = queue_left()
        if first is None and waiting < left:
            first = (waiting, time.perf_counter(), cpu_seconds(worker.pid))
    end, cpu_end = time.perf_counter(), cpu_seconds(worker.pid)
    _, cases = queue_left()
    if first is None or first[0] == 0:
        return Filing(left, end - start, cases, 0, 0.0, 0.0)
    return Filing(left, end - start, cases, first[0], end - first[1], cpu_end - first[2])


def print_filing(filing: Filing) -> None:
    measured = (f"; from its first report on, {filing.timed} reports at {filing.timed / filing.timed_seconds:.1f} "
                f"reports/s, {filing.timed_cpu / filing.timed * 1000:.1f} ms of its CPU per report"
                if filing.timed >= 20 else "")
    print(f"  the deliver worker filed {filing.cases} reports as cases; {filing.left_at_end} were still queued when the "
          f"last workload ended, filed in {filing.drain_seconds:.1f} s after it{measured}")


def report(title: str, args: argparse.Namespace, results: dict[tuple[str, int, bool], Result], idle: int,
           load_average: tuple[tuple[float, ...], tuple[float, ...]], statements: tuple[int, int]) -> None:
    before, after = load_average
    print(f"\n{title}\n  {args.rounds} interleaved rounds of {args.seconds:g} s per workload; {os.cpu_count()} CPUs "
          f"shared by server, database and clients; load average (1/5/15 min) "
          f"{before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f} before, {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} after")
    outside = " (and the queue's one-row INSERT and its commit, made outside SQLAlchemy's events)" if args.queued else ""
    print(f"  idle worker {idle / MB:.0f} MB resident; one report (its POST): {statements[0]} SQL "
          f"statements, {statements[1]} commits{outside}")
    print(f"  {'workload':<30} {'clients':>7} {'done':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'x bare':>6} {'peak MB':>8}")
    for with_photo in args.photo_modes:
        for clients in args.clients:
            bare, posted = results[("bare", clients, with_photo)], results[("report", clients, with_photo)]
            ratio = posted.rate / bare.rate if bare.rate else float("nan")
            label = "with a photo" if with_photo else "text only"
            rows: list[tuple[str, Result, float | None]] = [("bare multipart POST", bare, None)]
            if ("form", clients, with_photo) in results:
                checked = results[("form", clients, with_photo)]
                rows.append(("the form checked, not stored", checked, checked.rate / bare.rate if bare.rate else None))
            rows.append((f"POST /report, {label}", posted, ratio))
            for target, result, shown in rows:
                shown_ratio = f"{shown:6.2f}" if shown is not None else "      "
                print(f"  {target:<30} {clients:>7} {len(result.timed):>6} {result.rate:>7.1f} "
                      f"{result.percentile_ms(0.5):>8.1f} {result.percentile_ms(0.99):>8.1f} {result.errors.total():>6} "
                      f"{shown_ratio} {result.peak_rss / MB:>8.0f}")
                if result.errors:
                    statuses = ", ".join(f"{count} x {'no answer (connection closed)' if status == 0 else status}"
                                         for status, count in sorted(result.errors.items()))
                    print(f"  {'':<30} errors of the row above: {statuses}")
    if (("report", 8, False)) in results:
        posted, bare = results[("report", 8, False)], results[("bare", 8, False)]
        p99, ratio = posted.percentile_ms(0.99), posted.rate / bare.rate
        if posted.turns:
            print(f"  SQLite write turns under this load: {posted.held / posted.turns * 1000:.1f} ms each (one "
                  f"report in this process alone: see intake_profile.py), the turn held {posted.held / posted.seconds:.0%}"
                  " of the time: the one writer at a time sets the rate when this is near 100%")
        if ("form", 8, False) in results:
            checked = results[("form", 8, False)]
            storing = "queueing a report (one row, committed)" if args.queued else \
                "storing a report (classify, route, write, commit)"
            print(f"  the form checked alone runs at {checked.rate / bare.rate:.2f}x bare: {storing} takes {max(0.0, 1 / posted.rate - 1 / checked.rate) * 1000:.1f} ms of the "
                  f"server's time per report at this load, checking its form {1 / checked.rate * 1000:.1f} ms; 0.2x bare "
                  f"leaves {max(0.0, 5 / bare.rate - 1 / checked.rate) * 1000:.1f} ms for storing it")
        print(f"  target at 8 clients, text only: p99 <= 300 ms ({p99:.0f} ms: {'met' if p99 <= 300 else 'NOT met'}), "
              f">= 0.2x bare ({ratio:.2f}: {'met' if ratio >= 0.2 else 'NOT met'})")


def make_photo() -> bytes:
    from uploads import jpeg_bytes, photo_pixels

    return jpeg_bytes(photo_pixels(1600, 1200, 3), quality=85, orientation=6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="time per workload and round")
    parser.add_argument("--max-requests", type=int, default=400, help="forms each workload may send per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--no-photo", action="store_true", help="text-only reports")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--queued", action="store_true",
                        help="CIVICWATCH_WEB_REPORTS_QUEUED: reports without files queued, filed by one deliver worker "
                             "running beside the server")
    parser.add_argument("--file-after", action="store_true",
                        help="with --queued: the deliver worker starts once the workloads have ended (the queue's "
                             "filing timed alone, the requests without it on the same cores)")
    args = parser.parse_args()
    if args.queued and args.file_after:
        os.environ["BENCH_QUEUED"] = "1"
    args.photo_modes = [False] if args.no_photo else [False, True]
    from crash import postgres

    from tests.classify.fixtures import train_fixture_model

    with tempfile.TemporaryDirectory(prefix="civicwatch-intake-bench-") as tmp:
        workdir = Path(tmp)
        photo = make_photo()
        print(f"photo: 1600x1200 JPEG, {len(photo) / MB:.2f} MB; classifier: the test fixture model "
              "(same pipeline, small corpus)")
        model = train_fixture_model(workdir / "trained")
        if args.only in (None, "sqlite"):
            (workdir / "sqlite").mkdir()
            run("SQLite", f"sqlite:///{workdir / 'sqlite' / 'bench.sqlite3'}", args, workdir / "sqlite", model, photo)
        if args.only in (None, "postgresql"):
            (workdir / "postgresql").mkdir()
            with postgres() as url:
                run("PostgreSQL", url, args, workdir / "postgresql", model, photo)


if __name__ == "__main__":
    main()
