"""A report form sent twice (a retry after a lost answer, a double click, two requests at once) stores one case
and shows its receipt again; after the window the receipt is erased; nobody else can replay it."""
from __future__ import annotations

import html as html_module
import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civicwatch.cases.models import Case
from civicwatch.crypto import DecryptionError, decrypt_text
from civicwatch.extensions import db
from civicwatch.intake import idempotency, views
from civicwatch.intake.idempotency import RECEIPT_WINDOW
from civicwatch.intake.models import SubmissionKey
from tests.conftest import on_postgres
from tests.factories import png_bytes, post_multipart
from tests.intake.conftest import RECEIPT_RE, valid_report
from tests.threads import run_together

FORM_KEY_RE = re.compile(r'name="form_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_key"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WAIT_SECONDS = 20  # a bound on a report that would never get through, not a pause


def case_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Case))


def open_form(client: FlaskClient) -> dict:
    """The hidden fields of a freshly shown report form."""
    html = client.get("/report").get_data(as_text=True)
    key = FORM_KEY_RE.search(html)
    assert key, "the form has no form_key field"
    return {"csrf_token": CSRF_RE.search(html).group(1), "form_key": key.group(1) or key.group(2)}


def send(client: FlaskClient, hidden: dict, **changes):
    return post_multipart(client, "/report", {**valid_report(**changes), **hidden})


def receipt_shown(client: FlaskClient) -> tuple[str, str]:
    html = client.get("/report/received").get_data(as_text=True)
    reference = re.search(r'class="reference">(CW-\d{4}-\d{6})<', html).group(1)
    return RECEIPT_RE.search(html).group(1), reference


def test_each_form_gets_its_own_unguessable_key(client):
    keys = {open_form(client)["form_key"] for _ in range(5)}
    assert len(keys) == 5 and all(len(key) >= 40 for key in keys)


def test_a_retried_form_makes_no_second_case_and_shows_the_same_receipt(client):
    hidden = open_form(client)
    first = send(client, hidden)
    assert first.status_code == 303
    code, reference = receipt_shown(client)

    again = send(client, hidden)  # the answer was lost: the citizen presses "Send report" again
    assert again.status_code == 303 and again.headers["Location"] == "/report/received"
    assert receipt_shown(client) == (code, reference)
    assert case_count() == 1


def test_the_receipt_is_kept_encrypted_under_the_form_key_only(client):
    hidden = open_form(client)
    send(client, hidden)
    code, _ = receipt_shown(client)
    row = db.session.scalars(select(SubmissionKey)).one()
    assert hidden["form_key"] not in row.key_hash and code.replace(" ", "") not in repr(row.receipt_encrypted)
    with pytest.raises(DecryptionError):  # the server's key alone (say, with a stolen backup) does not open it
        decrypt_text(row.receipt_encrypted)


def test_after_the_window_the_receipt_is_erased_and_a_retry_still_makes_no_case(client, clock):
    hidden = open_form(client)
    send(client, hidden)
    _, reference = receipt_shown(client)

    clock.advance(seconds=RECEIPT_WINDOW.total_seconds() + 60)
    late = send(client, hidden)
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "already received" in html and reference in html
    assert not RECEIPT_RE.search(html) and client.get("/report/received").status_code == 410
    assert case_count() == 1

    send(client, open_form(client), text="A second, different report about the checkpoint at Bo.")
    assert case_count() == 2
    db.session.rollback()
    first = db.session.scalar(select(SubmissionKey).order_by(SubmissionKey.id))
    assert first.receipt_encrypted is None and first.receipt_until is None  # erased, not only hidden


def receipts_kept() -> list[bool]:
    """For each stored key, oldest first: whether its receipt is still stored."""
    db.session.rollback()
    return [until is not None for until in db.session.scalars(select(SubmissionKey.receipt_until)
                                                               .order_by(SubmissionKey.id))]


def test_expired_receipts_are_erased_at_most_a_minute_after_their_window_not_by_every_report(client, clock):
    window = RECEIPT_WINDOW.total_seconds()
    send(client, open_form(client))  # erases (nothing yet): the minute starts here
    clock.advance(seconds=30)
    send(client, open_form(client))  # its receipt expires 30 s after the first one's
    clock.advance(seconds=window - 10)  # the first receipt 20 s past its window, the minute long over
    send(client, open_form(client))
    assert receipts_kept() == [False, True, True]

    clock.advance(seconds=30)  # the second 20 s past its window; the last erasure 30 s ago
    send(client, open_form(client))
    assert receipts_kept() == [False, True, True, True]  # not yet: a report within the minute does not erase

    clock.advance(seconds=35)  # a minute and 5 s since the last erasure
    send(client, open_form(client))
    assert receipts_kept() == [False, False, True, True, True]


