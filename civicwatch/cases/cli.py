"""`civicwatch holidays ...`: the deployment's public holidays from the command line; `civicwatch cases ...`: the
dashboard's maintained figures."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from civicwatch.cases.counts import count_discrepancies, rebuild_case_counts, refresh_dashboard_medians
from civicwatch.cases.holidays import import_holidays, parse_holiday_csv
from civicwatch.cli import cli
from civicwatch.errors import DomainError
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Holiday


@cli.group("holidays")
def holidays_group() -> None:
    """Public holidays: no deadline counts them as working days."""


@holidays_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Add or rename the holidays of a CSV file, one `YYYY-MM-DD,Name` a line (a `date,name` header may come
    first). A bad line refuses the whole file. Deadlines already set stay as they are."""
    try:
        summary = import_holidays(None, parse_holiday_csv(path.read_text(encoding="utf-8-sig")))
    except (DomainError, UnicodeDecodeError) as error:
        db.session.rollback()
        raise click.ClickException(f"{path.name}: {error}") from None
    db.session.commit()
    click.echo(f"Holidays: {summary.added} added, {summary.renamed} renamed, {summary.unchanged} unchanged.")


@holidays_group.command("list")
def list_command() -> None:
    """Every holiday, oldest first, as CSV (what `import` reads)."""
    click.echo("date,name")
    for holiday in db.session.scalars(select(Holiday).order_by(Holiday.day)):
        click.echo(f"{holiday.day.isoformat()},{holiday.name}")


@cli.group("cases")
def cases_group() -> None:
    """The dashboard's maintained figures."""


@cases_group.command("check-counts")
@click.option("--repair", is_flag=True, help="Recount them from the cases when they differ.")
def check_counts_command(repair: bool) -> None:
    """Recount the cases per body and status and compare with the maintained counts; exit 1 when they differ."""
    wrong = count_discrepancies()
    for (body_id, status), (stored, counted) in wrong.items():
        click.echo(f"body {body_id or 'none'}, {status}: stored {stored}, counted {counted}")
    if wrong and repair:
        rebuild_case_counts()
        db.session.commit()
        click.echo("Recounted from the cases.")
    elif wrong:
        raise click.ClickException(f"{len(wrong)} counts differ from the cases.")
    else:
        click.echo("The counts match the cases.")


@cases_group.command("refresh-medians")
def refresh_medians_command() -> None:
    """Compute the dashboard's quarter medians now (the worker does it every DASHBOARD_MEDIANS_MINUTES)."""
    rows = refresh_dashboard_medians()
    db.session.commit()
    click.echo(f"Dashboard medians computed for {rows - 1} bodies and for every body.")
