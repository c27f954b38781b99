"""The audit log speaks French to a staff member who chose French: its headings, its filters (the bodies by
their French names) and the words for each action; a reader who did not choose still reads English (issue 18:
staff pages in English and French)."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from tests.factories import create_case, staff_client


def test_the_audit_log_speaks_the_language_the_reader_chose(app, make_user):
    case = create_case()
    auditor = make_user(Role.AUDITOR, name="Awa Auditrice")
    french = staff_client(app, auditor)
    french.get("/language/fr")
    french.get(f"/staff/cases/{case.id}")  # an entry with a known action: case.view

    page = unescape(french.get(f"/staff/audit/users/{auditor.id}").get_data(as_text=True))
    assert "Journal d'audit de Awa Auditrice" in page and "Tout le journal d'audit" in page
    assert "A ouvert le dossier" in page and "S'est connecté" in page  # case.view, user.login
    assert "Ce qui s'est passé" in page and "Toute consultation ou modification d'un dossier" in page  # the filter
    assert "Opened the case" not in page and "Whole audit log" not in page and "What happened" not in page
    assert ">Autorité indépendante de contrôle de la police</option>" in page  # the bodies, by their French name
    assert "Independent Police Oversight Authority" not in page
    filtered = unescape(french.get("/staff/audit/?since=2999-01-01").get_data(as_text=True))
    assert "Aucune entrée ne correspond à ces filtres." in filtered

    english = unescape(staff_client(app, make_user(Role.ADMIN)).get(f"/staff/audit/users/{auditor.id}")
                       .get_data(as_text=True))
    assert "Opened the case" in english and "What happened" in english and "A ouvert le dossier" not in english
