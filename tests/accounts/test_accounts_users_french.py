"""The staff accounts page speaks French to an admin who chose French, its form and its confirmations too; an
admin who did not choose reads English (issue 18: staff pages in English and French)."""
from __future__ import annotations

from html import unescape

from civicwatch.accounts.models import Role
from tests.conftest import csrf_token


def test_the_staff_accounts_page_speaks_the_language_the_admin_chose(make_user, login_as):
    investigator = make_user(Role.INVESTIGATOR, body="police_oversight", email="inv.fr@example.org")
    client = login_as(make_user(Role.ADMIN))
    client.get("/language/fr")
    page = unescape(client.get("/staff/users").get_data(as_text=True))
    assert "Comptes du personnel" in page and "Créer un compte" in page and "Nom complet" in page
    assert "Enquêteur" in page and "Désactiver" in page and "Membre d'un comité communautaire" in page and "leur organe de contrôle" in page
    assert "Staff accounts" not in page and "Full name" not in page and "Deactivate" not in page

    response = client.post(f"/staff/users/{investigator.id}/active", data={
        "csrf_token": csrf_token(client, "/staff/users"), "active": "0", "confirmed": "yes"})
    assert "Le compte inv.fr@example.org est maintenant désactivé." in unescape(
        client.get(response.location).get_data(as_text=True))


def test_an_admin_who_did_not_choose_reads_english(make_user, login_as):
    page = unescape(login_as(make_user(Role.ADMIN)).get("/staff/users").get_data(as_text=True))
    assert "Staff accounts" in page and "Full name" in page and "Investigator" in page
    assert "Comptes du personnel" not in page


def test_a_staff_page_opened_before_signing_in_asks_for_it_in_french(client):
    client.get("/language/fr")
    response = client.get("/staff/cases")
    assert response.status_code == 302
    page = unescape(client.get(response.location).get_data(as_text=True))
    assert "Veuillez vous connecter pour continuer." in page and "Please sign in to continue." not in page
    answer = client.get("/staff/cases", headers={"Accept": "application/json"})
    assert answer.status_code == 401 and answer.json["error"]["message"] == "Connectez-vous d'abord."
