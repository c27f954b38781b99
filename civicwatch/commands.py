"""Every `flask --app wsgi civicwatch ...` command: each domain's cli module adds its commands to the group in
cli.py; this module imports them all, adds `prepare` and `load-taxonomy` (whose moved districts reach several
domains), and registers the group on the app."""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import click
from flask import Flask

from civicwatch.accounts import cli as accounts_cli
from civicwatch.audit import cli as audit_cli
from civicwatch.audit.operations import record_audit
from civicwatch.cases import cli as cases_cli
from civicwatch.cases.districts import move_district_cases
from civicwatch.classify import cli as classify_cli
from civicwatch.cli import cli
from civicwatch.demo import cli as demo_cli
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.intake import cli as intake_cli
from civicwatch.interfaces import cli as interfaces_cli
from civicwatch.patterns import cli as patterns_cli
from civicwatch.patterns.operations import move_district_allegations
from civicwatch.retention import cli as retention_cli
from civicwatch.routing import cli as routing_cli
from civicwatch.routing.rule_operations import load_routing_rules
from civicwatch.sms import cli as sms_cli
from civicwatch.sms.keywords import load_sms_keywords
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY, MovedDistrict, load_taxonomy
from civicwatch.transparency import cli as transparency_cli

# The modules whose commands are on the group (importing them is what adds the commands).
COMMAND_MODULES: tuple[ModuleType, ...] = (
    routing_cli, accounts_cli, audit_cli, demo_cli, sms_cli, intake_cli, transparency_cli, interfaces_cli,
    classify_cli, patterns_cli, cases_cli, retention_cli,
)

# Work that `make run` needs done before serving (for example training a model when none exists).
# Each step takes no arguments and returns a line to print.
PREPARE_STEPS: tuple[Callable[[], str], ...] = (
    transparency_cli.prepare_statistics,
    classify_cli.prepare_model,
)


def register_cli(app: Flask) -> None:
    if cli.name not in app.cli.commands:
        app.cli.add_command(cli)


@cli.command("prepare")
def prepare_command() -> None:
    """Make sure everything the app needs at run time exists."""
    for step in PREPARE_STEPS:
        click.echo(step())


@cli.command("load-taxonomy")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT_TAXONOMY),
              show_default=True, help="Taxonomy JSON file.")
@click.option("--keep-rules", is_flag=True, help="Keep routing rules already edited by admins.")
def load_taxonomy_command(path: str, keep_rules: bool) -> None:
    """Load or update themes, actors, gazetteer, bodies, routing rules and SMS keywords from a taxonomy file."""
    try:
        summary = load_taxonomy(path)
        rules = load_routing_rules(path, replace=not keep_rules)
        keywords = load_sms_keywords(path)
        moves = _follow_moved_districts(summary.moved_districts)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Loaded {summary.themes} themes, {summary.actors} actors, {summary.regions} regions, "
        f"{summary.districts} districts, {summary.bodies} bodies, {rules} routing rules, {keywords} SMS keywords "
        "of the deployment's own."
    )
    for line in moves:
        click.echo(line)
    left_out = [f"{kind} {', '.join(codes)}" for kind, codes in
                (("themes", summary.themes_not_in_file), ("bodies", summary.bodies_not_in_file)) if codes]
    if left_out:
        click.echo(f"Not in the file, left as they are: {'; '.join(left_out)}. To retire a theme or close a body, "
                   'keep it in the file with "active": false.')


def _follow_moved_districts(moved: list[MovedDistrict]) -> list[str]:
    """Move the stored cases and allegations of each district the file put in another region, with one audit
    entry of the counts; a line to print for each district."""
    counts: dict[str, dict[str, Any]] = {}
    lines = []
    for district in moved:
        cases = move_district_cases(district.district_id, district.region_id)
        allegations = move_district_allegations(district.district_id, district.region_id)
        counts[district.code] = {"from": district.old_region, "to": district.new_region, "cases": cases,
                                 "allegations": allegations}
        lines.append(f"Moved {cases} {'case' if cases == 1 else 'cases'} and {allegations} "
                     f"{'allegation' if allegations == 1 else 'allegations'} of district {district.code} "
                     f"from region {district.old_region} to {district.new_region}.")
    if counts:
        record_audit(None, "taxonomy.districts_moved", None, after=counts)
    return lines
