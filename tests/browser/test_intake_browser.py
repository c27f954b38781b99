"""A citizen reports in Chromium, keeps the receipt code, follows the case up and replies."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicwatch.cases.models import Case, CaseMessage, MessageKind
from civicwatch.extensions import db

pytestmark = pytest.mark.browser

WHAT_HAPPENED = ("At the Bo checkpoint two police officers took my motorbike and said I must pay "
                 "200,000 leones to get it back. They gave no receipt.")


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (64, 48), (30, 90, 160)).save(path, format="JPEG", exif=exif.tobytes())
    return path


def test_report_keep_code_track_and_reply(live_server, page, screenshot, tmp_path):
    page.goto(f"{live_server}/report")
    screenshot("intake-report-empty")
    page.get_by_role("button", name="Send report").click()
    summary = page.get_by_role("alert")
    assert "Tell us what happened." in summary.inner_text()
    assert "Tick the box" in summary.inner_text()
    screenshot("intake-report-errors")

    page.get_by_label("What happened?").fill(WHAT_HAPPENED)
    page.get_by_label("When did it happen?").fill("2026-03-02")
    page.get_by_label("Area").select_option("district:bo")
    page.get_by_label("Town, village or place").fill("Checkpoint on the Kenema road")
    page.get_by_role("group", name="Who was involved?").get_by_label("Police").check()
    page.get_by_label("Photos or documents").set_input_files(str(photo_file(tmp_path)))
    assert page.get_by_label("No, I want to stay anonymous").is_checked()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send report").click()

    page.wait_for_url(f"{live_server}/report/received")
    assert page.get_by_role("heading", name="Your report was sent").is_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
    reference = page.locator(".slip .reference").inner_text().strip()
    assert re.fullmatch(r"CW-\d{4}-\d{6}", reference)
    assert page.get_by_role("button", name="Print or save this page").is_visible()  # JavaScript enhancement
    screenshot("intake-received")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".warning-box").is_visible()
    assert page.locator("#receipt-code").is_visible()
    screenshot("intake-received-print")
    page.emulate_media(media="screen")

    page.reload()  # the code is not shown a second time
    assert code not in page.content()
    assert page.get_by_role("heading", name="This page can only be seen once").is_visible()

    page.goto(f"{live_server}/track")
    page.get_by_label("Receipt code").fill("1111 2222 3333 4444")
    page.get_by_role("button", name="Follow up").click()
    assert "We could not find a case with that receipt code." in page.get_by_role("alert").inner_text()

    page.get_by_label("Receipt code").fill(code.replace(" ", ""))
    page.get_by_role("button", name="Follow up").click()
    page.wait_for_url(f"{live_server}/track/case")
    assert page.get_by_role("heading", name=re.compile("Your case")).is_visible()
    expect(page.locator("body")).to_contain_text("We received your report.")

    case = db.session.query(Case).filter_by(reference=reference).one()
    db.session.add(CaseMessage(case=case, kind=MessageKind.TO_COMPLAINANT, channel=case.channel,
                               body="Which day of the week was it, and did they say their names?"))
    db.session.add(CaseMessage(case=case, kind=MessageKind.NOTE, channel=case.channel,
                               body="INTERNAL: check the checkpoint roster"))
    db.session.commit()
    page.reload()
    expect(page.locator("body")).to_contain_text("Which day of the week was it")
    assert "INTERNAL" not in page.content()

    page.get_by_label("Your message").fill("It was a Monday. One of them was called Sergeant K.")
    page.get_by_label("Photos or documents").set_input_files(str(photo_file(tmp_path)))
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(f"{live_server}/track/case")
    expect(page.locator("body")).to_contain_text("Your message was sent.")
    assert "It was a Monday." in page.locator(".message.from-you").inner_text()
    expect(page.locator("body")).to_contain_text("You sent more information. (1 file)")
    screenshot("intake-case")

    page.get_by_role("button", name="Forget this case on this device").click()
    page.wait_for_url(f"{live_server}/track")
    page.goto(f"{live_server}/track/case")
    assert page.url == f"{live_server}/track"


def test_report_page_works_without_javascript(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/report")
        page.get_by_label("What happened?").fill(WHAT_HAPPENED)
        page.get_by_label("Yes, you may contact me").check()
        page.get_by_label("Phone number").fill("076 123 456")
        page.get_by_label("I have read the privacy notice").check()
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url(f"{live_server}/report/received")
        assert re.search(r"\d{4} \d{4} \d{4} \d{4}", page.locator("#receipt-code").inner_text())
        expect(page.locator("body")).to_contain_text("use your browser")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"page is {width}px wide on a 360px screen"
    finally:
        context.close()


def test_report_form_fits_a_small_phone(live_server, page):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/report", "/track"):
        page.goto(f"{live_server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path


def test_too_many_files_are_caught_before_the_upload(live_server, page, tmp_path):
    page.goto(f"{live_server}/report")
    photo = photo_file(tmp_path)
    copies = []
    for i in range(6):
        copy = tmp_path / f"copy{i}.jpg"
        copy.write_bytes(photo.read_bytes())
        copies.append(str(copy))
    page.get_by_label("Photos or documents").set_input_files(copies)
    assert "Choose at most 5 files. You chose 6." in page.get_by_role("alert").inner_text()
    page.get_by_label("What happened?").fill(WHAT_HAPPENED)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send report").click()
    assert page.url == f"{live_server}/report"  # not sent
    assert db.session.query(Case).count() == 0
