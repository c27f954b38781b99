"""Loading a taxonomy file (bodies, themes, actors, gazetteer, settings) into the database. The file's routing
rules are loaded by the routing domain (`routing.rule_operations.load_routing_rules`), which sits above taxonomy."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from civicwatch.audit.operations import record_audit
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Actor, Body, District, Region, Setting, Theme
from civicwatch.taxonomy.queries import Coded

DEFAULT_TAXONOMY = Path(__file__).resolve().parent / "data" / "default.json"


@dataclass
class LoadSummary:
    bodies: int
    themes: int
    actors: int
    regions: int
    districts: int


def read_taxonomy(path: Path | str = DEFAULT_TAXONOMY) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DomainError(f"Cannot read taxonomy file {path}: {exc}") from exc
    for key in ("themes", "actors", "regions", "bodies", "routing_rules"):
        if not isinstance(data.get(key), list):
            raise DomainError(f"Taxonomy file {path} has no list '{key}'.")
    return data


def _upsert(model: type[Coded], code: str, **fields: Any) -> Coded:
    row = db.session.scalar(select(model).where(model.code == code))
    if row is None:
        row = model(code=code, **fields)
        db.session.add(row)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    return row


def _load_bodies(data: dict[str, Any], regions: list[Region]) -> dict[str, Body]:
    defaults = data.get("body_defaults", {})
    bodies: dict[str, Body] = {}
    for spec in data["bodies"]:
        for region in (regions if spec.get("per_region") else [None]):
            values = {"region": region.code, "region_name": region.name} if region is not None else {}
            code = spec["code"].format(**values)
            existing = db.session.scalar(select(Body).where(Body.code == code))
            # A per-region body's name in a language names its region in that language.
            names = {language: name.format(**values | ({"region_name": region.display_name(language)} if region else {}))
                     for language, name in spec.get("names", {}).items()}
            fields = {"name": spec["name"].format(**values), "names": names}
            if existing is None:  # deadlines and targets are admin-edited; only seed them
                fields.update({k: v for k, v in defaults.items() if hasattr(Body, k)})
            bodies[code] = _upsert(Body, code, **fields)
    return bodies


def load_taxonomy(path: Path | str = DEFAULT_TAXONOMY) -> LoadSummary:
    """Create or update every entry of the taxonomy file but its routing rules. Idempotent; existing codes are
    updated."""
    data = read_taxonomy(path)
    themes = {t["code"]: _upsert(Theme, t["code"], name=t["name"], names=t.get("names", {}), covers=t.get("covers", ""),
                                  not_this=t.get("not_this", ""), active=True) for t in data["themes"]}
    actors = {a["code"]: _upsert(Actor, a["code"], name=a["name"], names=a.get("names", {}), terms=a.get("terms", []),
                                 generic_terms=a.get("generic_terms", []), place_terms=a.get("place_terms", []))
              for a in data["actors"]}
    regions: dict[str, Region] = {}
    district_count = 0
    for r in data["regions"]:
        region = _upsert(Region, r["code"], name=r["name"], names=r.get("names", {}), terms=r.get("terms", []))
        regions[r["code"]] = region
        db.session.flush()
        for d in r.get("districts", []):
            _upsert(District, d["code"], name=d["name"], names=d.get("names", {}), terms=d.get("terms", []), region=region)
            district_count += 1
    bodies = _load_bodies(data, list(regions.values()))
    for key, value in data.get("settings", {}).items():
        if db.session.get(Setting, key) is None:
            db.session.add(Setting(key=key, value=value))
    db.session.flush()
    summary = LoadSummary(len(bodies), len(themes), len(actors), len(regions), district_count)
    record_audit(None, "taxonomy.load", None, after={"file": Path(path).name, **summary.__dict__})
    return summary
