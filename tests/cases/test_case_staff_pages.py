"""Staff pages as a first-time user meets them: queues without false errors, plain messages."""
from __future__ import annotations

import re

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseMessage, CaseStatus, Channel, MessageKind, Recusal
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body
from tests.cases.conftest import post_case_form
from tests.cases.test_case_queues import listed


def test_a_queue_opened_without_filters_shows_no_errors(make_case, make_user, signed_in):
    make_case(CaseStatus.TRIAGED)
    for role in (Role.TRIAGE, Role.INVESTIGATOR, Role.ADMIN):
        client = signed_in(make_user(role))
        html = client.get("/staff/cases").get_data(as_text=True)
        assert "Choose from the options listed" not in html and 'aria-invalid' not in html
        assert "<details class=\"filters\">" in html  # closed: nothing to show
        html = client.get("/staff/cases?queue=all&status=&urgency=").get_data(as_text=True)
        assert "Choose from the options listed" not in html


def test_a_bad_status_in_the_address_is_still_shown_beside_its_field(make_user, signed_in):
    client = signed_in(make_user(Role.TRIAGE))
    html = client.get("/staff/cases?queue=all&status=lost").get_data(as_text=True)
    assert "Choose from the options listed" in html


def _selected(html: str, select_id: str) -> str | None:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {select_id}"
    chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select.group(1))
    return (chosen.group(1) or chosen.group(2)) if chosen else None


def test_triage_preselects_the_body_the_rules_suggest_and_marks_required_fields(make_case, make_user,
                                                                                signed_in):
    corruption = make_case(CaseStatus.RECEIVED, body=None, theme="corruption", theme_confidence=0.2)
    unknown = make_case(CaseStatus.RECEIVED, body=None, theme=None)
    client = signed_in(make_user(Role.TRIAGE))
    html = client.get(f"/staff/cases/{corruption.id}").get_data(as_text=True)
    commission = db.session.query(Body).filter_by(code="anti_corruption_commission").one()
    assert _selected(html, "route-body") == str(commission.id)
    assert f"The routing rules suggest {commission.name}" in html
    assert re.search(r'<label for="route-body">Send to \(required\)</label>', html)
    assert re.search(r'<label for="route-reason">Why this body \(required\)</label>', html)

    html = client.get(f"/staff/cases/{unknown.id}").get_data(as_text=True)
    assert _selected(html, "route-body") in (None, "")
    assert "No routing rule fits" in html


def test_each_move_is_confirmed_in_plain_words(make_case, make_user, signed_in):
    case = make_case(CaseStatus.TRIAGED)
    client = signed_in(make_user(Role.INVESTIGATOR))
    said = []
    for path, prefix, fields in (
            ("status/acknowledged", "to-acknowledged", {}),
            ("status/investigating", "to-investigating", {}),
            ("findings", "findings", {"outcome": "substantiated", "findings": "The officer shouted."}),
            ("status/responded", "to-responded", {"response": "We found the officer at fault."}),
            ("status/closed", "to-closed", {})):
        assert post_case_form(client, case.id, path, prefix, **fields).status_code == 302
        said.append(re.search(r'class="flash flash-success"[^>]*>([^<]+)<',
                              client.get(f"/staff/cases/{case.id}").get_data(as_text=True)).group(1))
    assert said == ["The complaint is acknowledged.", "The investigation has started.", "Findings saved.",
                    "The answer has been sent to the complainant.", "The case is closed."]
    assert not any("is now" in message for message in said)


def test_a_refused_page_speaks_plainly_and_leads_staff_back_to_their_dashboard(make_user, signed_in, client):
    response = signed_in(make_user(Role.TRIAGE)).get("/staff/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in html and "Your role cannot open this page" in html
    assert "You don't have the permission" not in html and "Forbidden" not in html
    assert 'class="site-header"' in html  # the app's own layout, with the staff navigation
    assert '<a href="/staff/">Go to your dashboard</a>' in html and "Go to the home page" not in html

    anonymous = client.get("/no-such-page").get_data(as_text=True)
    assert "Go to the home page" in anonymous and "Go to your dashboard" not in anonymous


def _follow_up(case, words: str) -> None:
    db.session.add(CaseMessage(case_id=case.id, kind=MessageKind.FROM_COMPLAINANT, channel=Channel.WEB,
                               body=words))
    db.session.commit()


def test_search_finds_words_of_follow_up_messages_only_in_cases_the_user_may_open(make_case, make_user,
                                                                                   signed_in):
    own = make_case(CaseStatus.INVESTIGATING, body="police_oversight", text="Officers beat my brother.")
    other = make_case(CaseStatus.INVESTIGATING, body="anti_corruption_commission", text="They asked for money.")
    recused = make_case(CaseStatus.INVESTIGATING, body="police_oversight", text="A search without a warrant.")
    for case in (own, other, recused):
        _follow_up(case, "The sergeant came back with a motorbike on Tuesday.")
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight")
    db.session.add(Recusal(case_id=recused.id, user_id=investigator.id, reason="My cousin is the sergeant."))
    db.session.commit()

    client = signed_in(investigator)
    assert listed(client, "/staff/cases?queue=all&q=motorbike") == [own.id]
    assert listed(client, "/staff/cases?queue=all&q=motorbikes+tuesday") == [own.id]  # stemmed, every word
    assert listed(client, "/staff/cases?queue=all&q=motorbike+bribe") == []
    assert listed(client, "/staff/cases?queue=all&q=beat") == [own.id]  # the complaint's own text still counts
    triage = signed_in(make_user(Role.TRIAGE))
    assert set(listed(triage, "/staff/cases?queue=all&q=motorbike")) == {own.id, other.id, recused.id}
