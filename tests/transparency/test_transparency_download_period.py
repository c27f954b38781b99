"""A statistics download asked for a period the statistics do not offer (a year before they begin, a year to
come, a word) is refused with the reason. It used to answer 200 with the figures of the last 12 months under the
same file name, and the CSV says nowhere which months it covers: a data user asking for 2019 filed the last 12
months as 2019. The page keeps showing the last 12 months for an old link, with the period named above the
figures."""
from __future__ import annotations

import csv
import io

import pytest

DOWNLOADS = ("/transparency/statistics.csv", "/transparency/statistics.json")


@pytest.mark.parametrize("period", ["1999", "2019", "2031", "banana", "last13"])
def test_a_download_of_a_period_not_offered_is_refused(client, six_closed_in_february, period):
    for path in DOWNLOADS:
        response = client.get(f"{path}?period={period}")
        assert response.status_code == 400, (path, period)
        message = response.get_json()["error"]["fields"]["period"][0]
        assert "last12" in message and "all" in message and "2026" in message, message
    page = client.get(f"/transparency?period={period}")
    # The last 12 months, from the first month the statistics cover (January of the first case's year).
    assert page.status_code == 200
    assert "Complaints received in <strong>January 2026 to June 2026</strong>" in page.get_data(as_text=True)


@pytest.mark.parametrize("period", ["", "last12", "all", "2026"])
def test_the_periods_offered_still_download(client, six_closed_in_february, period):
    rows = list(csv.DictReader(io.StringIO(client.get(f"{DOWNLOADS[0]}?period={period}").get_data(as_text=True))))
    received = next(r for r in rows if (r["section"], r["measure"]) == ("overall", "received"))
    assert received["value"] == "6"
    assert client.get(f"{DOWNLOADS[1]}?period={period}").status_code == 200
