"""Queued web reports at their edges: a form sent twice around the worker's filing, a retry after the receipt's
hour, a taxonomy that changed while a report waited, failures and outages while filing, two workers, the rate
limit, the outbox and follow-up pages, a code quoted while its report waits. The citizen's report is never lost
or doubled, is filed as it would have been at once, and the code they are shown always opens their case."""
from __future__ import annotations

import random
import string
import threading
from html import unescape

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

from civicwatch.audit.models import AuditEntry
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case
from civicwatch.cases.references import receipt_hash
from civicwatch.extensions import db
from civicwatch.intake import operations, queue, views
from civicwatch.intake.idempotency import RECEIPT_WINDOW
from civicwatch.intake.models import QueuedReport
from civicwatch.messaging.models import NotSafeToText, PhoneLanguage
from civicwatch.routing import operations as routing_operations
from civicwatch.taxonomy.models import District, Region
from tests.conftest import on_postgres
from tests.factories import png_bytes, post_multipart
from tests.intake.conftest import WHAT_HAPPENED, valid_report
from tests.intake.test_intake_idempotency import open_form, send
from tests.intake.test_intake_queued_reports import (  # noqa: F401 - app_config: the fixture that queues reports
    app_config,
    cases,
    code_on,
    queued,
    receipt_page,
    track,
)
from tests.sms.test_sms_set_aside_expiry import deliver_once_ok


def shown_code(client) -> str:
    return code_on(receipt_page(client))


def test_a_twin_filed_between_the_look_up_and_the_queueing_is_answered_with_the_filed_code(client, monkeypatch):
    """A double click: one request queues the report and the worker files it (moving its key out of the queue)
    after the other request looked the key up and before it queues. The second must answer with the case's code;
    a code of its own would be dropped with its row when the worker finds the key filed."""
    real_queue_report = queue.queue_report
    twin: list[queue.QueuedReceipt] = []

    def twin_queued_and_filed_first(submission, key):
        first = real_queue_report(submission, key)
        assert first is not None
        twin.append(first)
        assert queue.file_queued_reports().filed == 1
        return real_queue_report(submission, key)

    monkeypatch.setattr(views, "queue_report", twin_queued_and_filed_first)
    response = send(client, open_form(client))
    assert response.status_code == 303
    code = shown_code(client)

    deliver_once_ok()
    [case] = cases()
    assert queued() == []
    assert code == twin[0].code and case.receipt_hash == receipt_hash(code.replace(" ", ""))
    opened = track(client, code)
    assert opened.status_code == 303 and opened.headers["Location"] == "/track/case"


def test_a_retry_after_the_receipts_hour_does_not_show_the_code_of_a_report_still_queued(client, clock):
    """The code is shown again only within an hour of sending (the page says so), queued or filed alike."""
    hidden = open_form(client)
    send(client, hidden)
    code = shown_code(client)
    clock.advance(seconds=RECEIPT_WINDOW.total_seconds() + 60)  # the worker was stopped all that time

    again = send(client, hidden)
    page = unescape(again.get_data(as_text=True))
    assert again.status_code == 200 and "Your report was already received" in page
    assert code not in page and code.replace(" ", "") not in page
    assert "being filed" in page and 'class="reference"></span>' not in page
    assert len(queued()) == 1 and cases() == []

    deliver_once_ok()  # filed later with the code first shown, which still opens it
    [case] = cases()
    assert case.receipt_hash == receipt_hash(code.replace(" ", ""))
    assert track(client, code).status_code == 303


def test_a_report_is_tried_once_per_round_so_a_short_failure_does_not_leave_it_for_an_admin(client, monkeypatch):
    """Three tries, then an admin: tries a round apart, not three in the same instant (a round meets a passing
    failure three times as surely as once)."""
    send(client, open_form(client))
    real_file = queue.file_queued_complaint
    failing = {"now": True}

    def file_unless_failing(submission, key_row, reading):
        if failing["now"]:
            raise RuntimeError("the classifier's model is being replaced")
        return real_file(submission, key_row, reading)

    monkeypatch.setattr(queue, "file_queued_complaint", file_unless_failing)
    assert "failed 1" in deliver_once_ok()
    [row] = queued()
    assert row.attempts == 1 and row.last_error == "RuntimeError"

    failing["now"] = False
    assert "web reports filed 1" in deliver_once_ok()
    assert queued() == [] and len(cases()) == 1


def test_a_report_whose_district_was_removed_while_it_waited_is_filed_not_stuck(client):
    """Checked when it came, filed later: a place (or actor) gone from the taxonomy meanwhile would refuse it at
    every try, for ever, while its sender holds a receipt. Filed without it; the sender's own words stay."""
    eastern = db.session.scalar(select(Region).where(Region.code == "eastern"))
    db.session.add(District(code="tongo_field", name="Tongo Field", region=eastern))
    db.session.commit()
    send(client, open_form(client), area="district:tongo_field", location_text="Near the diamond pits")
    code = shown_code(client)
    db.session.delete(db.session.scalar(select(District).where(District.code == "tongo_field")))
    db.session.commit()

    assert "web reports filed 1" in deliver_once_ok()
    [case] = cases()
    assert queued() == []
    assert case.district is None and case.location_text == "Near the diamond pits"
    assert case.receipt_hash == receipt_hash(code.replace(" ", ""))