@pytest.mark.skipif(not on_postgres(), reason="SQLite's one writer: no two reports erase receipts at once")
def test_a_report_does_not_wait_for_receipts_another_report_is_erasing(app: Flask, client, clock):
    send(client, open_form(client))
    clock.advance(seconds=RECEIPT_WINDOW.total_seconds() + 60)
    erasing, release = threading.Event(), threading.Event()

    def erase_and_hold() -> None:
        with app.app_context():
            idempotency.erase_expired_receipts()
            erasing.set()
            release.wait(WAIT_SECONDS)
            db.session.commit()

    statuses: list[int] = []

    def report() -> None:
        with app.app_context():
            statuses.append(send(client, open_form(client), text="A second report about the checkpoint at Bo.")
                            .status_code)

    holder, reporter = threading.Thread(target=erase_and_hold), threading.Thread(target=report)
    holder.start()
    assert erasing.wait(WAIT_SECONDS)
    reporter.start()
    reporter.join(WAIT_SECONDS)
    finished = not reporter.is_alive()
    release.set()
    holder.join(WAIT_SECONDS)
    reporter.join(WAIT_SECONDS)
    assert finished and statuses == [303]
    assert case_count() == 2
    first = db.session.scalar(select(SubmissionKey).order_by(SubmissionKey.id))
    assert first.receipt_encrypted is None and first.receipt_until is None  # erased by the one that held it


def test_a_key_is_no_use_in_another_browser_and_a_guessed_key_replays_nothing(app, client):
    hidden = open_form(client)
    send(client, hidden)
    code, reference = receipt_shown(client)

    other = app.test_client()
    stolen = {**open_form(other), "form_key": hidden["form_key"]}  # the key copied into another browser
    assert send(other, stolen).status_code == 303
    other_code, other_reference = receipt_shown(other)
    guessed = {**open_form(other), "form_key": "A" * 43}
    assert send(other, guessed).status_code == 303
    guessed_code, guessed_reference = receipt_shown(other)
    assert code not in (other_code, guessed_code) and reference not in (other_reference, guessed_reference)
    assert case_count() == 3  # two new reports; nothing of the first one shown


def test_a_forged_key_is_refused_with_a_clear_message_and_a_fresh_key(client):
    hidden = {**open_form(client), "form_key": "not a key <script>"}
    response = send(client, hidden)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "This form could not be accepted" in html
    fresh = FORM_KEY_RE.search(html)
    assert (fresh.group(1) or fresh.group(2)) != hidden["form_key"] and case_count() == 0


def test_a_form_without_a_key_is_still_accepted(client):
    hidden = open_form(client)
    del hidden["form_key"]
    assert send(client, hidden).status_code == 303 and case_count() == 1


