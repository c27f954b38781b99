"""The interfaces tests use the publishing fixtures: cases stored with chosen dates, staff browsers, and answers
published through the staff pages; and an api_key, and a complaint to send with it."""
import pytest

from civicwatch.extensions import db
from civicwatch.interfaces.operations import issue_api_key
from tests.publishing.conftest import browser_for, new_case, publish  # noqa: F401

COMPLAINT = {"service_code": "corruption", "description": "Officers at the Waterloo checkpoint take money."}


@pytest.fixture
def api_key(app) -> str:
    _, secret = issue_api_key("Freetown civic app", None)
    db.session.commit()
    return secret
