"""Differencing across publications: the public keeps every day's figures, so a count withheld to protect a small
one in one publication must not be shown in a later one while it still counts the same cases (or the first
publication's total, less its shown months, less that count, is the small one).

The attacker here reads one body's statistics.json after each publication and assumes only what anyone knows:
the complaints received in a month that has ended never change."""
from __future__ import annotations

import datetime as dt

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db

BODY = "police_oversight"


def day(month: int, number: int) -> dt.datetime:
    return dt.datetime(2026, month, number, 9, tzinfo=dt.UTC)


Publication = tuple[set[str], int | None, dict[str, int | None]]  # months ended by then, total, each month


def publication(client, ended: set[str]) -> Publication:
    data = client.get(f"/transparency/statistics.json?period=all&body={BODY}").get_json()
    return ended, data["overall"]["counts"]["received"], {g["code"]: g["counts"]["received"] for g in data["months"]}


def worked_out(publications: list[Publication]) -> dict[str, int]:
    """The months' counts the publications give away by subtraction. A month's count shown after the month ended
    holds in every publication made after it ended; one shown before, only in its own publication."""
    known = {month: value for ended, _, months in publications for month, value in months.items()
             if value is not None and month in ended}
    changed = True
    while changed:
        changed = False
        for ended, total, months in publications:
            values = {month: shown if shown is not None else known.get(month) if month in ended else None
                      for month, shown in months.items()}
            hidden = [month for month, value in values.items() if value is None]
            if total is None or len(hidden) != 1 or hidden[0] not in ended:
                continue
            known[hidden[0]] = total - sum(value or 0 for value in values.values())
            changed = True
    return known


def test_a_month_withheld_beside_a_small_one_stays_withheld_in_the_next_publications(app, client, new_case, clock):
    clock.now = day(4, 20)
    for month, count in ((1, 2), (2, 7), (3, 9), (4, 8)):
        for number in range(count):
            new_case(CaseStatus.CLOSED, body=BODY, created_at=day(month, 3 + number))
    db.session.commit()
    first = publication(client, {"2026-01", "2026-02", "2026-03"})
    assert first[2]["2026-01"] is None and first[2]["2026-02"] is None  # January is small, February protects it
    assert worked_out([first]) == {"2026-03": 9}

    clock.now = day(5, 10)  # a month later, May has fewer complaints than February
    for number in range(6):
        new_case(CaseStatus.CLOSED, body=BODY, created_at=day(5, 1 + number))
    db.session.commit()
    second = publication(client, {"2026-01", "2026-02", "2026-03", "2026-04"})

    assert "2026-01" not in worked_out([first, second]), (first, second)
