"""The "Sent by SMS" guide under a staff text box speaks the staff member's language, on the server and as the
page's script keeps it up to date while they type (tests/browser/test_sms_guide_browser.py)."""
from __future__ import annotations

from html import unescape

from flask_babel import force_locale, gettext

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus, Outcome
from civicwatch.cases.notifications import FEEDBACK_BY_TEXT
from civicwatch.extensions import db
from civicwatch.messaging.operations import remember_phone_language
from civicwatch.phones import phone_hash


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


def test_the_guide_counts_the_prefix_and_ending_the_phone_gets_in_its_own_language(make_case, make_user, signed_in):
    # A complainant who texted LANG FR gets "CivicWatch CW-… : " (one character longer) and the French ending:
    # an English-reading investigator's guide must count those, not the English ones.
    case = make_case(CaseStatus.INVESTIGATING, phone="+23276555123", outcome=Outcome.SUBSTANTIATED,
                     findings="The officer shouted; he is warned.")
    remember_phone_language(phone_hash("+23276555123"), "fr")
    db.session.commit()
    client = signed_in(make_user(Role.INVESTIGATOR))
    page = unescape(client.get(f"/staff/cases/{case.id}").get_data(as_text=True))
    prefix = f"CivicWatch {case.reference} : "
    assert f'data-sms-prefix="{prefix}"' in page
    assert f"Sent by SMS: 1 text holds {160 - len(prefix)} characters; this one: 1 text." in page
    with force_locale("fr"):
        ending = gettext(FEEDBACK_BY_TEXT)
    assert f'data-sms-suffix=" {ending}"' in page
    assert f'The text ends with "{ending}"' in page