def test_the_outbox_page_does_not_blame_the_worker_for_reports_that_failed(client, login_as, make_user):
    """Reports left for an admin are not the worker's backlog: many of them must not read as a worker stopped."""
    for number in range(21):
        send(client, open_form(client), text=f"{WHAT_HAPPENED} Report number {number}.")
    db.session.execute(update(QueuedReport).values(attempts=queue.MAX_ATTEMPTS, last_error="RuntimeError"))
    db.session.commit()

    login_as(make_user("admin"))
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert "<strong>21</strong> could not be filed" in page
    assert "is running" not in page


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="row locks and SKIP LOCKED are PostgreSQL's")
def test_a_report_stored_again_after_its_routed_insert_failed_stays_its_workers(app, client, monkeypatch):
    """When the INSERT that carries a report's route fails, the report is stored again, unrouted. Its worker must
    keep its claim on the queued row meanwhile: another worker filing the same report throws one's work away and,
    with other timing, the two wait on each other (the second's case INSERT on the first's, the first's DELETE of
    the row on the second's lock) until PostgreSQL breaks the deadlock and one worker takes it for an outage."""
    send(client, open_form(client))
    real_plan, real_again = routing_operations.plan_into_new_case, operations._draft_again
    other: list[object] = []

    def plan_failing_once(*args, **kwargs):
        monkeypatch.setattr(routing_operations, "plan_into_new_case", real_plan)
        raise RuntimeError("the route's write failed")

    def another_worker_meanwhile(*args, **kwargs):
        def file_too() -> None:
            with app.app_context():
                try:
                    other.append(queue.file_queued_reports())
                except Exception as exc:  # pragma: no cover - shown in the assertion below
                    other.append(exc)
                finally:
                    db.session.remove()

        thread = threading.Thread(target=file_too)
        thread.start()
        thread.join(30)
        return real_again(*args, **kwargs)

    monkeypatch.setattr(routing_operations, "plan_into_new_case", plan_failing_once)
    monkeypatch.setattr(operations, "_draft_again", another_worker_meanwhile)
    mine = queue.file_queued_reports()

    assert other == [queue.FilingReport(filed=0, failed=0)]
    assert mine == queue.FilingReport(filed=1, failed=0)
    assert len(cases()) == 1 and queued() == []


def filed_as(case: Case) -> dict[str, object]:
    submitted = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.submit",
                                                            AuditEntry.case_id == case.id)).one()
    phone = contact_of(case)["phone"]
    return {
        "case": {name: getattr(case, name) for name in (
            "channel", "status", "incident_date", "region_id", "district_id", "location_text", "reported_actor",
            "actor_id", "urgent", "fears_retaliation", "language", "body_id", "text")},
        "audit": {name: value for name, value in submitted.after.items() if name != "reference"},
        "not_safe": db.session.scalar(select(func.count()).select_from(NotSafeToText)
                                      .where(NotSafeToText.case_id == case.id)),
        "page_language": db.session.scalar(select(PhoneLanguage.language)
                                           .where(PhoneLanguage.phone_hash == case.contact_phone_hash)),
        "phone_kept": bool(phone),
    }


def test_a_queued_report_is_filed_as_the_same_report_filed_at_once(app, client, clock):
    """Language and the page's language remembered for texts, texts refused, urgency, fear of reprisals, date,
    place, actor, routing and the audit entry: the same, whichever way the report went in."""
    form = {"text": WHAT_HAPPENED, "incident_date": "2026-03-01", "area": "district:kenema",
            "location_text": "Bus station", "reported_actor": "police", "danger_now": "yes",
            "fears_retaliation": "yes", "contact_choice": "contact", "texts_allowed": "no"}
    french = {"headers": {"Accept-Language": "fr"}}
    app.config["WEB_REPORTS_QUEUED"] = False
    at_once = post_multipart(client, "/report", {**valid_report(**form, phone="+23276123456"), **open_form(client)},
                             **french)
    app.config["WEB_REPORTS_QUEUED"] = True
    queued_one = post_multipart(client, "/report", {**valid_report(**form, phone="+23276654321"),
                                                    **open_form(client)}, **french)
    assert at_once.status_code == queued_one.status_code == 303
    clock.advance(minutes=5)
    assert "web reports filed 1" in deliver_once_ok()

    first, second = cases()
    assert filed_as(second) == filed_as(first)
    assert filed_as(first)["page_language"] == "fr" and filed_as(first)["not_safe"]  # a row per text channel
    assert first.urgent and first.fears_retaliation and first.district.code == "kenema"


def test_the_follow_up_page_does_not_promise_a_minute_for_a_report_left_for_an_admin(client):
    """A report that failed every try waits for an admin, perhaps for days: its sender is told it is delayed and
    kept, not to come back in a few minutes."""
    send(client, open_form(client))
    code = shown_code(client)
    db.session.execute(update(QueuedReport).values(attempts=queue.MAX_ATTEMPTS, last_error="RuntimeError"))
    db.session.commit()

    page = unescape(track(client, code).get_data(as_text=True))
    assert "being filed" in page and "taking longer than usual" in page
    assert "less than a minute" not in page and "in a few minutes" not in page


