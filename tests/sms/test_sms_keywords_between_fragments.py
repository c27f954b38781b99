"""A first text too short to open a report is kept while the person adds details. A keyword texted meanwhile (HELP,
STATUS, a receipt code alone, LANG, an empty text) is answered and leaves the kept words as they were: the report
opened with the details begins with the person's own first words, and never with a keyword or a receipt code."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from civicwatch.sms.replies import Reply, render_reply

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
CODE = re.compile(r"receipt code is (\d{4} \d{4} \d{4} \d{4})")


@pytest.mark.parametrize("keyword", ["HELP", "STATUS", "{code}", "LANG", "", "RATE"])
def test_a_keyword_between_the_first_words_and_the_details_keeps_the_first_words(text, clock, keyword):
    code = CODE.search(text(REPORT)).group(1)
    clock.advance(hours=3)
    assert text("police beat me") == render_reply(Reply.ASK_FOR_DETAILS)
    clock.advance(minutes=5)
    assert text(keyword.format(code=code)) is not None
    clock.advance(minutes=5)
    assert text("in Bo") == render_reply(Reply.ASK_FOR_MORE)
    clock.advance(minutes=5)
    assert text("at the market on Monday morning when I was selling").startswith("CivicWatch: report ")
    newest = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert newest.text == "police beat me\nin Bo\nat the market on Monday morning when I was selling"
