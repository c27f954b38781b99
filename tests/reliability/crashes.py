"""Kill -9 under load, shared by tests/reliability and benchmarks/crash.py.

A real gunicorn server (production settings) on a real database; client threads post web reports (each
text carries a unique marker) and signed Twilio webhook texts; the server's whole process group is killed
with SIGKILL mid-load and started again. Afterwards the database is compared with what the clients were
told:

- acknowledged: a web report whose receipt page (its code) the client saw, or a text Twilio got a 200 for;
- lost: acknowledged but not stored (a web report: no case holds the receipt code its sender saw); duplicated:
  one submission stored more than once;
- web reports are not retried after a cut connection (a retry is a new form, with a new form key); texts are
  retried with the same MessageSid until acknowledged, as Twilio does.

With `Plan.queued` web reports are queued (WEB_REPORTS_QUEUED) and the worker, killed as well, files them.

Optionally a `civicwatch deliver` worker runs too (killed as well), sending through a fake Twilio REST API
(an HTTP server in the parent process that records every POST), so texts sent twice can be counted.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
AUTH_TOKEN = "crash" + "0" * 27
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
FROM_NUMBER = "+15005550006"
MARK = "crash-marker"
MARKER = re.compile(MARK + r" ([0-9a-f]{16})")
RECEIPT_CODE = re.compile(r'id="receipt-code">(\d{4} \d{4} \d{4} \d{4})<')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key"[^>]*value="([^"]+)"')


# ---------------------------------------------------------------- the server side (imported by gunicorn)

def crash_config(env: Mapping[str, str] | None = None) -> type:
    """Production settings from CRASH_* variables. Rate limits off: the clients would hit them."""
    from config import ProductionConfig

    env = os.environ if env is None else env
    workdir = Path(env["CRASH_WORKDIR"])
    engine_options: dict = {"pool_pre_ping": True}
    if env.get("CRASH_SCHEMA"):
        engine_options["connect_args"] = {"options": f"-csearch_path={env['CRASH_SCHEMA']}"}
    return type("CrashConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": env["CRASH_DATABASE_URL"], "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SECRET_KEY": "crash-secret-key", "CIVICWATCH_ENCRYPTION_KEY": env["CRASH_ENCRYPTION_KEY"],
        "CIVICWATCH_IDENTITY_KEY": env["CRASH_IDENTITY_KEY"], "CIVICWATCH_EVIDENCE_KEY": env["CRASH_EVIDENCE_KEY"],
        "CIVICWATCH_AUDIT_KEY": "crash-audit-chain-key-of-these-runs-only",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PUBLIC_BASE_URL": env["CRASH_PUBLIC_URL"], "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False, "PREFERRED_URL_SCHEME": "http",
        "UPLOAD_DIR": str(workdir / "uploads"), "MODEL_DIR": str(workdir / "models"),
        "AUDIT_ANCHOR_FILE": str(workdir / "audit_anchor.json"), "LOG_LEVEL": "WARNING",
        "OUTBOX_CLAIM_TIMEOUT_SECONDS": float(env.get("CRASH_CLAIM_TIMEOUT", "5")),
        "ROUTING_SWEEP_GRACE_SECONDS": 1,
        "WEB_REPORTS_QUEUED": env.get("CRASH_QUEUED") == "1",
    })


def crash_app():  # noqa: ANN201 - gunicorn's factory
    from civicwatch import create_app

    return create_app(crash_config())


def prepare_database(env: Mapping[str, str]) -> None:
    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.routing.rule_operations import load_routing_rules
    from civicwatch.taxonomy.operations import load_taxonomy

    app = create_app(crash_config(env))
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_routing_rules()
        db.session.commit()
        db.engine.dispose()


class ForwardingHttpClient:
    """Twilio's REST client over HTTP to the fake Twilio of the parent process (CRASH_TWILIO_URL)."""

    def __init__(self, base: str) -> None:
        from twilio.http.http_client import TwilioHttpClient

        self.base = base
        self.inner = TwilioHttpClient(timeout=10)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        return self.inner.request(method, uri.replace("https://api.twilio.com", self.base), *args, **kwargs)


def run_worker() -> None:
    """`civicwatch deliver` in this process, sending through the fake Twilio."""
    from civicwatch import create_app
    from civicwatch.messaging.senders import TwilioSender, set_sender

    app = create_app(crash_config())
    http = ForwardingHttpClient(os.environ["CRASH_TWILIO_URL"])
    set_sender(app, TwilioSender(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=http))  # type: ignore[arg-type]
    app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--interval", "0.1"], catch_exceptions=False)


