"""`civicwatch deliver`: the outbox delivery worker."""
from __future__ import annotations

import os
import signal
import socket
import time
from types import FrameType

import click
from flask import current_app

from civicwatch.cli import cli
from civicwatch.messaging.delivery import DeliveryReport, deliver_due_messages
from civicwatch.messaging.senders import get_sender


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@cli.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between looks at the outbox.")
def deliver_command(once: bool, interval: float) -> None:
    """Send outbox messages (Twilio, or the SMS simulator without Twilio credentials). Several workers
    may run at once: none sends a message another has claimed."""
    sender = get_sender(current_app)
    if sender is None:
        raise click.ClickException(
            "No SMS sender: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."
        )
    worker = worker_name()
    stopping = _stop_on_signal()
    click.echo(f"Delivering outbox messages through {sender.name} as {worker}.")
    while True:
        report = deliver_due_messages(sender, worker)
        if report.handled or report.errors or once:
            click.echo(_summary(report))
        if once or stopping():
            return
        # A full batch means more may be waiting: go again at once.
        if report.handled < 100:
            _sleep(interval, stopping)


def _summary(report: DeliveryReport) -> str:
    line = (f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}, "
            f"cancelled (opted out) {report.cancelled}")
    if report.lost_claims:
        line += f", claims lost {report.lost_claims}"
    if report.errors:
        line += f", errors {len(report.errors)}"
    return line


def _stop_on_signal():
    """Finish the message in hand on SIGTERM/SIGINT, then stop."""
    state = {"stop": False}

    def handler(signum: int, frame: FrameType | None) -> None:
        state["stop"] = True

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return lambda: state["stop"]


def _sleep(seconds: float, stopping) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stopping():
        time.sleep(min(0.2, end - time.monotonic()))
