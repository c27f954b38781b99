"""`civicwatch deliver`: the worker that answers the SMS inbox, files the queued web reports, then sends the
outbox (so it lives in sms, above messaging and intake)."""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from civicwatch.cases.attachments import sweep_orphaned_uploads
from civicwatch.cases.counts import refresh_dashboard_medians
from civicwatch.cases.reminders import send_deadline_alerts
from civicwatch.cli import WORKER_JOBS, WorkerJob, cli
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.intake.filing_workers import WORKER_PRESENT_EVERY, forget_worker, note_worker_present
from civicwatch.intake.queue import FilingReport, file_queued_reports, forget_filed_reports
from civicwatch.messaging.delivery import (
    DATABASE_DOWN,
    DeliveryReport,
    UnrecordedSends,
    claim_batch,
    clock_skew,
    deliver_due_messages,
)
from civicwatch.messaging.senders import SmsSender, get_sender
from civicwatch.patterns.sweep import detect_patterns, propose_queued_relations
from civicwatch.routing.sweep import route_never_routed_cases
from civicwatch.schema_guard import SchemaOutOfStep, refuse_schema_out_of_step
from civicwatch.sms.inbox import InboxReport, process_inbox
from civicwatch.sms.operations import ask_due_check_ins
from civicwatch.sms.set_aside import erase_expired_set_aside_texts_now
from civicwatch.transparency.rollup import refresh_due, refresh_statistics

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


# Messages per round; the stop signal is looked at between rounds.
BATCH = 20
# Files left in UPLOAD_DIR by a crash are removed when the worker starts and then this often.
SWEEP_UPLOADS_EVERY = dt.timedelta(hours=1)
# Texts set aside longer than SMS_SET_ASIDE_KEEP_DAYS are erased when the worker starts and then this often.
ERASE_SET_ASIDE_EVERY = dt.timedelta(hours=1)
# Filed web reports' tombstones older than FILED_KEPT are deleted this often (intake.queue).
FORGET_FILED_REPORTS_EVERY = dt.timedelta(minutes=1)
# Retaliation check-ins due (30 and 90 days after closure) are asked this often.
CHECK_INS_EVERY = dt.timedelta(minutes=15)
# A job its settings turn off is looked at again this often (so that nothing runs between).
DISABLED_JOB_LOOK_AGAIN = dt.timedelta(hours=1)
# Cases stored but never routed (a crash in between) are routed when the worker starts and then this often.
SWEEP_UNROUTED_EVERY = dt.timedelta(minutes=1)
# While the database is down the worker waits --interval, doubling up to this, between tries.
MAX_OUTAGE_WAIT_SECONDS = 30.0
# The longest --interval: a worker waiting longer between looks leaves texts unanswered while it seems to run.
MAX_INTERVAL_SECONDS = 60.0
# While texts keep coming, the related-case proposals of the cases they open are made this often, ten cases a
# transaction, rather than before every round (a few cases a transaction); a worker with nothing more to answer
# makes them at once.
PROPOSE_RELATED_EVERY = dt.timedelta(seconds=1)


@cli.command("deliver")
@click.option("--once", is_flag=True, help="Answer the texts waiting and send everything due now, then exit.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1, MAX_INTERVAL_SECONDS),
              callback=lambda context, param, value: _a_number(value),
              help="Seconds between looks at the inbox and the outbox when both are empty.")
