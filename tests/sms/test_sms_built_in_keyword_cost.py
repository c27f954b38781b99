"""A text that is exactly a built-in keyword means the same whatever words a deployment adds (load-taxonomy refuses
a word a built-in one claims, and the built-in words win over the deployment's), so it is answered without reading
the deployment's words, and without the taxonomy version's read that their cache costs."""
from __future__ import annotations

from civicwatch.sms.inbox import process_inbox
from tests.sms.conftest import acknowledged, replies_since, statements_during

PHONES = [f"+2327631{n:04d}" for n in range(3)]


def test_a_batch_of_built_in_keywords_reads_no_taxonomy_version(send_text, clock):
    for phone, body in zip(PHONES, ["HELP", "Stop!", "statut"], strict=True):
        acknowledged(send_text(body, phone))
    statements, report = statements_during(process_inbox)
    assert report.answered == len(PHONES)
    assert not [s for s in statements if s.startswith("SELECT settings.value")], statements
    assert all(len(replies_since(0, phone)) == 1 for phone in PHONES)


def test_a_deployments_words_are_still_read_for_a_text_that_is_not_a_built_in_keyword(send_text, clock):
    acknowledged(send_text("SECOURS", PHONES[0]))
    statements, report = statements_during(process_inbox)
    assert report.answered == 1
    assert [s for s in statements if s.startswith("SELECT settings.value")], statements

