"""PATTERN_RULES is configuration an operator writes: a rule whose windows reach back beyond any date, or whose
factor is not a positive number, is named as a bad rule (and `patterns detect` says so) instead of stopping on a
date overflow or comparing against NaN."""
from __future__ import annotations

import pytest

from civicwatch.patterns.detection import rules_from_config

PLACE = {"code": "place_surge", "kind": "place", "min_count": 5, "window_days": 30}


@pytest.mark.parametrize("changes", [
    {"window_days": 10 ** 9},
    {"window_days": 3000, "baseline_windows": 3},  # 12,000 days back: before any complaint this app could hold
    {"baseline_windows": 10 ** 12},
    {"factor": "nan"},
    {"factor": "inf"},
    {"factor": 0},
])
def test_rules_reaching_beyond_any_date_or_with_no_usable_factor_are_named(changes):
    with pytest.raises(ValueError, match="'place_surge'"):
        rules_from_config([{**PLACE, **changes}])


def test_a_long_but_sane_rule_is_kept():
    assert rules_from_config([{**PLACE, "window_days": 365, "baseline_windows": 5}])[0].window_days == 365


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["PATTERN_RULES"] = ({**PLACE, "window_days": 10 ** 9},)
    return app_config


def test_detect_names_the_rule_instead_of_a_traceback(app):
    result = app.test_cli_runner().invoke(args=["civicwatch", "patterns", "detect"])
    assert result.exit_code == 1
    assert "place_surge" in result.output and "Traceback" not in result.output
