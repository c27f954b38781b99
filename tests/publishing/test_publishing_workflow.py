"""Publishing an answer through the staff pages: redaction proposals, four eyes, versions, withdrawal, and
who may do what."""
from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseEvent, CaseStatus
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage
from civicwatch.publishing.models import Publication, PublicationStatus
from tests.conftest import csrf_token_from
from tests.publishing.conftest import publication_form

P = PublicationStatus
CONTACT = {"name": "Fatmata Demo-Conteh", "phone": "+23278100003", "email": "fatmata.demo@example.org"}
FINDINGS = ("Fatmata Demo-Conteh reported that Sgt. Bangura of the Lumley station took Le 50,000 from her at "
            "12 Kissy Road. She can be reached on 078 100 003. The land cruiser AKK 123 was seen there.")
RESPONSE = "The sergeant was suspended and the money returned. Write to fatmata.demo@example.org for the file."


@pytest.fixture
def answered(new_case):
    return new_case(CaseStatus.RESPONDED, contact=CONTACT, findings=FINDINGS, draft_public_response=RESPONSE)


def start_draft(browser, case) -> str:
    page = browser.get(f"/staff/publications/case/{case.id}")
    assert page.status_code == 200
    response = browser.post(f"/staff/publications/case/{case.id}/start",
                            data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def review(browser, url: str, **fields):
    html = browser.get(url).get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', html).group(1)
    return browser.post(url + "/review", data={"csrf_token": csrf_token_from(html), "row_version": version, **fields})


def test_the_draft_starts_from_the_case_and_proposes_every_personal_detail(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    html = author.get(start_draft(author, answered)).get_data(as_text=True)
    publication = db.session.scalar(select(Publication))
    assert publication.status is P.DRAFT and publication.version == 1
    assert publication.summary_source == FINDINGS and publication.response_source == RESPONSE
    hidden = {d["label"] for d in publication.redactions if d["hide"]}
    assert hidden == {"name", "address", "phone", "plate", "email"}
    for detail in ("Fatmata Demo-Conteh", "Bangura", "12 Kissy Road", "078 100 003", "AKK 123",
                   "fatmata.demo@example.org"):
        assert detail not in publication.summary + publication.response
        assert f"<mark>{detail}</mark>" in html  # staff see what was found
    assert publication.summary.startswith("[name] reported that Sgt. [name] of the Lumley station")


def test_staff_accept_or_edit_each_proposal_and_the_case_text_never_changes(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, answered)
    form = publication_form(author.get(url).get_data(as_text=True))
    plate_key = next(k for k, v in form.items() if k.startswith("replacement-") and v == "[vehicle plate]")
    form[plate_key.replace("replacement-", "hide-")] = ""  # leave the plate visible
    sergeant_key = next(k for k in form if k.startswith("replacement-summary")
                        and "Bangura" in FINDINGS[int(k.split(":")[1]):int(k.split(":")[2])])
    form[sergeant_key] = "[the sergeant]"
    form["extra_terms"] = "Lumley station"
    form["check"] = "Save and check again"
    assert author.post(url, data=form).status_code == 302
    publication = db.session.scalar(select(Publication))
    assert "AKK 123" in publication.summary
    assert "Sgt. [the sergeant] of the [hidden]" in publication.summary
    db.session.refresh(answered)
    assert answered.findings == FINDINGS and answered.draft_public_response == RESPONSE

    # Editing the text finds the proposals again; the plate the author left visible stays visible.
    form = publication_form(author.get(url).get_data(as_text=True))
    form["summary_source"] = FINDINGS + " Ibrahim Sesay saw it too."
    form["check"] = "Save and check again"
    assert author.post(url, data=form).status_code == 302
    db.session.refresh(publication)
    assert "AKK 123" in publication.summary and "Ibrahim Sesay" not in publication.summary


def test_publishing_needs_a_second_person(answered, make_user, browser_for, app):
    author_user = make_user(Role.INVESTIGATOR)
    author = browser_for(author_user)
    url = start_draft(author, answered)
    form = publication_form(author.get(url).get_data(as_text=True))
    form["submit_for_approval"] = "Submit for approval"
    assert author.post(url, data=form).status_code == 302
    publication = db.session.scalar(select(Publication))
    assert publication.status is P.AWAITING_APPROVAL

    refused = review(author, url, confirm="y", approve="Approve and publish")
    assert refused.status_code == 403
    db.session.refresh(publication)
    assert publication.status is P.AWAITING_APPROVAL
    assert client_sees_nothing(app, answered.reference)

    approver_user = make_user(Role.INVESTIGATOR)
    approver = browser_for(approver_user)
    unconfirmed = review(approver, url, approve="Approve and publish")
    assert unconfirmed.status_code == 400
    assert review(approver, url, confirm="y", approve="Approve and publish").status_code == 302
    db.session.refresh(publication)
    assert publication.status is P.PUBLISHED
    assert (publication.author_id, publication.approver_id) == (author_user.id, approver_user.id)
    assert publication.body_id == answered.body_id and publication.outcome == answered.outcome

    # The complainant hears of it: on their follow-up timeline and by SMS.
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "answer_published"))
    assert event.public and event.case_id == answered.id
    sms = db.session.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "answer"))
    assert sms is not None and answered.reference in sms.text and "Reply RATE 1-5 or APPEAL" in sms.text
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"publication.draft", "publication.submit", "publication.approve"} <= actions

    public = app.test_client().get(f"/published/{answered.reference}").get_data(as_text=True)
    assert "[name] reported that Sgt. [name]" in public and "The sergeant was suspended" in public
    assert "Bangura" not in public and "Demo-Conteh" not in public