def deliver_command(once: bool, interval: float) -> None:
    """Answer inbound texts and send outbox messages (Twilio, or the SMS simulator without Twilio
    credentials). Several workers may run at once: none takes a text or a message another has claimed.
    SIGTERM finishes the round, then stops."""
    sender = get_sender(current_app)
    if sender is None:
        raise click.ClickException(
            "No SMS sender: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."
        )
    worker = worker_name()
    click.echo(f"Answering texts and delivering outbox messages through {sender.name} as {worker}.")
    total, answered = DeliveryReport(), InboxReport()
    unrecorded = UnrecordedSends()  # SIDs Twilio gave us that the database has not taken yet
    # A long-running worker says it runs, so that web reports are queued for it (intake.filing_workers); a --once
    # run does not: nothing would file what came after it.
    presence = () if once else (WorkerJob("presence", _fixed(WORKER_PRESENT_EVERY), lambda: _say_present(worker)),)
    jobs = (*presence, *OWN_JOBS, *WORKER_JOBS)
    next_run, outage, clock_checked = {job.name: utcnow() for job in jobs}, 0, False
    proposals_owed = False  # texts answered since the related-case proposals last ran: their new cases wait
    sending: SendingLoop | None = None  # without --once, the outbox's loop, on a thread of its own
    try:
        with stop_on_signal() as signalled:
            def stopping() -> bool:
                return signalled() or (sending is not None and sending.error is not None)

            while not stopping():
                if not clock_checked:  # once the database answers
                    try:
                        _refuse_a_schema_out_of_step()
                        _refuse_a_clock_off_the_databases()
                    except DATABASE_DOWN:
                        _rollback_quietly()
                    else:
                        clock_checked = True
                if clock_checked and sending is None and not once:
                    sending = SendingLoop(current_app._get_current_object(),  # type: ignore[attr-defined]
                                          sender, worker, interval, signalled)
                    sending.start()
                for job in jobs:
                    due = next_run[job.name]
                    next_run[job.name] = _run_job_when_due(job, due)
                    if job is PROPOSALS and next_run[job.name] != due:
                        proposals_owed = False
                try:
                    report, inbox = _round(sender, worker, unrecorded) if once else (
                        DeliveryReport(), process_inbox(limit=BATCH))
                    filed = file_queued_reports(limit=BATCH)
                except DATABASE_DOWN as error:
                    # The database went away (restart, network): a long-running worker waits and tries again.
                    _rollback_quietly()
                    if once:
                        raise
                    outage += 1
                    _warn_database_down(error)
                    _sleep(min(interval * 2 ** (outage - 1), MAX_OUTAGE_WAIT_SECONDS), stopping)
                    continue
                outage = 0
                total = total + report
                answered = answered + inbox
                proposals_owed = proposals_owed or inbox.answered > 0 or filed.filed > 0
                if filed.filed or filed.failed:
                    click.echo(_filed_summary(filed))
                if (inbox.answered or inbox.failed) and not once:  # the sending loop prints its own lines
                    click.echo(_summary(None, inbox))
                if (inbox.answered or inbox.failed or filed.filed) and sending is not None:
                    sending.wake()  # the replies just committed are due now
                if (report.handled < outbox_round() and inbox.answered + inbox.failed < BATCH
                        and filed.filed + filed.failed < BATCH):  # nothing more is due now
                    if proposals_owed:  # before waiting (or ending): no new case waits for the next second
                        next_run[PROPOSALS.name] = _run_job_when_due(PROPOSALS, utcnow())
                        proposals_owed = False
                    if once:
                        break
                    _sleep(interval, stopping)
    finally:
        if sending is not None:
            sending.stop_and_wait()
        if presence:
            forget_worker(worker)
        _warn_unrecorded(unrecorded)
    if sending is not None and sending.error is not None:
        raise sending.error
    if once:
        click.echo(_summary(total, answered))


class SendingLoop(threading.Thread):
    """The outbox's claims, sends and records, on a thread of its own with its own app context and database
    session, so that a worker sends replies while its main thread answers the next texts (each send a round trip
    to Twilio, 150-400 ms). A reply is claimed only once the transaction that owes it has committed: the main loop
    wakes this one when it has answered texts, rather than their replies waiting out the rest of an --interval.
    It stops when the worker is signalled or its main loop ends, after the sends in flight end and their SIDs are
    recorded. An error other than the database's is kept in `error`: the worker stops and raises it."""

    def __init__(self, app: Flask, sender: SmsSender, worker: str, interval: float,
                 signalled: Callable[[], bool]) -> None:
        super().__init__(name="outbox")
        self.app, self.sender, self.worker, self.interval = app, sender, worker, interval
        self.unrecorded = UnrecordedSends()
        self.error: BaseException | None = None
        self._signalled, self._halt, self._woken = signalled, threading.Event(), threading.Event()

    def stopping(self) -> bool:
        return self._halt.is_set() or self._signalled()

    def wake(self) -> None:
        """Look at the outbox now: replies were just committed."""
        self._woken.set()

    def stop_and_wait(self) -> None:
        self._halt.set()
        self._woken.set()
        self.join()

    def run(self) -> None:
        with self.app.app_context():
            try:
                self._loop()
            except BaseException as error:
                self.error = error
            finally:
                _warn_unrecorded(self.unrecorded)

    def _loop(self) -> None:
        outage = 0
        while not self.stopping():
            self._woken.clear()  # a wake from here on, during the round, starts the next one at once
            try:
                report = _send_round(self.sender, self.worker, self.unrecorded)
            except DATABASE_DOWN as error:
                _rollback_quietly()
                outage += 1
                _warn_database_down(error)
                _sleep(min(self.interval * 2 ** (outage - 1), MAX_OUTAGE_WAIT_SECONDS), self.stopping)
                continue
            outage = 0
            if report.handled or report.errors:
                click.echo(_summary(report, None))
            if report.handled < outbox_round():  # nothing more is due now
                _sleep(self.interval, self.stopping, self._woken)


def _warn_database_down(error: DBAPIError) -> None:
    log.warning("outbox worker: database unavailable (%s); retrying", type(error.orig).__name__)