# ---------------------------------------------------------------- the fake Twilio

class FakeTwilio:
    """Accepts every POST to Messages.json after `latency` seconds and records (To, Body, SID); lists what it
    accepted (GET Messages.json by To and From, newest first), as a worker asks after a lost answer."""

    def __init__(self, latency: float = 0.05) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.listed: list[dict[str, Any]] = []  # every accepted message, as Twilio lists it
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                fields = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                time.sleep(latency)
                sid = "SM" + secrets.token_hex(16)
                fake.sent.append((fields.get("To", ""), fields.get("Body", ""), sid))
                fake.listed.append({"sid": sid, "to": fields.get("To"), "from": fields.get("From"),
                                    "body": fields.get("Body"), "status": "queued", "direction": "outbound-api",
                                    "date_created": formatdate(usegmt=True), "account_sid": ACCOUNT_SID})
                self._answer(201, {"sid": sid, "status": "queued", "to": fields.get("To"), "body": fields.get("Body"),
                                   "account_sid": ACCOUNT_SID})

            def do_GET(self) -> None:  # noqa: N802
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                found = [message for message in reversed(fake.listed)
                         if all(message[key.lower()] == query[key] for key in ("To", "From") if key in query)]
                size = int(query.get("PageSize", 50))
                self._answer(200, {"messages": found[:size], "next_page_uri": None, "page": 0, "page_size": size,
                                   "uri": self.path})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the worker was killed while it waited
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()  # its listening socket, or the run ends with a ResourceWarning

    @property
    def sent_twice(self) -> int:
        return sum(count - 1 for count in Counter((to, body) for to, body, _ in self.sent).values())


# ---------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class ProcessGroup:
    """A child started in its own process group, so that a kill takes its children (gunicorn's workers) too."""

    process: subprocess.Popen | None = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Server(ProcessGroup):
    """gunicorn in its own process group, so that SIGKILL takes the master and its workers at once."""

    def __init__(self, port: int, env: dict[str, str], workers: int, threads: int) -> None:
        self.port, self.env, self.workers, self.threads = port, env, workers, threads
        self.process: subprocess.Popen | None = None

    def start(self, wait: float = 30.0) -> None:
        command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"{HOST}:{self.port}",
                   "--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", "gthread",
                   "--log-level", "error", "--chdir", str(ROOT), "tests.reliability.crashes:crash_app()"]
        self.process = subprocess.Popen(command, env=self.env, start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://{HOST}:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("gunicorn did not start")


class Worker(ProcessGroup):
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        code = "from tests.reliability.crashes import run_worker; run_worker()"
        with open(Path(self.env["CRASH_WORKDIR"]) / "worker.log", "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-c", code], env=self.env, cwd=ROOT,
                                            start_new_session=True, stdout=log, stderr=log)


# ---------------------------------------------------------------- the clients

@dataclass
class Tally:
    web_acknowledged: dict[str, str] = field(default_factory=dict)  # marker -> receipt code seen
    web_sent: int = 0
    web_unanswered: int = 0  # connection cut or refused: the citizen saw no receipt
    texts_acknowledged: set[str] = field(default_factory=set)  # MessageSid
    texts_sent: int = 0
    server_errors: int = 0  # 5xx answers
    lock: threading.Lock = field(default_factory=threading.Lock)


def _get(session: requests.Session, url: str, until: float) -> requests.Response | None:
    """GET, retrying while the server is down (being restarted)."""
    while time.monotonic() < until:
        try:
            response = session.get(url, timeout=10)
        except requests.RequestException:
            time.sleep(0.05)
            continue
        if response.status_code < 500:
            return response
        time.sleep(0.05)
    return None


def web_client(base: str, tally: Tally, until: float, stop: threading.Event) -> None:
    while not stop.is_set() and time.monotonic() < until:
        session = requests.Session()
        form = _get(session, base + "/report", until)
        token = CSRF.search(form.text) if form is not None else None
        key = FORM_KEY.search(form.text) if form is not None else None
        if token is None or key is None:
            continue
        marker = secrets.token_hex(8)
        data = {"csrf_token": token.group(1), "form_key": key.group(1), "contact_choice": "anonymous", "consent": "y",
                "website": "",
                "text": f"Officers at the Bo checkpoint took 50,000 leones from me and beat my friend. {MARK} {marker}"}
        with tally.lock:
            tally.web_sent += 1
        try:
            response = session.post(base + "/report", data=data, allow_redirects=False, timeout=10)
        except requests.RequestException:
            with tally.lock:
                tally.web_unanswered += 1
            continue
        if response.status_code >= 500:
            with tally.lock:
                tally.server_errors += 1
            continue
        page = _get(session, base + response.headers["Location"], until) if response.status_code in (302, 303) \
            else response
        found = RECEIPT_CODE.search(page.text) if page is not None else None
        with tally.lock:
            if found:
                tally.web_acknowledged[marker] = found.group(1)
            else:
                tally.web_unanswered += 1