def client_sees_nothing(app, reference: str) -> bool:
    client = app.test_client()
    return (client.get(f"/published/{reference}").status_code == 404
            and reference not in client.get("/published").get_data(as_text=True))


def test_a_new_version_supersedes_the_old_and_withdrawal_leaves_its_reason(answered, publish, make_user,
                                                                          browser_for, app):
    publish(answered)
    first = db.session.scalar(select(Publication))
    publish(answered, {"response_source": RESPONSE + " A second inquiry confirmed it."})
    versions = list(db.session.scalars(select(Publication).order_by(Publication.version)))
    assert [(p.version, p.status) for p in versions] == [(1, P.SUPERSEDED), (2, P.PUBLISHED)]
    public = app.test_client().get(f"/published/{answered.reference}").get_data(as_text=True)
    assert "A second inquiry confirmed it." in public and "Version 1, published" in public

    withdrawer = browser_for(make_user(Role.ADMIN))
    url = f"/staff/publications/{versions[1].id}"
    html = withdrawer.get(url).get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', html).group(1)
    response = withdrawer.post(url + "/withdraw", data={"csrf_token": csrf_token_from(html), "row_version": version,
                                                       "reason": "The answer named a witness by mistake."})
    assert response.status_code == 302
    public = app.test_client().get(f"/published/{answered.reference}").get_data(as_text=True)
    assert "The answer named a witness by mistake." in public
    assert "A second inquiry confirmed it." not in public and "The sergeant was suspended" not in public
    listing = app.test_client().get("/published").get_data(as_text=True)
    assert "Withdrawn on" in listing
    assert db.session.get(Publication, first.id).status is P.SUPERSEDED
    timeline = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "answer_withdrawn"))
    assert timeline.public and timeline.detail["reason"] == "The answer named a witness by mistake."


def withdraw(browser, publication: Publication, reason: str):
    url = f"/staff/publications/{publication.id}"
    html = browser.get(url).get_data(as_text=True)
    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', html).group(1)
    return browser.post(url + "/withdraw", data={"csrf_token": csrf_token_from(html), "row_version": version,
                                                 "reason": reason})


