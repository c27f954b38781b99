"""Every page of the published answers, public and staff (and the API keys page): no script and no inline
style (the CSP forbids them; pages load only the quick exit's file and, for staff, error-focus.js), and a page that
makes sense without JavaScript."""
import re

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication
from tests.conftest import csrf_token_from

PUBLIC = ["/published", "/published?q=officers"]


# External files that only help: the quick exit replaces the page in the history (its link works without it);
# on staff pages, error-focus.js moves focus to an error summary that is there without it.
HELPER_SCRIPTS = ("quick_exit.js", "error-focus.js")


def assert_clean(html: str, path: str) -> None:
    # Nothing inline, and no script the page needs.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert all(script == "" for script in scripts), path
    assert all(any(name in tag for name in HELPER_SCRIPTS) for tag in re.findall(r"<script[^>]*>", html)), path
    assert " style=" not in html, path
    assert '<svg' not in html or 'role="img"' in html, path


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_need_no_script_or_inline_style(client, new_case, path):
    new_case(CaseStatus.CLOSED)
    response = client.get(path)
    assert response.status_code == 200
    assert_clean(response.get_data(as_text=True), path)


def test_staff_pages_need_no_script_or_inline_style(new_case, publish, make_user, browser_for):
    case = new_case(CaseStatus.CLOSED)
    publish(case)
    publication = db.session.query(Publication).one()
    admin = browser_for(make_user(Role.ADMIN))
    for path in ("/staff/publications", f"/staff/publications/case/{case.id}",
                 f"/staff/publications/{publication.id}", "/staff/api-keys", f"/published/{case.reference}"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert_clean(response.get_data(as_text=True), path)


def test_the_staff_publishing_pages_speak_french(new_case, publish, make_user, browser_for):
    case = new_case(CaseStatus.CLOSED)
    publish(case)
    new_case(CaseStatus.CLOSED, theme="abuse_of_force")  # answered, not yet published
    publication = db.session.query(Publication).one()
    admin = browser_for(make_user(Role.ADMIN))
    admin.get("/language/fr")
    listing = admin.get("/staff/publications").get_data(as_text=True)
    assert "Réponses publiques" in listing and "Publiées récemment" in listing and "Rédigée par" in listing
    assert "Recently published" not in listing and "Written by" not in listing
    assert listing.count("Autorité indépendante de contrôle de la police") == 2  # the published row, the waiting case
    assert "Usage abusif de la force" in listing
    assert "Independent Police Oversight Authority" not in listing and "Abuse of force" not in listing
    versions = admin.get(f"/staff/publications/case/{case.id}").get_data(as_text=True)
    assert "Réponse publique pour" in versions and "Publiée" in versions and "Version 1" in versions
    assert "Autorité indépendante de contrôle de la police" in versions
    assert "Independent Police Oversight Authority" not in versions
    page = admin.get(f"/staff/publications/{publication.id}").get_data(as_text=True)
    assert "Ce que lit le public" in page and "Retirer cette réponse" in page
    assert "What the public reads" not in page and "Withdraw this answer" not in page


def test_a_stale_publishing_form_is_refused_in_french(new_case, publish, make_user, browser_for):
    case = new_case(CaseStatus.CLOSED)
    publish(case)
    publication = db.session.query(Publication).one()
    admin = browser_for(make_user(Role.ADMIN))
    admin.get("/language/fr")
    html = admin.get(f"/staff/publications/{publication.id}").get_data(as_text=True)
    response = admin.post(f"/staff/publications/{publication.id}/withdraw", data={
        "csrf_token": csrf_token_from(html), "row_version": "0", "reason": "Publiée trop tôt."})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this answer" not in text and "nothing was saved" not in text
    assert "Rechargez la page" in text
