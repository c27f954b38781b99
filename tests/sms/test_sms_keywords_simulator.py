"""The SMS simulator's help under the text box names the keywords to try, in English, French and Krio."""
from __future__ import annotations

import re

import pytest

from tests.sms.test_sms_simulator import choose_phone


@pytest.fixture
def app_config(app_config):
    app_config["TWILIO_AUTH_TOKEN"] = None  # the simulator exists only without Twilio credentials
    return app_config


def test_the_simulator_lists_the_keywords_in_every_language(client):
    choose_phone(client)
    page = client.get("/sms/simulator/phone").get_data(as_text=True)
    named = set(re.findall(r"\b[A-Z]{2,}\b", page))
    assert {"HELP", "STATUS", "NEW", "FEAR", "STOP", "START", "LANG", "RATE", "APPEAL"} <= named
    assert {"AIDE", "STATUT", "NOUVEAU", "PEUR", "ARRET"} <= named
    assert {"EP", "NYUZ", "NYU", "FRED", "TAP"} <= named