@pytest.mark.parametrize("reason", [
    "Withdrawn at the request of Fatmata Demo-Conteh.",
    "The complainant asked us to call her back on 078 100 003 first.",
    "Sgt. Bangura disputes the findings.",
    "Write to FATMATA.DEMO@example.org for the reason.",
])
def test_a_withdrawal_reason_that_identifies_someone_is_refused(answered, publish, make_user, browser_for, app,
                                                                 reason):
    publish(answered)
    publication = db.session.scalar(select(Publication))
    response = withdraw(browser_for(make_user(Role.ADMIN)), publication, reason)
    assert response.status_code == 400
    assert "The reason is published as written" in response.get_data(as_text=True)
    db.session.refresh(publication)
    assert publication.status is P.PUBLISHED and publication.withdraw_reason is None
    public = app.test_client()
    for path in (f"/published/{answered.reference}", "/published", "/published/feed.atom",
                 "/published/answers.csv", "/published/answers.json"):
        text = public.get(path).get_data(as_text=True)
        assert "Demo-Conteh" not in text and "100 003" not in text and "Bangura" not in text, path
        assert "fatmata.demo" not in text.lower(), path


def what_a_reader_sees(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u202a"])
def test_invisible_characters_inside_a_detail_do_not_hide_it_from_the_assistant(new_case, publish, app, invisible):
    """Text pasted from a chat or a word processor may carry zero-width spaces, joiners, soft hyphens or direction
    marks inside a number or a name: invisible on the page, they must not let the detail through."""
    phone = invisible.join(["078", "100", "003"])
    name = invisible.join(["Fat", "mata"]) + " " + invisible.join(["Demo-", "Conteh"])
    case = new_case(CaseStatus.RESPONDED, contact=CONTACT, draft_public_response=RESPONSE,
                    findings=f"{name} reported the checkpoint. She can be reached on {phone}.")
    publish(case)
    seen = what_a_reader_sees(app.test_client().get(f"/published/{case.reference}").get_data(as_text=True))
    assert "reported the checkpoint" in seen
    assert "078100003" not in seen and "Fatmata" not in seen and "Conteh" not in seen


def test_the_leak_guard_stops_a_text_that_still_names_the_complainant(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, answered)
    form = publication_form(author.get(url).get_data(as_text=True))
    for key in [k for k in form if k.startswith("hide-")]:
        form[key] = ""  # the author unticks everything
    form["submit_for_approval"] = "Submit for approval"
    response = author.post(url, data=form)
    assert response.status_code == 400
    assert "still contains the complainant" in response.get_data(as_text=True)
    assert db.session.scalar(select(Publication)).status is P.DRAFT


def error_beside(html: str, field_name: str) -> str:
    found = re.search(rf'<p class="error" id="{field_name}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def test_a_submission_the_leak_guard_refuses_keeps_the_edits_and_says_why_beside_the_field(answered, make_user,
                                                                                           browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, answered)
    form = publication_form(author.get(url).get_data(as_text=True))
    summary_boxes = [key for key in form if key.startswith("hide-summary:")]
    for key in summary_boxes:
        form[key] = ""  # the name is left visible in the summary
    form["response_source"] = "The sergeant was suspended and the money returned. The station was inspected."
    form["submit_for_approval"] = "Submit for approval"
    response = author.post(url, data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "still contains the complainant&#39;s name" in error_beside(html, "summary_source")
    assert error_beside(html, "response_source") == ""
    assert "The station was inspected.</textarea>" in html  # the edit is given back in the form
    publication = db.session.scalar(select(Publication))
    assert publication.status is P.DRAFT and publication.response_source.endswith("The station was inspected.")
    # The page shown is the draft as kept: ticking the name again and submitting goes through.
    again = publication_form(html)
    again.update({key: "1" for key in re.findall(r'name="(hide-summary:[^"]+)"', html)})
    again["submit_for_approval"] = "Submit for approval"
    assert author.post(url, data=again).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Publication)).status is P.AWAITING_APPROVAL


