"""The law's limits and the longest wait for the complainant are checked at start: a negative one put every
deadline before the case's receipt (all overdue at once), and a huge one made every report fail with a server
error when its deadline overflowed the calendar."""
from __future__ import annotations

import pytest

from civicwatch import create_app
from civicwatch.settings import SettingsError
from tests.conftest import make_config


@pytest.mark.parametrize("name, value", [
    ("STATUTORY_ACKNOWLEDGE_DAYS", -1),
    ("STATUTORY_ACKNOWLEDGE_DAYS", 10**9),
    ("STATUTORY_RESPOND_MONTHS", -3),
    ("STATUTORY_RESPOND_MONTHS", 100_000),
    ("DEADLINE_WAIT_MAX_WORKING_DAYS", -5),
    ("DEADLINE_WAIT_MAX_WORKING_DAYS", 10**6),
    ("STATUTORY_RESPOND_MONTHS", "three"),
])
def test_an_impossible_deadline_setting_is_refused_at_start(database_url, tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        create_app(make_config(database_url, tmp_path, **{name: value}))


@pytest.mark.parametrize("name", ["STATUTORY_ACKNOWLEDGE_DAYS", "STATUTORY_RESPOND_MONTHS",
                                  "DEADLINE_WAIT_MAX_WORKING_DAYS"])
def test_zero_lifts_a_limit_and_starts(database_url, tmp_path, name):
    create_app(make_config(database_url, tmp_path, **{name: 0}))
