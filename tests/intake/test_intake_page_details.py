"""Details of the citizen's pages: messages in the page's language, the language switch keeping the page's
search, every form's errors summarised, every error tied to its field."""
from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qs, urlsplit

from tests.conftest import csrf_token
from tests.intake.conftest import case_page_token, open_case, post_report, report_and_read_receipt
from tests.intake.test_intake_retaliation_watch import close_and_wait


def _try_code(client, code: str):
    token = csrf_token(client, "/track")
    return client.post("/track", data={"csrf_token": token, "code": code},
                       environ_base={"REMOTE_ADDR": "203.0.113.9"})


def test_track_lockout_message_is_in_french_on_a_french_page(client, clock):
    client.get("/language/fr")
    for n in range(3):
        assert _try_code(client, f"{n:016d}").status_code == 400
    blocked = _try_code(client, f"{99:016d}")
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert 'lang="fr"' in page
    # The French page tells the citizen, in French, why the code was not checked: no English sentence.
    assert "Too many wrong codes were tried from this connection" not in page
    assert "Trop de codes erronés ont été essayés depuis cette connexion. Attendez" in page


def test_language_switch_keeps_the_search_on_published(client):
    page = client.get("/published?q=checkpoint").get_data(as_text=True)
    links = [htmllib.unescape(m) for m in re.findall(r'href="(/language/fr[^"]*)"', page)]
    assert links, "no link to the French page"
    assert parse_qs(urlsplit(links[0]).query)["next"] == ["/published?q=checkpoint"]
    after = client.get(links[0])
    # The same page again, in French: the citizen's search is still there.
    assert after.status_code in (302, 303) and after.headers["Location"] == "/published?q=checkpoint"
    plain = client.get("/published").get_data(as_text=True)  # no query: no stray "?"
    nexts = {parse_qs(urlsplit(htmllib.unescape(link)).query)["next"][0]
             for link in re.findall(r'href="(/language/[^"]*)"', plain)}
    assert nexts == {"/published"}


def test_check_in_error_is_summarised_at_the_top_of_the_follow_up_page(client, app, clock):
    reported = report_and_read_receipt(client, fears_retaliation="yes")
    close_and_wait(reported.case, clock)
    assert open_case(client, reported.code).status_code == 303
    # The citizen presses "Send my answer" without choosing Yes or No.
    response = client.post("/track/case/check-in", data={"csrf_token": case_page_token(client), "details": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose “Yes” or “No”." in page  # next to the question
    # ... and, as on every other form, in the summary at the top and in the page's title.
    assert 'class="error-summary"' in page
    assert re.search(r"<title>\s*Error:", page)


def test_every_refused_file_message_is_tied_to_the_file_field(client):
    response = post_report(client, files=[(b"nope", "one.exe"), (b"", "empty.pdf")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“one.exe” is not a photo or PDF" in page and "“empty.pdf” is empty" in page
    ids = re.findall(r'id="(attachments-error[^"]*)"', page)
    assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"  # one id per error, each unique
    described = re.search(r'<input[^>]*id="attachments"[^>]*>', page).group(0)
    refs = re.search(r'aria-describedby="([^"]*)"', described).group(1).split()
    for error_id in ids:
        assert error_id in refs