def test_a_refused_save_gives_the_text_back_with_the_error_beside_the_field(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, answered)
    form = publication_form(author.get(url).get_data(as_text=True))
    form["response_source"] = "The station was inspected."
    form["extra_terms"] = "\n".join(f"term {number}" for number in range(60))
    form["check"] = "Save and check again"
    response = author.post(url, data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at most 50" in error_beside(html, "extra_terms")
    assert "The station was inspected.</textarea>" in html
    assert db.session.scalar(select(Publication)).response_source == RESPONSE  # nothing half-saved


def test_a_stale_form_is_refused(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, answered)
    form = publication_form(author.get(url).get_data(as_text=True))
    form["check"] = "Save"
    changed = {**form, "summary_source": FINDINGS + " Added later."}
    assert author.post(url, data=changed).status_code == 302
    stale = author.post(url, data=form)  # the form of the older copy
    assert stale.status_code == 409
    assert "Added later." in db.session.scalar(select(Publication)).summary


def test_only_one_draft_at_a_time(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    start_draft(author, answered)
    page = author.get(f"/staff/publications/case/{answered.id}").get_data(as_text=True)
    again = author.post(f"/staff/publications/case/{answered.id}/start", data={"csrf_token": csrf_token_from(page)})
    assert again.status_code == 409


@pytest.mark.parametrize("role, body, expected", [
    (Role.INVESTIGATOR, "police_oversight", 302),
    (Role.ADMIN, None, 302),
    (Role.INVESTIGATOR, "anti_corruption_commission", 404),  # another body's case does not exist for them
    (Role.TRIAGE, None, 403),
    (Role.AUDITOR, None, 403),
])
def test_who_may_start_a_draft(answered, make_user, browser_for, role, body, expected):
    browser = browser_for(make_user(role, body=body))
    page = browser.get("/staff/publications").get_data(as_text=True)
    response = browser.post(f"/staff/publications/case/{answered.id}/start", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == expected


def test_an_unanswered_case_cannot_be_published(new_case, make_user, browser_for):
    case = new_case(CaseStatus.INVESTIGATING)
    browser = browser_for(make_user(Role.INVESTIGATOR))
    page = browser.get(f"/staff/publications/case/{case.id}").get_data(as_text=True)
    assert "once the case is answered" in page
    response = browser.post(f"/staff/publications/case/{case.id}/start", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 409


def test_another_bodys_investigator_cannot_see_the_publication(answered, publish, make_user, browser_for):
    publish(answered)
    outsider = browser_for(make_user(Role.INVESTIGATOR, body="anti_corruption_commission"))
    publication = db.session.scalar(select(Publication))
    assert outsider.get(f"/staff/publications/{publication.id}").status_code == 404
    assert outsider.get(f"/staff/publications/case/{answered.id}").status_code == 404
    assert answered.reference not in outsider.get("/staff/publications").get_data(as_text=True)


def test_the_publications_page_lists_the_work(answered, new_case, make_user, browser_for):
    waiting = new_case(CaseStatus.CLOSED)
    browser = browser_for(make_user(Role.INVESTIGATOR))
    start_draft(browser, answered)
    html = browser.get("/staff/publications").get_data(as_text=True)
    assert waiting.reference in html and answered.reference in html
    assert "Your drafts" in html


def test_viewing_a_publication_is_audited(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    author.get(start_draft(author, answered))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "publication.view")) is not None


def test_a_discarded_draft_is_gone(answered, make_user, browser_for):
    author = browser_for(make_user(Role.INVESTIGATOR))
    url = start_draft(author, answered)
    html = author.get(url).get_data(as_text=True)
    version = re.search(rf'href="{url}/discard\?row_version=(\d+)"', html).group(1)
    response = author.post(url + "/discard", data={"csrf_token": csrf_token_from(html), "row_version": version,
                                                   "confirmed": "yes"})
    assert response.status_code == 302
    assert db.session.scalar(select(Publication)) is None