def looking_up_together(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """Each thread's first look-up of a form key that finds nothing waits for one other thread's: two requests both
    look before either stores. Returns the threads that waited."""
    both_looked = threading.Barrier(2, timeout=20)
    real_find = idempotency.find_earlier
    waited: set[int] = set()

    def find_then_wait(key, **options):
        found = real_find(key, **options)
        if found is None and threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_looked.wait()
        return found

    monkeypatch.setattr(idempotency, "find_earlier", find_then_wait)
    monkeypatch.setattr(views, "find_earlier", find_then_wait)  # the form's one look-up before storing
    return waited


def send_from_both(app: Flask, client: FlaskClient, hidden: dict) -> tuple[FlaskClient, dict[str, object]]:
    """The form sent at once from `client` and from a second connection of the same browser: the statuses."""
    second = app.test_client()
    second.set_cookie("session", client.get_cookie("session").value)
    results: dict[str, object] = {}

    def post(name: str, browser: FlaskClient) -> None:
        try:
            with app.app_context():  # the test client expires this thread's session after the request
                results[name] = send(browser, hidden).status_code
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            results[name] = exc

    run_together(post, [("one", client), ("two", second)], timeout=60)
    return second, results


def test_two_requests_at_once_with_one_key_store_one_case(app: Flask, client, monkeypatch):
    """Both requests look for the key before either stores anything, then both store: the unique key lets one
    case in, and the other request answers with that case's receipt."""
    hidden = open_form(client)
    waited = looking_up_together(monkeypatch)
    refused: list[str] = []
    real_rollback = idempotency.rollback_quietly

    def counted_rollback(session) -> None:
        refused.append("duplicate key")
        real_rollback(session)

    monkeypatch.setattr(idempotency, "rollback_quietly", counted_rollback)
    second, results = send_from_both(app, client, hidden)
    assert results == {"one": 303, "two": 303}
    assert len(waited) == 2  # both really were past the look-up before storing
    assert refused == ["duplicate key"]  # the database's unique key stopped the second one
    assert case_count() == 1
    assert receipt_shown(client) == receipt_shown(second)


OTHER_TEXT = "Soldiers beat my brother at the Kenema market yesterday and took his phone and his money."


def test_the_same_form_sent_again_with_another_text_is_stored_too(client):
    """An answer lost, the text edited (on the form, or the "Send again" page), the form sent again: the changed
    report is stored and gets its own receipt, not the first one's while its words go nowhere."""
    hidden = open_form(client)
    assert send(client, hidden).status_code == 303
    first = receipt_shown(client)
    assert send(client, hidden, text=OTHER_TEXT).status_code == 303
    second = receipt_shown(client)
    assert second != first
    db.session.rollback()
    assert OTHER_TEXT in [case.text for case in db.session.scalars(select(Case))]
    assert send(client, hidden, text=OTHER_TEXT).status_code == 303  # and that one, sent again, is stored once
    assert receipt_shown(client) == second and db.session.scalar(select(func.count()).select_from(Case)) == 2


class TestUnderTheRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(RATELIMIT_ENABLED=True, REPORT_RATE_LIMIT="2 per minute")
        return app_config

    def test_a_stored_report_sent_again_gets_its_receipt_whatever_the_limit(self, client):
        assert send(client, open_form(client)).status_code == 303
        receipt_shown(client)
        hidden = open_form(client)
        assert send(client, hidden).status_code == 303  # stored; suppose its answer was lost on the way
        stored = receipt_shown(client)
        for _ in range(3):  # the citizen presses "Send report" again, and again
            assert send(client, hidden).status_code == 303
            assert receipt_shown(client) == stored
        assert send(client, open_form(client)).status_code == 429  # a new report still waits for the limit
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_requests_in_one_app_context_each_read_their_own_form(app):
    """A WSGI server pushes an app context per request, but one may outlive a request (a test client or a script
    inside `app.app_context()`): the form a request read must not be another request's."""
    plain = FlaskClient(app, app.response_class, use_cookies=True)
    with app.app_context():
        hidden = open_form(plain)
        assert send(plain, hidden).status_code == 303
        assert send(plain, open_form(plain), text=OTHER_TEXT).status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_files_chosen_only_on_the_retry_are_named_as_not_added(client):
    """A citizen whose answer was lost sends the form again, this time with another photo. The report is stored
    already and is not stored twice, but the photo must not vanish without a word: the receipt names it and says
    how to send it."""
    hidden = open_form(client)
    first_photo = png_bytes(color=(200, 10, 10))
    assert post_multipart(client, "/report", {**valid_report(), **hidden}, [(first_photo, "bruise.png")]).status_code == 303
    code, reference = receipt_shown(client)

    again = post_multipart(client, "/report", {**valid_report(), **hidden},
                           [(first_photo, "bruise.png"), (png_bytes(color=(10, 200, 10)), "checkpoint.png")])
    assert again.status_code == 303
    html = html_module.unescape(client.get("/report/received").get_data(as_text=True))
    assert code in html and reference in html
    assert "were not added to it: checkpoint.png" in html and "bruise.png:" in html
    assert "send them in a message" in html
    assert case_count() == 1


def test_a_retry_with_the_same_files_says_nothing_was_left_out(client):
    hidden = open_form(client)
    photo = png_bytes()
    post_multipart(client, "/report", {**valid_report(), **hidden}, [(photo, "bruise.png")])
    receipt_shown(client)
    post_multipart(client, "/report", {**valid_report(), **hidden}, [(photo, "bruise.png")])
    assert "not added" not in client.get("/report/received").get_data(as_text=True)
