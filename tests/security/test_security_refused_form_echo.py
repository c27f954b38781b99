"""The page that refuses an expired staff form shows back the free texts it carried, for their writer to copy.
It must not become a way for another site to put its own words on CivicWatch's pages."""
from __future__ import annotations

# What a hostile page would have CivicWatch show: a false notice, on CivicWatch's own address, headed
# "What you wrote (not saved)".
INJECTED = ("CivicWatch security notice: your account is suspended. Call +232 76 000000 and give your password "
            "to have it opened again.")


def test_a_form_posted_from_another_site_is_not_shown_back(client):
    """A page on another site can make a visitor's browser post any text to a staff address: no session and no
    token are needed, since the refusal comes first. The refusal page then shows that text on CivicWatch's
    address as if the visitor had written it. Only a staff member's own form, sent from CivicWatch, is to be
    given back."""
    response = client.post("/staff/cases/1/notes", data={"note-version": "1", "note-text": INJECTED},
                           headers={"Origin": "https://hostile.example", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert INJECTED not in page, "another site's text is shown on a CivicWatch page as the visitor's own"