def test_a_database_outage_while_filing_costs_the_report_no_try(app, client, monkeypatch):
    """The database, not the report: the round ends (the deliver loop waits and tries again) and the report keeps
    all its tries, however long the outage."""
    send(client, open_form(client))
    real_plan = routing_operations.plan_into_new_case

    def connection_lost(*args, **kwargs):  # in the savepoint the case is written in
        raise OperationalError("INSERT INTO cases ...", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    monkeypatch.setattr(routing_operations, "plan_into_new_case", connection_lost)
    for _ in range(queue.MAX_ATTEMPTS + 1):
        with pytest.raises(OperationalError):
            queue.file_queued_reports()
    [row] = queued()
    assert row.attempts == 0 and row.last_error is None and cases() == []

    monkeypatch.setattr(routing_operations, "plan_into_new_case", real_plan)
    assert "web reports filed 1" in deliver_once_ok()
    assert queued() == [] and len(cases()) == 1


class TestQueuedUnderTheRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(RATELIMIT_ENABLED=True, REPORT_RATE_LIMIT="2 per minute")
        return app_config

    def test_a_queued_report_counts_as_a_stored_one_and_its_retry_gets_its_receipt(self, client):
        assert send(client, open_form(client)).status_code == 303
        shown_code(client)
        hidden = open_form(client)
        assert send(client, hidden).status_code == 303
        code = shown_code(client)
        for _ in range(3):  # its answer was lost: sent again past the limit, while it waits and once it is filed
            assert send(client, hidden).status_code == 303
            assert shown_code(client) == code
            deliver_once_ok()
        assert send(client, open_form(client)).status_code == 429  # a third report waits for the limit
        assert len(cases()) == 2 and queued() == []


def test_a_report_quoting_the_receipt_code_of_one_still_queued_does_not_keep_the_code(client):
    """A report's words lose every case's receipt code they quote (staff who read them may not handle that case,
    and a code opens its case's follow-up page). A code whose report waits in the queue is a case's code too:
    the case it becomes opens with it."""
    send(client, open_form(client))
    code = shown_code(client)
    quoting = f"{WHAT_HAPPENED} This adds the photo to my report {code}."
    hidden = open_form(client)
    response = post_multipart(client, "/report", {**valid_report(text=quoting), **hidden}, [(png_bytes(), "photo.png")])
    assert response.status_code == 303  # with a file: filed at once, while the first waits

    [filed_at_once] = cases()
    assert code not in filed_at_once.text and "[receipt code removed]" in filed_at_once.text


def test_a_number_written_without_its_country_is_kept_as_the_form_read_it(app, client):
    """The request reads a number without its country prefix by its DEFAULT_PHONE_REGION; a worker set up with
    another region must not read it again as another country's (or refuse it)."""
    send(client, open_form(client), contact_choice="contact", phone="076 123 456", texts_allowed="no")
    app.config["DEFAULT_PHONE_REGION"] = "GB"
    assert "web reports filed 1" in deliver_once_ok()
    [case] = cases()
    assert contact_of(case)["phone"] == "+23276123456"


def words_of_random_letters(count: int, seed: int) -> str:
    """Words that compress too little for PostgreSQL to fit an index entry of a few thousand of their letters."""
    chance = random.Random(seed)
    return " ".join("".join(chance.choice(string.ascii_letters) for _ in range(chance.randint(3, 9)))
                    for _ in range(count))


@pytest.mark.postgres_only
@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL's limits (SQLSTATE class 54)")
def test_a_report_past_one_of_the_databases_limits_fails_alone_and_does_not_hold_the_queue(client):
    """A deployment's own index on the cases' words: PostgreSQL refuses a long report's entry in it (SQLSTATE
    54000, larger than an index entry may be), at every try. The try is counted against that report, which waits
    for an admin after its tries, and the report queued after it is filed. Taken for the database's error, it
    held the queue up for ever, the worker waiting for an outage to end."""
    db.session.execute(text("CREATE INDEX cases_words ON cases (text)"))
    db.session.commit()
    send(client, open_form(client), text=f"{WHAT_HAPPENED} {words_of_random_letters(550, seed=7)}")
    send(client, open_form(client), text=f"{WHAT_HAPPENED} The second report, a short one.")
    assert len(queued()) == 2  # within the form's 5,000 characters
    first = queue.file_queued_reports()
    assert first.filed == 1 and first.failed == 1
    for _ in range(queue.MAX_ATTEMPTS - 1):
        assert queue.file_queued_reports().failed == 1
    assert queue.file_queued_reports().failed == 0  # left for an admin
    [left] = queued()
    assert left.attempts == queue.MAX_ATTEMPTS and left.last_error == "OperationalError"
    assert [case.text for case in cases()] == [f"{WHAT_HAPPENED} The second report, a short one."]
    assert queue.queue_state().failed == 1
