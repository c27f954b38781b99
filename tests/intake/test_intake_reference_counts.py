"""A reference must not count the cases received: someone who files reports with other people's between them
would otherwise read from their own references how many came in between, and whether anyone reported at all."""
from __future__ import annotations

import re
from itertools import pairwise

from flask.testing import FlaskClient

from tests.factories import store_reference_key
from tests.intake.conftest import post_report, report_and_read_receipt

# Others' reports between the attacker's own, one gap after another (0: nobody reported in between).
OTHERS_BETWEEN = (0, 3, 1, 0, 2, 1, 0, 2)
SHAPE = re.compile(r"^CW-(\d{4})-(\d{6,})$")


def number_of(reference: str) -> int:
    match = SHAPE.match(reference)
    assert match, reference
    return int(match.group(2))


def test_own_references_do_not_tell_how_many_reports_came_between(client: FlaskClient, clock, app):
    store_reference_key()  # fixed, so that the orders asserted below are not left to chance
    own = [report_and_read_receipt(client).reference]
    for others in OTHERS_BETWEEN:
        for _ in range(others):
            assert post_report(client, text="Soldiers at the Kenema barracks beat a trader who would not pay them "
                                            "at the market gate.").status_code == 303
        own.append(report_and_read_receipt(client).reference)

    numbers = [number_of(reference) for reference in own]
    assert len(set(own)) == len(own)
    assert all(SHAPE.match(reference).group(1) == "2026" for reference in own)
    # The attack: the gap between two references, less one, is the count of others' reports in between.
    read_off = tuple(later - earlier - 1 for earlier, later in pairwise(numbers))
    assert read_off != OTHERS_BETWEEN
    assert not any(read == others for read, others in zip(read_off, OTHERS_BETWEEN, strict=True)), read_off
    # Nor the order of arrival.
    assert numbers != sorted(numbers), numbers
