"""Loading a taxonomy file (bodies, themes, actors, gazetteer, settings) into the database. The file's routing
rules are loaded by the routing domain (`routing.rule_operations.load_routing_rules`), which sits above taxonomy."""
from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

from sqlalchemy import select

from civicwatch.audit.operations import record_audit
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.cache import VERSION_SETTING
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
    # Codes of the themes and bodies stored but not in the file: left as they are (the file retires one with
    # "active": false, since a case may still hold it).
    themes_not_in_file: list[str] = dataclasses.field(default_factory=list)
    bodies_not_in_file: list[str] = dataclasses.field(default_factory=list)
    # Districts the file put in another region: the domains that keep a region beside a district follow them.
    moved_districts: list[MovedDistrict] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class MovedDistrict:
    district_id: int
    code: str
    region_id: int  # the new one
    old_region: str
    new_region: str


def read_taxonomy(path: Path | str = DEFAULT_TAXONOMY) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DomainError(f"Cannot read taxonomy file {path}: it is not UTF-8 text (byte {exc.start}); save it "
                          "as UTF-8.") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise DomainError(f"Cannot read taxonomy file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DomainError(f"Taxonomy file {path} must hold one JSON object.")
    for key in ("themes", "actors", "regions", "bodies", "routing_rules"):
        if not isinstance(data.get(key), list):
            raise DomainError(f"Taxonomy file {path} has no list '{key}'.")
    problems = [problem for key in ("themes", "actors", "regions", "bodies") for problem in _entry_problems(data, key)]
    problems += _body_problems(data["bodies"], data["regions"])
    problems += _rule_problems(data["routing_rules"]) + _default_problems(data.get("body_defaults", {}))
    problems += _setting_problems(data.get("settings", {}))
    if problems:
        raise DomainError(f"Taxonomy file {path} cannot be loaded; nothing was changed:\n" + "\n".join(problems[:20]))
    return data


_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_BODY_CODE = re.compile(r"[a-z][a-z0-9_]*(\{region\}[a-z0-9_]*)?")  # a per-region body names its region
NAME_MAX = 200
_TEXT_LISTS = ("terms", "generic_terms", "place_terms")
_REGION_FIELD = "{region}"


def _is_name(value: Any) -> bool:
    """A name the database can store: 1 to NAME_MAX characters, not only spaces, no NUL (PostgreSQL refuses it)."""
    return isinstance(value, str) and bool(value.strip()) and len(value) <= NAME_MAX and "\x00" not in value


def _names_only(template: str, allowed: set[str]) -> bool:
    """Whether a per-region body's name (or a routing rule's body code) names nothing but these fields, plainly
    ("{region_name}", never "{0}", "{region.x}" or "{region:>300}"), and its braces are balanced."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return False
    return all(field is None or (field in allowed and not spec and conversion is None)
               for _, field, spec, conversion in parts)


def _body_problems(bodies: list[Any], regions: list[Any]) -> list[str]:
    """What the entry checks cannot see in a body: only a per-region body names its region, in its code and names
    alone, and its code stays within 64 characters for every region of the file."""
    problems = []
    places = [(r["code"], name) for r in regions if isinstance(r, dict) and isinstance(r.get("code"), str)
              for name in [r.get("name"), *(r.get("names") or {}).values()] if isinstance(name, str)]
    longest = max((len(code) for code, _ in places), default=0)
    for index, body in enumerate(bodies):
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            continue  # already named by the entry checks
        at, code = f"bodies[{index}]", body["code"]
        if not body.get("per_region"):
            if _REGION_FIELD in code:
                problems.append(f"{at}.code: only a per_region body's code names {_REGION_FIELD}")
            continue
        if _REGION_FIELD in code and len(code) - len(_REGION_FIELD) + longest > 64:
            problems.append(f"{at}.code: with its region's code, at most 64 characters")
        allowed = {"region", "region_name"}
        if isinstance(body.get("name"), str) and not _names_only(body["name"], allowed):
            problems.append(f"{at}.name: a per-region body's name may only name {{region}} and {{region_name}}")
        names = body.get("names")
        texts = [body.get("name")] + (list(names.values()) if isinstance(names, dict) else [])
        if isinstance(names, dict) and not all(_names_only(n, allowed) for n in names.values() if isinstance(n, str)):
            problems.append(f"{at}.names: a per-region body's name may only name {{region}} and {{region_name}}")
        elif any(len(text.format(region=code, region_name=place)) > NAME_MAX for code, place in places
                 for text in texts if isinstance(text, str) and _names_only(text, allowed)):
            problems.append(f"{at}.name: with its region's name, at most {NAME_MAX} characters")
    return problems


def _rule_problems(rules: list[Any]) -> list[str]:
    problems = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or not all(isinstance(rule.get(key), str) for key in ("theme", "body")):
            problems.append(f"routing_rules[{index}]: must be an object with a theme and a body (codes)")
        elif not all(isinstance(rule.get(key), str | None) for key in ("actor", "region")):
            problems.append(f"routing_rules[{index}]: its actor and region must be codes (region \"*\": each one)")
        elif not _names_only(rule["body"], {"region"}):
            problems.append(f"routing_rules[{index}].body: only {{region}} may stand in braces")
    return problems


# What body_defaults may set on a new body: a whole number of days from 1, or a share from 0 to 1.
_DAYS = ("acknowledge_days", "acknowledge_days_urgent", "respond_days", "respond_days_urgent",
         "target_closed_within_days")


def _default_problems(defaults: Any) -> list[str]:
    if not isinstance(defaults, dict):
        return ["body_defaults: must be an object"]
    problems = []
    for key, value in defaults.items():
        if key in _DAYS and not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3650):
            problems.append(f"body_defaults.{key}: must be a whole number of days from 1 to 3650")
        elif key == "target_acknowledged_share" and not (
                isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1):
            problems.append(f"body_defaults.{key}: must be a share from 0 to 1, such as 0.9")
    return problems


# Settings whose value is a share from 0 to 1 (or null: none), read by domains above this one
# (routing.queries.THRESHOLD_SETTING).
_SHARE_SETTINGS = ("routing_confidence_threshold",)


def _setting_problems(settings: Any) -> list[str]:
    if not isinstance(settings, dict):
        return ["settings: must be an object"]
    problems = []
    for key, value in settings.items():
        if not _CODE.fullmatch(key):
            problems.append(f"settings: each key must be lower-case letters, digits and _ (at most 64); found {key!r}")
        elif key == VERSION_SETTING:
            problems.append(f"settings.{key}: is kept by the application; remove it from the file")
        elif key in _SHARE_SETTINGS and value is not None and not (
                isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1):
            problems.append(f"settings.{key}: must be a number from 0 to 1, such as 0.6, or null")
    return problems


def _entry_problems(data: dict[str, Any], key: str, where: str = "", seen: set[str] | None = None) -> list[str]:
    """What is wrong with the entries of list `key`, each named by its place in the file (themes[3].name). `seen`:
    the codes met so far, for a list whose codes are unique beyond it (districts, over every region)."""
    problems: list[str] = []
    seen = set() if seen is None else seen
    districts: set[str] = set()  # a district's code is unique in the whole gazetteer, not in its region only
    pattern = _BODY_CODE if key == "bodies" else _CODE
    for index, entry in enumerate(data.get(key) or []):
        at = f"{where}{key}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{at}: must be an object with a code and a name")
            continue
        code, name = entry.get("code"), entry.get("name")
        if not isinstance(code, str) or not pattern.fullmatch(code) or len(code) > 64:
            problems.append(f"{at}.code: must be lower-case letters, digits and _ (at most 64), such as "
                            f"abuse_of_force; found {code!r}")
        elif code in seen:
            problems.append(f"{at}.code: {code!r} appears twice")
        else:
            seen.add(code)
        if not _is_name(name):
            problems.append(f"{at}.name: must be a text of 1 to {NAME_MAX} characters")
        names = entry.get("names", {})
        if not isinstance(names, dict) or not all(isinstance(k, str) and _is_name(v) for k, v in names.items()):
            problems.append(f"{at}.names: must map language codes to names of 1 to {NAME_MAX} characters")
        for field in _TEXT_LISTS:
            value = entry.get(field, [])
            if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() and "\x00" not in item
                                                      for item in value):
                problems.append(f"{at}.{field}: must be a list of words or phrases")
        for field in ("covers", "not_this"):
            if not isinstance(entry.get(field, ""), str) or "\x00" in entry.get(field, ""):
                problems.append(f"{at}.{field}: must be a text (without NUL characters)")
        if key in ("themes", "bodies") and not isinstance(entry.get("active", True), bool):
            problems.append(f"{at}.active: must be true or false (false retires a theme or closes a body)")
        if key == "regions":
            problems += _entry_problems(entry, "districts", f"{at}.", districts)
    return problems


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
            code, name, names = spec["code"], spec["name"], dict(spec.get("names", {}))
            if region is not None:  # only a per-region body's code and names are templates; others are as written
                code, name = code.format(region=region.code), name.format(region=region.code, region_name=region.name)
                # A per-region body's name in a language names its region in that language.
                names = {language: text.format(region=region.code, region_name=region.display_name(language))
                         for language, text in names.items()}
            existing = db.session.scalar(select(Body).where(Body.code == code))
            fields = {"name": name, "names": names, "active": spec.get("active", True)}
            if existing is None:  # deadlines and targets are admin-edited; only seed them
                fields.update({k: v for k, v in defaults.items() if hasattr(Body, k)})
            bodies[code] = _upsert(Body, code, **fields)
    return bodies


# What a taxonomy file sets on each kind of entry, as the audit log keeps it.
_AUDITED: dict[type[Any], Callable[[Any], dict[str, Any]]] = {
    Theme: lambda t: {"name": t.name, "names": t.names, "covers": t.covers, "not_this": t.not_this,
                      "active": t.active},
    Actor: lambda a: {"name": a.name, "names": a.names, "terms": a.terms, "generic_terms": a.generic_terms,
                      "place_terms": a.place_terms},
    Region: lambda r: {"name": r.name, "names": r.names, "terms": r.terms},
    District: lambda d: {"name": d.name, "names": d.names, "terms": d.terms, "region": d.region.code},
    Body: lambda b: {"name": b.name, "names": b.names, "active": b.active},
}


def _audited_values() -> dict[str, dict[str, Any]]:
    """Every taxonomy entry's audited values, by "table:code" (copies: a load may change them in place)."""
    return {f"{model.__tablename__}:{row.code}": copy.deepcopy(values(row))
            for model, values in _AUDITED.items() for row in db.session.scalars(select(model))}


def _moved_districts(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[MovedDistrict]:
    moved = []
    for district in db.session.scalars(select(District).order_by(District.code)):
        was = before.get(f"districts:{district.code}")
        if was is not None and was["region"] != district.region.code:
            moved.append(MovedDistrict(district.id, district.code, district.region_id, was["region"],
                                       after[f"districts:{district.code}"]["region"]))
    return moved


def _differences(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values that changed, before and after, by "table:code"; a new entry is marked added."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key, values in after.items():
        if key not in before:
            new[key] = {"added": True}
            continue
        changed = [field for field, value in values.items() if before[key][field] != value]
        if changed:
            old[key] = {field: before[key][field] for field in changed}
            new[key] = {field: values[field] for field in changed}
    return old, new


def load_taxonomy(path: Path | str = DEFAULT_TAXONOMY) -> LoadSummary:
    """Create or update every entry of the taxonomy file but its routing rules. Idempotent; existing codes are
    updated. The audit entry names each entry added or changed, with the changed values before and after."""
    data = read_taxonomy(path)
    before = _audited_values()
    themes = {t["code"]: _upsert(Theme, t["code"], name=t["name"], names=t.get("names", {}), covers=t.get("covers", ""),
                                  not_this=t.get("not_this", ""), active=t.get("active", True))
              for t in data["themes"]}
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
    after = _audited_values()
    summary = LoadSummary(len(bodies), len(themes), len(actors), len(regions), district_count,
                          sorted(set(db.session.scalars(select(Theme.code))) - themes.keys()),
                          sorted(set(db.session.scalars(select(Body.code))) - bodies.keys()),
                          _moved_districts(before, after))
    old, new = _differences(before, after)
    record_audit(None, "taxonomy.load", None, before=old or None,
                 after={"file": Path(path).name, **summary.__dict__, **new})
    return summary
