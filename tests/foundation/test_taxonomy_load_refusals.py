"""A taxonomy file that cannot be loaded as it says is refused by `load-taxonomy` with the entry named, never
with a traceback, and nothing of it is loaded."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from civicwatch.extensions import db
from civicwatch.taxonomy.models import District
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY


def _load(app, tmp_path, change: Callable[[dict[str, Any]], None]):
    data = json.loads(DEFAULT_TAXONOMY.read_text())
    change(data)
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(data))
    return app.test_cli_runner().invoke(args=["civicwatch", "load-taxonomy", "--file", str(path)])


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
