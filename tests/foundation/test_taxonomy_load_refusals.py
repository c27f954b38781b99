"""A taxonomy file that cannot be loaded as it says is refused by `load-taxonomy` with the entry named, never
with a traceback, and nothing of it is loaded."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.routing.queries import THRESHOLD_SETTING
from civicwatch.taxonomy.models import Body, District, Setting
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY


def _load(app, tmp_path, change: Callable[[dict[str, Any]], None]):
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    change(data)
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(data))
    return app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])


def test_a_file_that_is_not_utf8_text_is_refused_by_name(app, tmp_path) -> None:
    path = tmp_path / "taxonomy-latin1.json"
    path.write_bytes('{"themes": [{"code": "corruption", "name": "Corruption (fraude, détournement)"}]}'
                     .encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert "taxonomy-latin1.json" in result.output and "UTF-8" in result.output, result.output


def _places() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(d.code, d.region.code) for d in db.session.scalars(select(District).order_by(District.code))]


def test_a_district_code_in_two_regions_is_refused_and_no_district_moves(app, tmp_path) -> None:
    before = _places()
    result = _load(app, tmp_path, lambda d: d["regions"][1]["districts"].append({"code": "kenema", "name": "Kenema"}))
    assert result.exit_code == 1, result.output
    assert "regions[1].districts[4].code: 'kenema' appears twice" in result.output
    assert "Traceback" not in result.output and "nothing was changed" in result.output
    assert _places() == before and ("kenema", "eastern") in before


def _bodies() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(b.code, b.name) for b in db.session.scalars(select(Body).order_by(Body.code))]


def test_a_body_name_with_braces_is_kept_as_written(app, tmp_path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["bodies"].append({"code": "ombudsman", "name": "Ombudsman {Security} Office",
                               "names": {"fr": "Bureau {sécurité} du médiateur"}})

    result = _load(app, tmp_path, change)
    assert result.exit_code == 0, result.output
    body = db.session.scalar(select(Body).where(Body.code == "ombudsman"))
    assert body is not None and body.name == "Ombudsman {Security} Office"
    assert body.names == {"fr": "Bureau {sécurité} du médiateur"}


def _per_region(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["bodies"].append({"per_region": True, **fields})


@pytest.mark.parametrize(("change", "problem"), [
    (_per_region(code="panel_{region}", name="Panel of {district}"),
     "bodies[8].name: a per-region body's name may only name {region} and {region_name}"),
    (_per_region(code="panel_{region}", name="Panel {", names={}),
     "bodies[8].name: a per-region body's name may only name {region} and {region_name}"),
    (_per_region(code="panel_{region}", name="Panel", names={"fr": "Comité {0}"}),
     "bodies[8].names: a per-region body's name may only name {region} and {region_name}"),
    (_per_region(code="p" * 55 + "_{region}", name="Panel"),
     "bodies[8].code: with its region's code, at most 64 characters"),
    (_per_region(code="panel_{region}", name="P" * 190 + ", {region_name}"),
     "bodies[8].name: with its region's name, at most 200 characters"),
    (lambda data: data["bodies"].append({"code": "panel_{region}", "name": "Panel"}),
     "bodies[8].code: only a per_region body's code names {region}"),
    (lambda data: data["themes"][0].update(name="Abuse\u0000of force"),
     "themes[0].name: must be a text of 1 to 200 characters"),
    (lambda data: data["bodies"][0]["names"].update(fr="Commission\u0000"),
     "bodies[0].names: must map language codes to names of 1 to 200 characters"),
    (lambda data: data["actors"][0]["terms"].append("pol\u0000ice"), "actors[0].terms: must be a list"),
])
def test_a_body_or_text_that_cannot_be_stored_is_refused_by_name(app, tmp_path, change, problem) -> None:
    before = _bodies()
    result = _load(app, tmp_path, change)
    assert result.exit_code == 1, result.output
    assert problem in result.output and "nothing was changed" in result.output, result.output
    assert "Traceback" not in result.output
    assert _bodies() == before


@pytest.mark.parametrize(("settings", "problem"), [
    (["routing_confidence_threshold"], "settings: must be an object"),
    ({"routing_confidence_threshold": "high"}, "settings.routing_confidence_threshold: must be a number from 0 to 1"),
    ({"routing_confidence_threshold": 1.5}, "settings.routing_confidence_threshold: must be a number from 0 to 1"),
    ({"x" * 65: 1}, "settings: each key must be lower-case letters, digits and _ (at most 64)"),
    ({"taxonomy_version": "0"}, "settings.taxonomy_version: is kept by the application"),
])
def test_settings_that_cannot_be_stored_or_used_are_refused_by_name(app, tmp_path, settings, problem) -> None:
    result = _load(app, tmp_path, lambda data: data.update(settings=settings))
    assert result.exit_code == 1, result.output
    assert problem in result.output and "nothing was changed" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_threshold_setting_of_a_file_is_loaded(app, tmp_path) -> None:
    db.session.execute(Setting.__table__.delete().where(Setting.key == THRESHOLD_SETTING))
    db.session.commit()
    result = _load(app, tmp_path, lambda data: data.update(settings={THRESHOLD_SETTING: 0.7}))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Setting, THRESHOLD_SETTING).value == 0.7
