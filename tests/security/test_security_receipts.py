"""Receipt codes: the only key to a complainant's case. Unguessable, never stored, guessing locked out, the
public reference useless on its own, and nothing left behind in the browser that a person holding the
phone could read.
"""
from __future__ import annotations

import base64
import collections
import json
import random
import zlib

from civicwatch.cases.references import RECEIPT_DIGITS, new_receipt_code
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.security.conftest import digits_only, send_report, stored_strings, track


def test_receipt_codes_are_16_uniform_digits_from_the_os_generator():
    random.seed(1234)
    first = [new_receipt_code() for _ in range(200)]
    random.seed(1234)
    second = [new_receipt_code() for _ in range(200)]
    assert set(first).isdisjoint(second), "codes follow the seedable `random` module"
    codes = [digits_only(c) for c in first + second + [new_receipt_code() for _ in range(3600)]]
    assert all(len(c) == RECEIPT_DIGITS for c in codes)
    assert len(set(codes)) == len(codes)
    # 64,000 digits: each of 0-9 within 5% of 6,400 (about 6.5 standard deviations: never by chance).
    counts = collections.Counter("".join(codes))
    assert set(counts) == set("0123456789")
    assert all(abs(n - 6400) < 320 for n in counts.values()), counts
    # Leading digit too (a code that rarely starts with 0 would lose entropy where it matters least, but still).
    firsts = collections.Counter(c[0] for c in codes)
    assert all(abs(n - 400) < 120 for n in firsts.values()), firsts
    # About 53 bits: at the lockout's pace an attacker would need geological time.
    assert RECEIPT_DIGITS * 3.32 >= 53


def test_receipt_codes_phones_and_emails_are_never_stored_in_plain_text(app):
    reported = [send_report(app, f"plain-{i}", contact_choice="contact", phone=f"+2327612345{i}",
                            email=f"witness{i}@example.org") for i in range(3)]
    # The complainants come back and reply: nothing of the code may be written then either.
    for item in reported:
        client = app.test_client()
        assert track(client, item.code).status_code == 303
        token = csrf_token(client, "/track/case")
        assert client.post("/track/case/reply", data={"csrf_token": token, "text": "More detail."}).status_code == 303
    stored = stored_strings()
    assert stored
    for item in reported:
        code = digits_only(item.code)
        for table, column, value in stored:
            assert code not in digits_only(value) or len(digits_only(value)) > 200, (table, column)
            assert item.code not in value, (table, column)
    for i in range(3):
        for table, column, value in stored:
            assert f"2327612345{i}" not in value, (table, column)
            assert f"witness{i}@example.org" not in value.lower(), (table, column)
            assert f"witness{i}" not in value.lower(), (table, column)


def test_the_receipt_is_shown_once_and_never_kept_readable_in_the_cookie(app, client):
    reported = send_report(app, "cookie", client=client)
    # The confirmation page was shown once (by send_report); a reload shows nothing.
    again = client.get("/report/received")
    assert again.status_code == 410
    assert reported.code not in again.get_data(as_text=True)
    assert track(client, reported.code).status_code == 303
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert digits_only(reported.code) not in digits_only(decode_session_cookie(cookie.value))
    assert reported.reference not in decode_session_cookie(cookie.value)


def decode_session_cookie(value: str) -> str:
    """What anyone holding the phone can read from Flask's signed (not encrypted) cookie."""
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if value.startswith("."):
        raw = zlib.decompress(raw)
    return json.dumps(json.loads(raw))


def test_the_reference_alone_opens_nothing(app, client):
    reported = send_report(app, "reference-only")
    year, number = reported.reference.split("-")[1:]
    guesses = [reported.reference, reported.reference.lower(), f"{year}{number}", f"{year}{number}".zfill(16),
               f"{year} {number} 0000 00", number.zfill(16), f"{number}{number}"[:16].ljust(16, "0")]
    for guess in guesses:
        response = track(client, guess)
        assert response.status_code in (400, 429), guess  # refused, or counted as a wrong code
        body = response.get_data(as_text=True)
        assert "reference-only" not in body
        assert client.get("/track/case").status_code == 302
    for path in (f"/track?code={reported.reference}", f"/track/case?reference={reported.reference}",
                 f"/track/{reported.reference}"):
        response = client.get(path)
        assert "reference-only" not in response.get_data(as_text=True), path
        assert response.status_code in (200, 302, 404), path


