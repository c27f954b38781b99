"""Open311 refuses a complaint with the intake's own words in the client's Accept-Language, and a stable
error_code and parameter that do not change with the language."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db

WORDS = {"en": "Choose a region from the list.", "fr": "Choisissez une région dans la liste.",
         "kri": "Pik wan rijon na di list."}


@pytest.mark.parametrize("accept, language", [("fr-FR,fr;q=0.9,en;q=0.5", "fr"), ("kri", "kri"), ("en-GB", "en"),
                                              (None, "en")])
def test_a_refused_complaint_is_described_in_the_accept_language(client, api_key, accept, language):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.post("/open311/v2/requests.json", headers=headers, data={
        "api_key": api_key, "service_code": "corruption", "description": "Officers took money.",
        "attribute[region]": "mars"})
    assert response.status_code == 400
    assert response.get_json() == [{"code": 400, "description": WORDS[language], "error_code": "region_unknown",
                                    "parameter": "attribute[region]"}]
    assert response.headers["Content-Language"] == language
    assert db.session.scalar(select(Case)) is None


def test_xml_carries_the_same_code(client, api_key):
    response = client.post("/open311/v2/requests.xml", headers={"Accept-Language": "fr"}, data={
        "api_key": api_key, "service_code": "corruption", "description": "   "})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<error_code>text_missing</error_code>" in body and "<parameter>description</parameter>" in body
    assert "Dites-nous ce qui s&#x27;est passé." in body or "Dites-nous ce qui s'est passé." in body


def test_open311_own_errors_have_codes_too(client, api_key):
    response = client.post("/open311/v2/requests.json", data={"api_key": api_key, "description": "Something."})
    [error] = response.get_json()
    assert error["error_code"] == "service_code_missing" and error["parameter"] == "service_code"
