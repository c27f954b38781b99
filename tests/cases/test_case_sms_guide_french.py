"""The "Sent by SMS" guide under a staff text box speaks the staff member's language, on the server and as the
page's script keeps it up to date while they type (tests/browser/test_sms_guide_browser.py)."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus


def test_the_guide_is_in_french_for_a_french_reader(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, phone="+23276555123")
    client = signed_in(make_user(Role.INVESTIGATOR))
    client.get("/language/fr")
    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    prefix = f"CivicWatch {case.reference}: "  # the SMS prefix: in the phone's language, not the reader's
    assert f"Envoyé par SMS : 1 texte contient {160 - len(prefix)} caractères ; celui-ci : 1 texte." in page
    assert "Sent by SMS" not in page
    # What the script needs to say the same while the text is typed, in French too.
    assert 'data-sms-texts-many="{count} textes"' in page
