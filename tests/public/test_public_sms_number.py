"""The pages that offer reporting by SMS say which number to text, and do not offer it without one."""
from __future__ import annotations

import pytest

NUMBER = "+23276000111"


@pytest.fixture
def app_config():
    return {"TWILIO_FROM_NUMBER": NUMBER}


@pytest.mark.parametrize("path", ["/", "/report"])
def test_the_configured_number_is_shown(client, path):
    html = client.get(path).get_data(as_text=True)
    assert f'<a href="sms:{NUMBER}" class="sms-number">{NUMBER}</a>' in html


@pytest.mark.parametrize("path", ["/", "/report"])
@pytest.mark.parametrize("number", [None, "", "  "])
def test_without_a_number_sms_is_not_mentioned(client, app, path, number):
    app.config["TWILIO_FROM_NUMBER"] = number
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Send an SMS" not in html and "sms:" not in html
