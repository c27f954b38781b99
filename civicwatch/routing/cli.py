"""`civicwatch load-taxonomy`: the taxonomy file's entries (taxonomy) and its routing rules (routing)."""
from __future__ import annotations

import click

from civicwatch.cli import cli
from civicwatch.extensions import db
from civicwatch.routing.rule_operations import load_routing_rules
from civicwatch.taxonomy.operations import DEFAULT_TAXONOMY, load_taxonomy


@cli.command("load-taxonomy")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT_TAXONOMY),
              show_default=True, help="Taxonomy JSON file.")
@click.option("--keep-rules", is_flag=True, help="Keep routing rules already edited by admins.")
def load_taxonomy_command(path: str, keep_rules: bool) -> None:
    """Load or update themes, actors, gazetteer, bodies and routing rules from a taxonomy file."""
    summary = load_taxonomy(path)
    rules = load_routing_rules(path, replace=not keep_rules)
    db.session.commit()
    click.echo(
        f"Loaded {summary.themes} themes, {summary.actors} actors, {summary.regions} regions, "
        f"{summary.districts} districts, {summary.bodies} bodies, {rules} routing rules."
    )
