"""The same through the signed webhook: references texted back must not count the reports that came in between."""
from __future__ import annotations

import re
from itertools import pairwise

from tests.factories import store_reference_key
from tests.sms.conftest import PHONE

OPENED = re.compile(r"report (CW-(\d{4})-(\d{6,})) received\. Your secret receipt code is")
REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
OTHERS_BETWEEN = (0, 2, 1, 0, 3, 1)


def opened(reply: str | None) -> tuple[str, int]:
    match = OPENED.search(reply or "")
    assert match, reply
    assert match.group(2) == "2026"
    return match.group(1), int(match.group(3))


def test_texted_references_do_not_tell_how_many_reports_came_between(text, clock, app):
    store_reference_key()  # fixed, so that the orders asserted below are not left to chance
    own: list[tuple[str, int]] = [opened(text(REPORT))]
    other = 0
    for others in OTHERS_BETWEEN:
        for _ in range(others):
            other += 1
            opened(text("Police at the Bo checkpoint took my motorbike and asked for money to give it back.",
                        phone=f"+2327710{other:04d}"))
        clock.advance(hours=1)  # past the follow-up window: a new report, not words added to the last one
        own.append(opened(text(REPORT, phone=PHONE)))

    references = [reference for reference, _ in own]
    numbers = [number for _, number in own]
    assert len(set(references)) == len(references)
    read_off = tuple(later - earlier - 1 for earlier, later in pairwise(numbers))
    assert not any(read == others for read, others in zip(read_off, OTHERS_BETWEEN, strict=True)), read_off
    assert numbers != sorted(numbers), numbers