def _refuse_a_schema_out_of_step() -> None:
    """Code and database of two releases: the worker would read and write columns that are not there."""
    try:
        refuse_schema_out_of_step(db.engine)
    except SchemaOutOfStep as error:
        raise click.ClickException(str(error)) from error


def _refuse_a_clock_off_the_databases() -> None:
    """Claims go stale by the clock of the worker that looks: a worker whose clock runs minutes ahead would take
    other workers' fresh claims for stale ones and send those texts again."""
    limit = current_app.config.get("OUTBOX_MAX_CLOCK_SKEW_SECONDS")
    if limit is None:
        return
    skew = clock_skew()
    if abs(skew) > dt.timedelta(seconds=limit):
        way = "ahead of" if skew > dt.timedelta(0) else "behind"
        raise click.ClickException(
            f"This machine's clock is {abs(skew).total_seconds():.0f} seconds {way} the database's (at most {limit:g} "
            "allowed): workers whose clocks differ could send a text twice. Set the clock right (NTP) and start the "
            "worker again.")


def _round(sender: SmsSender, worker: str, unrecorded: UnrecordedSends) -> tuple[DeliveryReport, InboxReport]:
    """--once: the texts answered, then the outbox sent, one after the other."""
    # SIDs first: a message sent but not recorded is recorded before anything else is claimed or sent.
    report = DeliveryReport()
    unrecorded.record(report)
    inbox = process_inbox(limit=BATCH)
    return report + deliver_due_messages(sender, worker, limit=outbox_round(), unrecorded=unrecorded), inbox


def _send_round(sender: SmsSender, worker: str, unrecorded: UnrecordedSends) -> DeliveryReport:
    report = DeliveryReport()
    unrecorded.record(report)  # SIDs first, as in _round
    return report + deliver_due_messages(sender, worker, limit=outbox_round(), unrecorded=unrecorded)


def outbox_round() -> int:
    """Outbox messages per round: at least a claim's batch, so that the sends in flight together stay busy."""
    return max(BATCH, claim_batch())


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except DATABASE_DOWN:
        pass


def _warn_unrecorded(unrecorded: UnrecordedSends) -> None:
    """Stopping with SIDs the database never took: their claims go stale and they would be sent again."""
    try:
        unrecorded.record(DeliveryReport())
    except DATABASE_DOWN:
        _rollback_quietly()
    for sent in unrecorded.waiting:
        log.error("outbox message %s was sent (SID %s) but never recorded: set its provider_sid by hand or "
                  "it is sent again", sent.message_id, sent.provider_sid)


def _run_job_when_due(job: WorkerJob, due: dt.datetime) -> dt.datetime:
    """Run a periodic job if it is enabled and due; returns when to look next. Never stops the worker: a job
    that fails, whatever the error (a row the key cannot decrypt, a bug), is logged by the error's type alone
    (its message could quote personal data) and tried again at its next turn. Were it to stop the worker, the
    restarted worker would run it first and stop again, and no text would ever be sent."""
    now = utcnow()
    every = job.every(current_app)
    if every is None:
        return now + DISABLED_JOB_LOOK_AGAIN
    if now < due:
        return due
    try:
        line = job.run()
    except Exception as error:
        _rollback_quietly()
        log.warning("outbox worker: %s not run (%s); next try later", job.name, type(error).__name__)
        return now + every
    if line:
        click.echo(line)
    return now + every


def _sweep_uploads() -> str:
    removed = sweep_orphaned_uploads().removed
    db.session.commit()
    return f"Removed {removed} orphaned upload files." if removed else ""


def _route_unrouted() -> str:
    routed = route_never_routed_cases()
    return f"Routed {routed} cases that were stored but never routed." if routed else ""


def _refresh_statistics() -> str:
    """Bring the public statistics up to date when a publication is due (STATISTICS_PUBLISHED), so that no
    public page waits for it (the pages show the previous figures meanwhile)."""
    if refresh_due():
        refresh_statistics()
    db.session.commit()
    return ""


def _refresh_dashboard_medians() -> str:
    """The staff dashboard's quarter medians: computed here so that no page takes a median over a quarter."""
    refresh_dashboard_medians()
    db.session.commit()
    return ""


def _detect_patterns() -> str:
    report = detect_patterns()
    return f"Pattern alerts: {report.raised} raised, {report.updated} updated." if report.raised or report.updated else ""


def _propose_related_cases() -> str:
    """Propose the related cases of the new cases routing queued (they stay queued when this fails)."""
    proposed = propose_queued_relations()
    return f"Related cases proposed for {proposed} new cases." if proposed else ""


