"""A routing rule of the taxonomy file that names a body (or theme) no file or database has, such as a typo, is
refused as the file's other mistakes are: the rule's place in the file and the field named, and "nothing was
changed", rather than the rule printed as a Python dict without saying whether the load half happened."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicwatch.extensions import db
from civicwatch.routing.models import RoutingRule
from tests.foundation.test_taxonomy_load_refusals import _load


def test_a_rule_naming_an_unknown_body_is_refused_by_place_and_field(app, tmp_path) -> None:
    rules_before = db.session.scalar(select(func.count()).select_from(RoutingRule))

    result = _load(app, tmp_path, lambda d: d["routing_rules"][2].update(body="human_rights_comission"))

    assert result.exit_code == 1, result.output
    assert "nothing was changed" in result.output
    assert "routing_rules[2].body: no body has the code 'human_rights_comission'" in result.output, result.output
    assert "{'theme'" not in result.output
    assert db.session.scalar(select(func.count()).select_from(RoutingRule)) == rules_before


def test_a_rule_naming_an_unknown_theme_is_refused_by_place_and_field(app, tmp_path) -> None:
    result = _load(app, tmp_path, lambda d: d["routing_rules"][0].update(theme="abuse_of_forse"))

    assert result.exit_code == 1, result.output
    assert "routing_rules[0].theme: no theme has the code 'abuse_of_forse'" in result.output, result.output


@pytest.mark.parametrize("body", ["police_oversight_{regoin}", "police_oversight_{", "police_oversight_{0}",
                                  "police_oversight_{region.code}"])
def test_a_rule_whose_body_names_a_field_other_than_its_region_is_refused_by_place_and_field(app, tmp_path,
                                                                                          body) -> None:
    rules_before = db.session.scalar(select(func.count()).select_from(RoutingRule))

    result = _load(app, tmp_path, lambda d: d["routing_rules"][2].update(body=body))

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "nothing was changed" in result.output, result.output
    assert "routing_rules[2].body: only {region} may stand in braces" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(RoutingRule)) == rules_before
