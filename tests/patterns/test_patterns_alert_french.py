"""An alert's status, its buttons and the confirmation of a move speak the staff member's language."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from tests.factories import create_case
from tests.patterns.test_patterns_alert_recusal import alert_of, post


def test_an_alert_page_and_its_moves_speak_french(app, clock, make_user, signed_in):
    cases = [create_case(CaseStatus.INVESTIGATING, "police_oversight") for _ in range(3)]
    alert_id = alert_of(cases, clock.now.date()).id
    client = signed_in(make_user(Role.TRIAGE))
    client.get("/language/fr")

    page = unescape(client.get(f"/staff/patterns/alerts/{alert_id}").get_data(as_text=True))
    assert "ouverte" in page and "Marquer comme prise en compte" in page
    assert ">open<" not in page and "Mark acknowledged" not in page
    listed = unescape(client.get("/staff/patterns/alerts").get_data(as_text=True))
    assert ">ouverte<" in listed and ">open<" not in listed

    response = post(client, alert_id, "acknowledged")
    assert response.status_code == 302
    moved = unescape(client.get(response.location).get_data(as_text=True))
    assert "L'alerte est maintenant prise en compte." in moved and "The alert is" not in moved
