"""STATUS with the receipt code of a web report still queued for the worker (WEB_REPORTS_QUEUED): the code is right,
so the phone is told the report is being filed and no wrong try is counted against it; once filed, the case's
status comes back as for any report."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.extensions import db
from civicwatch.intake.models import ReceiptLookupFailure
from civicwatch.intake.queue import file_queued_reports
from civicwatch.sms.replies import Reply, render_reply
from tests.intake.conftest import RECEIPT_RE
from tests.intake.test_intake_idempotency import open_form, send


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["WEB_REPORTS_QUEUED"] = True
    return app_config


def test_status_with_a_queued_reports_code_says_it_is_being_filed(client, text):
    send(client, open_form(client))
    code = RECEIPT_RE.search(client.get("/report/received").get_data(as_text=True)).group(1)

    assert text(f"STATUS {code}") == render_reply(Reply.REPORT_BEING_FILED)
    assert text(code) == render_reply(Reply.REPORT_BEING_FILED)  # the code alone is the same question
    assert db.session.scalar(select(func.count()).select_from(ReceiptLookupFailure)) == 0

    assert file_queued_reports().filed == 1
    reply = text(f"STATUS {code}")
    assert reply != render_reply(Reply.REPORT_BEING_FILED) and "CW-" in reply
