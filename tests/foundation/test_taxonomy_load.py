import json

import pytest
from sqlalchemy import func, select

from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.rule_operations import load_routing_rules
from civicwatch.taxonomy.models import Actor, Body, District, Region, Theme
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY, load_taxonomy
from civicwatch.taxonomy.queries import get_setting

TAXONOMY_CODES = {
    "themes": {"abuse_of_force", "unlawful_detention", "corruption", "misuse_of_resources", "misconduct",
               "service_failure", "surveillance_privacy", "personnel_welfare"},
    "actors": {"police", "military", "intelligence", "corrections", "border"},
    "regions": {"eastern", "northern", "north_west", "southern", "western_area"},
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_default_taxonomy_codes_are_exact(app):
    assert set(db.session.scalars(select(Theme.code))) == TAXONOMY_CODES["themes"]
    assert set(db.session.scalars(select(Actor.code))) == TAXONOMY_CODES["actors"]
    assert set(db.session.scalars(select(Region.code))) == TAXONOMY_CODES["regions"]
    bodies = set(db.session.scalars(select(Body.code)))
    assert {"human_rights_commission", "justice_inspectorate", "anti_corruption_commission", "auditor_general",
            "police_oversight", "defence_committee", "intelligence_committee"} < bodies
    assert {f"community_{r}" for r in TAXONOMY_CODES["regions"]} < bodies
    assert count(District) == 16
    # No explicit threshold: routing follows the one the active model chose (an admin may set one).
    assert get_setting("routing_confidence_threshold") is None


def test_routing_rules_follow_the_taxonomy_order(app):
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority)).all()
    # 11 explicit rules plus one service_failure rule per region.
    assert len(rules) == 11 + 5
    assert (rules[0].theme.code, rules[0].body.code) == ("abuse_of_force", "human_rights_commission")
    misconduct = [(r.actor.code if r.actor else None, r.body.code) for r in rules if r.theme.code == "misconduct"]
    assert misconduct == [("military", "defence_committee"), ("intelligence", "intelligence_committee"),
                          ("corrections", "justice_inspectorate"), (None, "police_oversight")]
    service = [(r.region.code if r.region else None, r.body.code) for r in rules if r.theme.code == "service_failure"]
    assert service[-1] == (None, "police_oversight")
    assert all(body == f"community_{region}" for region, body in service[:-1])


def test_loading_twice_is_idempotent(app):
    before = {m.__name__: count(m) for m in (Theme, Actor, Region, District, Body, RoutingRule)}
    load_taxonomy()
    load_routing_rules()
    db.session.commit()
    assert {m.__name__: count(m) for m in (Theme, Actor, Region, District, Body, RoutingRule)} == before


def test_a_deployment_can_change_the_taxonomy_without_code(app, tmp_path):
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    data["themes"].append({"code": "land_disputes", "name": "Land disputes"})
    data["bodies"].append({"code": "land_commission", "name": "Land Commission"})
    data["routing_rules"].insert(0, {"theme": "land_disputes", "body": "land_commission"})
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps(data))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "load-taxonomy", "--file", str(custom)])
    assert result.exit_code == 0, result.output
    first = db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority)).first()
    assert (first.theme.code, first.body.code) == ("land_disputes", "land_commission")


def test_a_broken_taxonomy_file_is_refused_clearly(app, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(DomainError, match="Cannot read taxonomy file"):
        load_taxonomy(broken)
    unknown = json.loads(DEFAULT_TAXONOMY.read_text())
    unknown["routing_rules"].append({"theme": "no_such_theme", "body": "police_oversight"})
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(unknown))
    with pytest.raises(DomainError, match="no theme has the code 'no_such_theme'"):
        load_taxonomy(path)
        load_routing_rules(path)


@pytest.mark.parametrize("change, problem", [
    (lambda d: d["themes"].append({"code": "land_disputes"}), "themes[8].name: must be a text"),
    (lambda d: d["themes"].insert(0, {"code": None, "name": "Land"}), "themes[0].code: must be lower-case"),
    (lambda d: d["themes"].append(dict(d["themes"][0])), "themes[8].code: 'abuse_of_force' appears twice"),
    (lambda d: d["actors"][0].update(name="A" * 201), "actors[0].name: must be a text of 1 to 200"),
    (lambda d: d["actors"][0].update(terms="police"), "actors[0].terms: must be a list"),
    (lambda d: d["regions"][0]["districts"].append({"code": "Bo Town", "name": "Bo"}),
     "regions[0].districts[3].code: must be lower-case"),
    (lambda d: d["bodies"].append("police"), "]: must be an object"),
    (lambda d: d["routing_rules"].append({"theme": "corruption"}), "]: must be an object with a theme and a body"),
    (lambda d: d["routing_rules"].append("x"), "]: must be an object with a theme and a body"),
    (lambda d: d["body_defaults"].update(target_acknowledged_share="lots"),
     "body_defaults.target_acknowledged_share: must be a share from 0 to 1"),
    (lambda d: d["body_defaults"].update(respond_days=0), "body_defaults.respond_days: must be a whole number"),
])
def test_a_taxonomy_file_with_a_bad_entry_is_refused_by_the_command_and_nothing_changes(app, tmp_path, change,
                                                                                      problem):
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    before = db.session.scalars(select(Theme.name).order_by(Theme.id)).all()
    result = app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])
    assert result.exit_code == 1 and problem in result.output, result.output
    assert "Traceback" not in result.output and "nothing was changed" in result.output
    db.session.expire_all()
    assert db.session.scalars(select(Theme.name).order_by(Theme.id)).all() == before
