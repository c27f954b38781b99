""""Today" for an incident date is the deployment's date (CIVICWATCH_TIMEZONE), not UTC's: around midnight the
two differ, and a report of something that happened tonight must not be refused as being in the future."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from civicwatch import create_app
from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import make_config
from tests.intake.conftest import post_report

FUTURE = "The date cannot be in the future."


@pytest.fixture
def app_config(request) -> dict:
    return {"TIMEZONE": request.param} if hasattr(request, "param") else {}


@pytest.mark.parametrize("app_config, utc_now, local_today", [
    # 20:00 UTC on 12 March is already 05:00 on 13 March in Tokyo.
    ("Asia/Tokyo", dt.datetime(2026, 3, 12, 20, 0, tzinfo=dt.UTC), dt.date(2026, 3, 13)),
    # 01:00 UTC on 13 March is still 22:00 on 12 March in São Paulo.
    ("America/Sao_Paulo", dt.datetime(2026, 3, 13, 1, 0, tzinfo=dt.UTC), dt.date(2026, 3, 12)),
], indirect=["app_config"])
def test_the_latest_incident_date_is_today_in_the_deployments_time_zone(client, clock, utc_now, local_today):
    clock.now = utc_now
    assert utc_now.date() != local_today
    tomorrow_there = local_today + dt.timedelta(days=1)

    refused = post_report(client, incident_date=tomorrow_there.isoformat())
    assert refused.status_code == 400 and FUTURE in refused.get_data(as_text=True)
    accepted = post_report(client, incident_date=local_today.isoformat())
    assert accepted.status_code == 303, accepted.get_data(as_text=True)[:1000]
    assert db.session.scalar(select(Case.incident_date)) == local_today


def test_utc_is_the_default(app):
    assert app.config["TIMEZONE"] == "UTC"


def test_an_unknown_time_zone_refuses_to_start(database_url, tmp_path):
    with pytest.raises(RuntimeError, match="CIVICWATCH_TIMEZONE must be an IANA time zone name"):
        create_app(make_config(database_url, tmp_path, TIMEZONE="Mars/Olympus_Mons"))