def _send_deadline_alerts() -> str:
    report = send_deadline_alerts(utcnow())
    lines = []
    if report.restarted:
        lines.append(f"Deadline clocks run again after an unanswered question: {report.restarted}.")
    if report.reminders or report.escalations:
        lines.append(f"Deadline alerts: {report.reminders} reminders, {report.escalations} escalations.")
    return "\n".join(lines)


def _erase_set_aside_texts() -> str:
    erased = erase_expired_set_aside_texts_now()
    texts = "text" if erased == 1 else "texts"
    return f"Erased {erased} {texts} set aside longer than SMS_SET_ASIDE_KEEP_DAYS." if erased else ""


def _say_present(worker: str) -> str:
    note_worker_present(worker)
    return ""


def _forget_filed_reports() -> str:
    forget_filed_reports(utcnow())
    db.session.commit()
    return ""


def _send_check_ins() -> str:
    """Each check-in is asked exactly once, whatever the number of workers."""
    sent = ask_due_check_ins(utcnow())
    db.session.commit()
    return f"Retaliation check-ins asked: {sent}." if sent else ""


def _fixed(every: dt.timedelta) -> Callable[[Flask], dt.timedelta]:
    return lambda app: every


def _minutes_of(setting: str, default: float) -> Callable[[Flask], dt.timedelta]:
    return lambda app: dt.timedelta(minutes=float(app.config.get(setting, default)))


PROPOSALS = WorkerJob("related-case proposals", _fixed(PROPOSE_RELATED_EVERY), _propose_related_cases)
# The worker's own periodic jobs, run in this order before each round, the first time when it starts; domains
# above sms add theirs to WORKER_JOBS.
OWN_JOBS = (
    WorkerJob("orphaned uploads sweep", _fixed(SWEEP_UPLOADS_EVERY), _sweep_uploads),
    WorkerJob("unrouted cases sweep", _fixed(SWEEP_UNROUTED_EVERY), _route_unrouted),
    WorkerJob("statistics refresh", _fixed(dt.timedelta(0)), _refresh_statistics),
    WorkerJob("dashboard medians", _minutes_of("DASHBOARD_MEDIANS_MINUTES", 5), _refresh_dashboard_medians),
    WorkerJob("pattern alerts", _minutes_of("PATTERN_SWEEP_MINUTES", 60), _detect_patterns),
    PROPOSALS,
    WorkerJob("deadline alerts", _minutes_of("DEADLINE_SWEEP_MINUTES", 15), _send_deadline_alerts),
    WorkerJob("retaliation check-ins", _fixed(CHECK_INS_EVERY), _send_check_ins),
    WorkerJob("set-aside texts erasure", _fixed(ERASE_SET_ASIDE_EVERY), _erase_set_aside_texts),
    WorkerJob("filed web reports' tombstones", _fixed(FORGET_FILED_REPORTS_EVERY), _forget_filed_reports),
)


def _filed_summary(filed: FilingReport) -> str:
    line = f"web reports filed {filed.filed}"
    return line + (f", failed {filed.failed} (tried again, then left for an admin)" if filed.failed else "")


def _summary(report: DeliveryReport | None, inbox: InboxReport | None) -> str:
    """One line: the texts answered, the outbox's sends, or both (None: that part is not this line's)."""
    parts = []
    if inbox is not None:
        part = f"texts answered {inbox.answered}"
        if inbox.failed:
            part += f", failed {inbox.failed} (set aside {inbox.set_aside})"
        parts.append(part)
    if report is not None:
        part = (f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}, "
                f"cancelled (opted out) {report.cancelled}")
        if report.held:
            part += f", held for the WhatsApp window {report.held}"
        if report.lost_claims:
            part += f", claims lost {report.lost_claims}"
        if report.errors:
            part += f", errors {len(report.errors)}"
        parts.append(part)
    return "; ".join(parts)


@contextmanager
def stop_on_signal() -> Iterator[Callable[[], bool]]:
    """Ask the loop to stop on SIGTERM or SIGINT (the message in hand is finished); handlers restored after."""
    state = {"stop": False}
    if threading.current_thread() is not threading.main_thread():
        yield lambda: state["stop"]
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        state["stop"] = True

    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield lambda: state["stop"]
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _a_number(seconds: float) -> float:
    """FloatRange lets nan through (it compares with nothing): a worker that would poll without pause."""
    if math.isnan(seconds):
        raise click.BadParameter("give a number of seconds", param_hint="--interval")
    return seconds


def _sleep(seconds: float, stopping: Callable[[], bool], woken: threading.Event | None = None) -> None:
    """Wait `seconds`, or less if stopping or `woken` is set (a signal is looked at every 0.2 s)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stopping():
        pause = min(0.2, max(end - time.monotonic(), 0))
        if woken is None:
            time.sleep(pause)
        elif woken.wait(pause):
            return