def sms_client(base: str, public_url: str, tally: Tally, until: float, stop: threading.Event, phones: int) -> None:
    """One text per phone (so that each owes one reply); each retried with its MessageSid until a 200."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(AUTH_TOKEN)
    for _ in range(phones):
        if stop.is_set() or time.monotonic() > until:
            return
        params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": ACCOUNT_SID,
                  "From": f"+2327{'678'[secrets.randbelow(3)]}{secrets.randbelow(10**6):06d}", "To": FROM_NUMBER, "NumMedia": "0",
                  "Body": "Police at the Kenema junction beat my brother and took his phone."}
        headers = {"X-Twilio-Signature": validator.compute_signature(public_url + "/sms/inbound", params)}
        with tally.lock:
            tally.texts_sent += 1
        while time.monotonic() < until:
            try:
                response = requests.post(base + "/sms/inbound", data=urlencode(params), timeout=10, headers={
                    **headers, "Content-Type": "application/x-www-form-urlencoded"})
            except requests.RequestException:
                time.sleep(0.05)
                continue
            if response.status_code == 200:
                with tally.lock:
                    tally.texts_acknowledged.add(params["MessageSid"])
                break
            with tally.lock:
                tally.server_errors += response.status_code >= 500
            time.sleep(0.05)


# ---------------------------------------------------------------- counting

@dataclass
class Outcome:
    acknowledged: int
    stored: int
    lost: int
    duplicated: int
    server_errors: int
    sent_twice: int | None
    unanswered: int
    details: dict[str, Any]


def count(env: Mapping[str, str], tally: Tally, twilio: FakeTwilio | None = None) -> Outcome:
    from sqlalchemy import select

    from civicwatch import create_app
    from civicwatch.cases.models import Case
    from civicwatch.cases.references import receipt_hash
    from civicwatch.extensions import db
    from civicwatch.intake.models import QueuedReport
    from civicwatch.messaging.models import OutboundMessage
    from civicwatch.sms.models import InboundSms, InboxText

    app = create_app(crash_config(env))
    with app.app_context():
        outbox = Counter(status.value for status in db.session.scalars(select(OutboundMessage.status)))
        inbox_left = len(db.session.scalars(select(InboxText.id)).all())
        queue_left = len(db.session.scalars(select(QueuedReport.id).where(QueuedReport.filed_at.is_(None))).all())
        stored_markers = Counter()
        receipts: dict[str, str] = {}
        for code_hash, text in db.session.execute(select(Case.receipt_hash, Case.text)):
            match = MARKER.search(text or "")
            if match:
                stored_markers[match.group(1)] += 1
                receipts[match.group(1)] = code_hash
        sids = set(db.session.scalars(select(InboxText.message_sid))) | set(
            db.session.scalars(select(InboundSms.message_sid)))
        # A report is lost unless its case holds the receipt code its sender saw.
        lost_web = [marker for marker, code in tally.web_acknowledged.items()
                    if receipts.get(marker) != receipt_hash(code.replace(" ", ""))]
        db.session.remove()
        db.engine.dispose()
    lost_texts = tally.texts_acknowledged - sids
    return Outcome(
        acknowledged=len(tally.web_acknowledged) + len(tally.texts_acknowledged),
        stored=len(stored_markers) + len(sids & tally.texts_acknowledged),
        lost=len(lost_web) + len(lost_texts),
        duplicated=sum(n - 1 for n in stored_markers.values()),
        server_errors=tally.server_errors,
        sent_twice=twilio.sent_twice if twilio is not None else None,
        unanswered=tally.web_unanswered,
        details={"web_sent": tally.web_sent, "web_acknowledged": len(tally.web_acknowledged),
                 "web_stored": len(stored_markers), "texts_sent": tally.texts_sent,
                 "texts_acknowledged": len(tally.texts_acknowledged), "texts_stored": len(sids),
                 "inbox_left": inbox_left, "queue_left": queue_left, "outbox": dict(outbox), "twilio_requests": len(twilio.sent) if twilio is not None else None},
    )


# ---------------------------------------------------------------- one run

@dataclass
class Plan:
    seconds: float = 12.0
    kills: int = 2  # of the server, spread over the run
    web_clients: int = 3
    sms_clients: int = 2
    worker: bool = False
    worker_kills: int = 0
    workers: int = 1
    threads: int = 4
    twilio_latency: float = 0.05
    queued: bool = False  # web reports queued for the worker (WEB_REPORTS_QUEUED), which then must run
    drain_seconds: float = 60.0  # at most, for the worker to answer every text and send every reply


def environment(database_url: str, schema: str | None, workdir: Path, port: int, twilio_url: str = "",
                queued: bool = False) -> dict:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(CRASH_WORKDIR=str(workdir), CRASH_DATABASE_URL=database_url, CRASH_SCHEMA=schema or "",
               CRASH_ENCRYPTION_KEY=Fernet.generate_key().decode(),
               CRASH_IDENTITY_KEY=Fernet.generate_key().decode(), CRASH_EVIDENCE_KEY=Fernet.generate_key().decode(),
               CRASH_PUBLIC_URL=f"http://{HOST}:{port}",
               CRASH_TWILIO_URL=twilio_url, CRASH_QUEUED="1" if queued else "", CIVICWATCH_ENV="production",
               PYTHONPATH=str(ROOT))
    return env


def run(database_url: str, schema: str | None, workdir: Path, plan: Plan,
        progress: Callable[[str], None] = lambda line: None) -> Outcome:
    port = free_port()
    twilio = FakeTwilio(plan.twilio_latency) if plan.worker else None
    env = environment(database_url, schema, workdir, port, twilio.url if twilio else "", plan.queued)
    prepare_database(env)
    server = Server(port, env, plan.workers, plan.threads)
    worker = Worker(env) if plan.worker else None
    base = f"http://{HOST}:{port}"
    tally, stop = Tally(), threading.Event()
    server.start()
    if worker:
        worker.start()
    until = time.monotonic() + plan.seconds + 30  # clients keep retrying through the last restart
    threads = [threading.Thread(target=web_client, args=(base, tally, until, stop), daemon=True)
               for _ in range(plan.web_clients)]
    threads += [threading.Thread(target=sms_client, args=(base, env["CRASH_PUBLIC_URL"], tally, until, stop, 10**6),
                                 daemon=True) for _ in range(plan.sms_clients)]
    try:
        for thread in threads:
            thread.start()
        _kill_during(plan, server, worker, progress)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        if worker:
            _drain(env, worker, plan.drain_seconds)
    finally:
        stop.set()
        server.stop()
        if worker:
            worker.stop()
        if twilio:
            twilio.close()
    return count(env, tally, twilio)


def _kill_during(plan: Plan, server: Server, worker: Worker | None, progress: Callable[[str], None]) -> None:
    """Kill the server (and the worker) at evenly spread moments, a little jittered, and start them again."""
    events = sorted([(plan.seconds * (n + 0.5) / plan.kills, "server") for n in range(plan.kills)] +
                    [(plan.seconds * (n + 0.7) / max(plan.worker_kills, 1), "worker")
                     for n in range(plan.worker_kills if worker else 0)])
    start = time.monotonic()
    for at, what in events:
        time.sleep(max(0.0, start + at + secrets.randbelow(200) / 1000 - time.monotonic()))
        if what == "server":
            server.kill()
            progress(f"  killed gunicorn at {time.monotonic() - start:.1f} s")
            server.start()
        elif worker is not None:
            worker.kill()
            progress(f"  killed the deliver worker at {time.monotonic() - start:.1f} s")
            worker.start()
    time.sleep(max(0.0, start + plan.seconds - time.monotonic()))


def _drain(env: Mapping[str, str], worker: Worker, wait: float = 60.0) -> None:
    """Let the worker answer every text, file every queued report and send every reply (stale claims included)
    before counting."""
    from sqlalchemy import func, select

    from civicwatch import create_app
    from civicwatch.extensions import db
    from civicwatch.intake.models import QueuedReport
    from civicwatch.messaging.models import OutboundMessage, OutboxStatus
    from civicwatch.sms.models import InboxText

    app = create_app(crash_config(env))
    deadline = time.monotonic() + wait
    with app.app_context():
        while time.monotonic() < deadline:
            waiting = db.session.scalar(select(func.count()).select_from(InboxText)) + db.session.scalar(
                select(func.count()).where(QueuedReport.filed_at.is_(None))) + db.session.scalar(
                select(func.count()).select_from(OutboundMessage).where(
                    OutboundMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))))
            db.session.rollback()
            if not waiting:
                break
            time.sleep(0.5)
        db.session.remove()
        db.engine.dispose()
