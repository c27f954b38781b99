"""A receipt code written inside a longer text (not alone, which is a STATUS question) is taken out of the words
stored for staff, in a new report and in a follow-up alike."""
from __future__ import annotations

import re

from sqlalchemy import select

from civicwatch.cases.models import Case, CaseMessage
from civicwatch.extensions import db

REPORT = "Soldiers at the checkpoint near Kenema beat my brother with sticks because he had no ID card."
CODE = re.compile(r"receipt code is (\d{4} \d{4} \d{4} \d{4})")


def stored_words() -> str:
    return "\n".join([case.text for case in db.session.scalars(select(Case))]
                     + [message.body for message in db.session.scalars(select(CaseMessage))])


def test_a_code_inside_a_text_is_not_stored(text, clock):
    code = CODE.search(text(REPORT)).group(1)
    clock.advance(minutes=3)  # within the window where a text adds to the case
    text(f"They came back today. My code {code} shows nothing new, please help us")
    clock.advance(days=2)  # a new report, which may go to another body
    text(f"Police at Lumley junction took my motorbike and asked for money. Before I sent {code} about soldiers")
    assert len(db.session.scalars(select(Case)).all()) == 2
    words = stored_words()
    assert code not in words and code.replace(" ", "") not in words
    assert words.count("[receipt code removed]") == 2
