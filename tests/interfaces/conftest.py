"""The interfaces tests use the publishing fixtures: cases stored with chosen dates, staff browsers, and answers
published through the staff pages."""
from tests.publishing.conftest import browser_for, new_case, publish  # noqa: F401
