"""Writing the routing rules: admins' edits and the confidence threshold, and the rules of a taxonomy file.
Flush, never commit."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import gettext
from sqlalchemy import delete, select

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.operations import same_version
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from civicwatch.routing.models import RoutingRule
from civicwatch.routing.queries import THRESHOLD_SETTING
from civicwatch.taxonomy.models import Actor, Body, Region, Setting, Theme
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY, read_taxonomy
from civicwatch.taxonomy.queries import Coded


def _code(row: Body | Theme | Actor | Region | None) -> str | None:
    return row.code if row is not None else None


# ---------------------------------------------------------------- admins' edits

def _rule_dict(rule: RoutingRule) -> dict[str, Any]:
    return {"priority": rule.priority, "theme": _code(rule.theme), "actor": _code(rule.actor),
            "region": _code(rule.region), "body": _code(rule.body), "active": rule.active}


def _check_rule(priority: int, theme: Theme | None, body: Body | None) -> tuple[Theme, Body]:
    """The theme and body, once checked (a rule needs both)."""
    if theme is None:
        raise DomainError(gettext("Choose the theme the rule applies to."))
    if body is None:
        raise DomainError(gettext("Choose the body the rule sends cases to."))
    if not 0 <= priority <= 1_000_000:
        raise DomainError(gettext("The priority must be a whole number from 0 to 1,000,000."))
    return theme, body


def create_rule(user: User, priority: int, theme: Theme | None, body: Body | None, actor: Actor | None = None,
                region: Region | None = None, active: bool = True) -> RoutingRule:
    """Add a routing rule (lower priority numbers are tried first)."""
    theme, body = _check_rule(priority, theme, body)
    rule = RoutingRule(priority=priority, theme=theme, body=body, actor=actor, region=region, active=active)
    db.session.add(rule)
    db.session.flush()
    record_audit(user, "routing.rule_create", rule, after=_rule_dict(rule))
    return rule


def update_rule(rule: RoutingRule, user: User, posted_version: Any, priority: int, theme: Theme | None,
                body: Body | None, actor: Actor | None = None, region: Region | None = None,
                active: bool = True) -> RoutingRule:
    """Change a routing rule; it applies to cases routed from now on. `posted_version` is the rule's version the
    form was rendered from: a save on an older one is refused (409), never merged."""
    theme, body = _check_rule(priority, theme, body)
    db.session.refresh(rule, with_for_update=True)  # another administrator's save waits for this one, or wins
    if not same_version(rule.version, posted_version):
        raise ConflictError(gettext(
            "Someone else changed this rule after you opened this page, so your change was not saved. Saved now: "
            "priority %(priority)s, sends %(theme)s to %(body)s (%(state)s). Your values are kept below: save them "
            "again to replace these.", priority=rule.priority, theme=rule.theme.local_name,
            body=rule.body.local_name,
            state=gettext("the rule is active") if rule.active else gettext("the rule is inactive")))
    before = _rule_dict(rule)
    rule.priority, rule.theme, rule.body, rule.actor, rule.region, rule.active = (
        priority, theme, body, actor, region, active)
    rule.version += 1
    db.session.flush()
    record_audit(user, "routing.rule_update", rule, before=before, after=_rule_dict(rule))
    return rule


def delete_rule(rule: RoutingRule, user: User) -> None:
    """Remove a routing rule."""
    record_audit(user, "routing.rule_delete", rule, before=_rule_dict(rule))
    db.session.delete(rule)
    db.session.flush()


def set_routing_threshold(user: User, value: float | None) -> None:
    """The theme confidence (0 to 1) below which new cases wait in the triage queue; None drops the admin's
    choice, and the threshold the active model chose at training time applies again."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise DomainError(gettext("The threshold must be between 0 and 1."))
    setting = db.session.get(Setting, THRESHOLD_SETTING)
    before = setting.value if setting is not None else None
    if setting is None:
        setting = Setting(key=THRESHOLD_SETTING, value=value)
        db.session.add(setting)
    else:
        setting.value = value
    db.session.flush()
    record_audit(user, "routing.threshold", None, before={"threshold": before}, after={"threshold": value})


# ---------------------------------------------------------------- rules from a taxonomy file

def _rows_by_code(model: type[Coded]) -> dict[str, Coded]:
    return {row.code: row for row in db.session.scalars(select(model))}


def _coded(rows: dict[str, Coded], code: str, index: int, field: str) -> Any:
    """The row of `code`; a code no row has refuses the whole file (the caller rolls back), naming the rule."""
    if code not in rows:
        raise DomainError(f"The taxonomy file cannot be loaded; nothing was changed:\nrouting_rules[{index}].{field}: "
                          f"no {field} has the code {code!r}")
    return rows[code]


def load_routing_rules(path: Path | str = DEFAULT_TAXONOMY, replace: bool = True) -> int:
    """Write the routing rules of a taxonomy file, in its order, once its entries are loaded (`load_taxonomy`).

    Every rule is replaced; with `replace` False the rules are only loaded into an empty table, so rules that
    admins edited are kept. A rule for region "*" is repeated for every region of the file. The audit entry holds
    the rules replaced and written. Returns how many rules were written.
    """
    data = read_taxonomy(path)
    if not replace and db.session.scalar(select(RoutingRule.id).limit(1)) is not None:
        return 0
    themes, actors, regions, bodies = (
        _rows_by_code(Theme), _rows_by_code(Actor), _rows_by_code(Region), _rows_by_code(Body))
    file_regions = [region["code"] for region in data["regions"]]
    replaced = [_rule_dict(rule) for rule in db.session.scalars(select(RoutingRule).order_by(
        RoutingRule.priority, RoutingRule.id))]
    db.session.execute(delete(RoutingRule))
    written: list[RoutingRule] = []
    priority = 0
    for index, spec in enumerate(data["routing_rules"]):
        region_codes = file_regions if spec.get("region") == "*" else [spec.get("region")]
        for region_code in region_codes:
            priority += 10
            body_code = spec["body"].format(region=region_code)
            rule = RoutingRule(
                priority=priority,
                theme=_coded(themes, spec["theme"], index, "theme"),
                actor=_coded(actors, spec["actor"], index, "actor") if spec.get("actor") else None,
                region=_coded(regions, region_code, index, "region") if region_code else None,
                body=_coded(bodies, body_code, index, "body"),
                active=True,
            )
            db.session.add(rule)
            written.append(rule)
    db.session.flush()
    # Every rule before and after, as an admin's edit of one rule is audited: where cases went stays known.
    record_audit(None, "taxonomy.load_rules", None, before={"rules": replaced} if replaced else None,
                 after={"file": Path(path).name, "rules": [_rule_dict(rule) for rule in written]})
    return len(written)