def test_guessing_codes_slows_down_then_locks_out_even_the_right_code(app, client, clock):
    reported = send_report(app, "lockout")
    wrong = "1111 2222 3333 4444"
    limit = app.config["TRACK_LOCKOUT_AFTER"]
    refused_while_waiting = 0
    for attempt in range(limit):
        response = track(client, wrong)
        if response.status_code == 429:
            refused_while_waiting += 1
            clock.advance(seconds=int(response.headers["Retry-After"]) + 1)  # wait out the slowdown, try again
            response = track(client, wrong)
        assert response.status_code == 400, (attempt, response.status_code)
        clock.advance(seconds=1)
    assert refused_while_waiting >= 1, "no slowdown before the lockout"
    # Now locked out: the right code is not even checked.
    response = track(client, reported.code)
    assert response.status_code == 429
    assert "lockout" not in response.get_data(as_text=True)
    assert client.get("/track/case").status_code == 302
    # A minute later, still locked out.
    clock.advance(minutes=1)
    assert track(client, reported.code, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 429
    # After the lockout, the right code works again.
    clock.advance(minutes=app.config["TRACK_LOCKOUT_MINUTES"] + 1)
    assert track(client, reported.code).status_code == 303


def test_rotating_addresses_within_an_ipv6_64_does_not_escape_the_lockout(app, client, clock):
    reported = send_report(app, "ipv6")
    wrong = "9999 8888 7777 6666"
    for attempt in range(app.config["TRACK_LOCKOUT_AFTER"] + 3):
        address = f"2001:db8:1:2::{attempt + 1:x}"
        track(client, wrong, environ_base={"REMOTE_ADDR": address})
        clock.advance(minutes=3)
    response = track(client, reported.code, environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::1"})
    assert response.status_code == 429


def test_a_session_cookie_from_before_the_lookup_opens_nothing(app, client):
    """Session fixation: a cookie planted before the victim enters the code gives the planter nothing."""
    reported = send_report(app, "fixation")
    client.get("/track")
    planted = client.get_cookie("session")
    assert track(client, reported.code).status_code == 303
    after = client.get_cookie("session")
    assert after.value != (planted.value if planted else None)
    attacker = app.test_client()
    if planted is not None:
        attacker.set_cookie("session", planted.value, domain=planted.domain)
    response = attacker.get("/track/case")
    assert response.status_code == 302
    assert "fixation" not in response.get_data(as_text=True)


def test_a_followed_case_closes_after_inactivity_and_on_leaving(app, client, clock):
    reported = send_report(app, "idle")
    assert track(client, reported.code).status_code == 303
    assert client.get("/track/case").status_code == 200
    clock.advance(minutes=app.config["TRACK_SESSION_MINUTES"] + 1)
    assert client.get("/track/case").status_code == 302
    assert track(client, reported.code).status_code == 303
    token = csrf_token(client, "/track/case")
    assert client.post("/track/leave", data={"csrf_token": token}).status_code == 303
    response = client.get("/track/case")
    assert response.status_code == 302
    assert "idle" not in response.get_data(as_text=True)


def test_a_copied_follow_up_cookie_kept_busy_does_not_open_the_case_for_ever(app, client, clock):
    """Someone copies the cookie of a browser following a case (a shared phone picked up within the idle minutes, a
    café computer) and asks for the page every ten minutes: the case must close however busy the copy is kept, as a
    staff session does. The complainant's own browser, kept as busy, closes too; the receipt code opens it again."""
    reported = send_report(app, "kept-busy")
    assert track(client, reported.code).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    step = max(1.0, app.config["TRACK_SESSION_MINUTES"] - 5)
    closed_after: dict[str, float | None] = {"thief": None, "complainant": None}
    elapsed = 0.0
    while elapsed < 12 * 60:
        clock.advance(minutes=step)
        elapsed += step
        for name, browser in (("thief", thief), ("complainant", client)):
            if closed_after[name] is None and browser.get("/track/case").status_code != 200:
                closed_after[name] = elapsed
    assert closed_after["thief"] is not None, "a copied cookie kept busy opened the case for twelve hours and more"
    assert closed_after["complainant"] is not None
    assert closed_after["complainant"] > 60, "a complainant reading and answering needs the page for an hour at least"
    response = thief.get("/track/case")
    assert response.status_code == 302 and "kept-busy" not in response.get_data(as_text=True)
    assert track(client, reported.code).status_code == 303
    assert client.get("/track/case").status_code == 200


def test_complainant_pages_are_never_cached(app, client):
    reported = send_report(app, "cache")
    assert track(client, reported.code).status_code == 303
    for path in ("/track/case", "/track", "/report"):
        response = client.get(path)
        assert "no-store" in response.headers.get("Cache-Control", ""), path


# The public pages and files a complainant may open while following a case.
PUBLIC_READS = ("/published", "/published/answers.csv", "/published/answers.json", "/published/feed.atom",
                "/transparency", "/transparency/data", "/transparency/statistics.csv", "/transparency/statistics.json",
                "/transparency/early-warning.csv", "/transparency/early-warning.json")


def session_cookie(response) -> str | None:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return found[0].split(";")[0].split("=", 1)[1] if found else None


def test_public_reads_while_following_a_case_are_never_kept_by_a_shared_cache(app, client):
    """While a browser follows a case, its responses carry the session cookie, the key to the case. A public page
    or file marked `public` would be kept by a shared cache (a proxy, a CDN) with that cookie and handed to the
    next reader, whose browser would then open the case."""
    reported = send_report(app, "shared-cache")
    assert track(client, reported.code).status_code == 303
    for path in PUBLIC_READS:
        response = client.get(path)
        response.get_data()
        assert response.status_code == 200, path
        cookie = session_cookie(response)
        if cookie is None:
            continue
        replayed = app.test_client()
        replayed.set_cookie("session", cookie)
        assert reported.reference in replayed.get("/track/case").get_data(as_text=True), path  # what is at stake
        cache_control = response.headers.get("Cache-Control", "")
        assert "public" not in cache_control and "no-store" in cache_control, (path, cache_control)
    # A reader without a session still gets pages a shared cache may keep for a minute.
    assert app.test_client().get("/published/answers.csv").headers["Cache-Control"] == "public, max-age=60"


def test_no_page_a_followed_case_reads_is_left_to_a_cache_s_own_judgement(app, client):
    """Pages with no caching rule of their own (the home page, the privacy notice, Open311 reads) also carry the
    session cookie while a browser follows a case: they say outright that nobody may keep them."""
    reported = send_report(app, "no-rule")
    assert track(client, reported.code).status_code == 303
    for path in ("/", "/privacy", "/open311/v2/services.json", "/open311/v2/discovery.json"):
        response = client.get(path)
        response.get_data()
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    assert "no-store" not in app.test_client().get("/").headers.get("Cache-Control", "")


def test_staff_notes_and_internal_reasons_never_reach_the_complainant(app, make_user):
    import civicwatch.routing.operations as routing
    from civicwatch.accounts.models import Role
    from civicwatch.cases.models import Case, CaseStatus
    from civicwatch.taxonomy.models import Body
    from tests.factories import staff_client
    from tests.security.conftest import page_token, place_case

    reported = send_report(app, "internal")
    place_case(reported.case_id, "police_oversight", CaseStatus.INVESTIGATING)
    staff = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    case = db.session.get(Case, reported.case_id)
    assert staff.post(f"/staff/cases/{case.id}/notes", data={
        "note-csrf_token": page_token(staff), "note-version": str(case.version),
        "note-text": "Informant Kamara confirms the sergeant was there",
    }).status_code == 302
    if hasattr(routing, "override_body"):  # sending a case on by hand: its reason is internal
        case = db.session.get(Case, reported.case_id)
        other = db.session.query(Body).filter_by(code="justice_inspectorate").one()
        assert staff.post(f"/staff/cases/{case.id}/route", data={
            "route-csrf_token": page_token(staff), "route-version": str(case.version),
            "route-body": str(other.id), "route-reason": "Internal: the police unit is compromised",
        }).status_code == 302
    complainant = app.test_client()
    assert track(complainant, reported.code).status_code == 303
    page = complainant.get("/track/case").get_data(as_text=True)
    assert "Kamara" not in page and "Informant" not in page
    assert "compromised" not in page
