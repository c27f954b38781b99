"""A complainant's words on a case still being worked on, above all the answer to a staff question: the body's
investigators find them marked on the queue's row and counted on the dashboard until one of them marks them read
on the case page (audited, never the words), as the words after closure are. Another body's investigators see
neither the case nor the count (404 for them)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from tests.cases.conftest import fresh, post_case_form
from tests.cases.test_case_dashboard import figures
from tests.cases.test_case_words_after_closure import closed_case, follow_up, mark_read
from tests.factories import staff_client
from tests.sms.conftest import AUTH_TOKEN, PHONE, PUBLIC_BASE_URL, send_text, text  # noqa: F401 (fixtures)
from tests.sms.test_sms_danger_question import ADVICE, reported  # noqa: F401 (a fixture)

LABEL = "cases in progress with new words from the complainant"
QUEUE = "/staff/cases?queue=new_words"
BADGE = "New words, not read yet"
ANSWER = "It happened on the 3rd of May, at the checkpoint near the market."


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL, EMERGENCY_ADVICE_SMS=ADVICE)
    return app_config


def asked(app, make_user, clock) -> tuple[Case, str, object]:
    """An investigation the body's investigator asked the complainant about, the clock stopped for the answer."""
    case, code = closed_case(CaseStatus.INVESTIGATING)
    own = staff_client(app, make_user(Role.INVESTIGATOR, body="police_oversight"))
    assert post_case_form(own, case.id, "messages", "message", text="Which day did it happen?",
                          wait_for_reply="y").status_code == 302
    assert fresh(case).waiting_since is not None
    return case, code, own


def test_an_answer_to_a_question_is_marked_on_the_row_and_counted_for_the_body_only(client, app, make_user,
                                                                                      clock):
    case, code, own = asked(app, make_user, clock)
    other = staff_client(app, make_user(Role.INVESTIGATOR, body="justice_inspectorate"))
    assert figures(own)[LABEL] == "0"
    assert BADGE not in own.get("/staff/cases?queue=body").get_data(as_text=True)

    assert follow_up(client, code, ANSWER).status_code == 303
    assert fresh(case).waiting_since is None  # the clock runs again: the waiting badge is gone
    assert figures(own)[LABEL] == "1" and figures(own)["tab new_words"] == "1"
    for queue in ("body", "new_words", "all"):
        listed = own.get(f"/staff/cases?queue={queue}").get_data(as_text=True)
        assert case.reference in listed and BADGE in listed, queue
    page = own.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert 'id="closure-words"' in page and "Mark as read" in page and "New, not read yet" in page
    assert "after the case ended" not in page

    assert figures(other)[LABEL] == "0" and figures(other)["tab new_words"] == "0"
    assert case.reference not in other.get(QUEUE).get_data(as_text=True)
    assert other.get(f"/staff/cases/{case.id}").status_code == 404
    assert mark_read(other, case.id).status_code == 404
    assert figures(own)[LABEL] == "1"


def test_marking_read_clears_the_mark_is_audited_without_the_words_and_a_new_answer_brings_it_back(
        client, app, make_user, clock):
    case, code, own = asked(app, make_user, clock)
    follow_up(client, code, ANSWER)

    response = mark_read(own, case.id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert figures(own)[LABEL] == "0"
    listed = own.get("/staff/cases?queue=body").get_data(as_text=True)
    assert case.reference in listed and BADGE not in listed
    page = own.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "Mark as read" not in page and "New, not read yet" not in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.complainant_words_read"))
    assert entry is not None and entry.after == {"messages": 1}
    assert ANSWER not in str(entry.after) and ANSWER not in str(entry.before)
    assert mark_read(own, case.id).status_code == 409

    follow_up(client, code, "One more thing: he wore a blue beret.")
    assert figures(own)[LABEL] == "1"


def test_staff_messages_and_notes_are_never_new_words(client, app, make_user, clock):
    case, code, own = asked(app, make_user, clock)
    assert post_case_form(own, case.id, "notes", "note", text="Called the station.").status_code == 302
    assert figures(own)[LABEL] == "0"
    assert figures(staff_client(app, make_user(Role.ADMIN)))[LABEL] == "0"


def test_words_unread_when_the_case_is_closed_stay_until_read(client, app, make_user, clock):
    case, code, own = asked(app, make_user, clock)
    follow_up(client, code, ANSWER)
    stored = fresh(case)
    stored.status = CaseStatus.CLOSED
    stored.closed_at = clock.now
    db.session.commit()
    assert case.reference in own.get(QUEUE).get_data(as_text=True)
    assert mark_read(own, case.id).status_code == 302
    assert figures(own)[LABEL] == "0"


def test_an_answer_by_text_is_new_words_too(text, reported, app, make_user, clock):
    clock.advance(minutes=2)
    text("they took him to the police post")
    db.session.expire_all()
    stored = db.session.get(Case, reported.id)
    assert any(not message.read_at for message in stored.messages)
    admin = staff_client(app, make_user(Role.ADMIN))
    assert figures(admin)[LABEL] == "1"
    assert reported.reference in admin.get(QUEUE).get_data(as_text=True)
    if stored.body is not None:
        own = staff_client(app, make_user(Role.INVESTIGATOR, body=stored.body))
        assert figures(own)[LABEL] == "1"


def test_the_count_the_queue_and_the_badge_are_in_french(client, app, make_user, clock):
    case, code, own = asked(app, make_user, clock)
    follow_up(client, code, ANSWER)
    own.get("/language/fr")
    assert "dossiers en cours avec de nouveaux mots du plaignant" in own.get("/staff/").get_data(as_text=True)
    listed = own.get(QUEUE).get_data(as_text=True)
    assert case.reference in listed and "Nouveaux mots du plaignant" in listed

