"""Every reply fits one GSM-7 segment with the longest values it can carry."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.settings import EMERGENCY_ADVICE_MAX
from civicwatch.sms.replies import Reply, is_gsm7, render_reply, render_status, segment_count

LONGEST = {"reference": "CW-2026-9999999", "receipt_code": "9999 9999 9999 9999", "score": 5,
           "wait": "999 minutes", "count": 99, "cases": "CW-2026-9999999 waits for your answer; 98 more",
           "advice": "x" * EMERGENCY_ADVICE_MAX}


@pytest.mark.parametrize("reply", [reply for reply in Reply if reply is not Reply.STATUS])
def test_each_reply_is_one_gsm7_segment(reply):
    text = render_reply(reply, **LONGEST)
    assert is_gsm7(text), text
    assert len(text) <= 160 and segment_count(text) == 1, (len(text), text)


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("waiting", [False, True])
def test_each_status_reply_is_one_gsm7_segment(status, waiting):
    text = render_status(LONGEST["reference"], status, dt.datetime(2026, 12, 31, tzinfo=dt.UTC), waiting)
    assert is_gsm7(text)
    assert segment_count(text) == 1, (len(text), text)


@pytest.mark.parametrize("text, segments", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),  # extension characters take two septets
    ("é" * 160, 1),  # in the GSM-7 basic set
    ("ŋ" * 70, 1), ("ŋ" * 71, 2),  # outside GSM-7: UCS-2
    ("😀" * 35, 1), ("😀" * 36, 2),  # two UTF-16 code units each
])
def test_segment_count(text, segments):
    assert segment_count(text) == segments
