"""A receipt code opens its case's follow-up page. A citizen who writes an earlier report's code into a new report,
or into a message, would put that key before the staff who read it, perhaps of another body than the one handling
the earlier case. Real receipt codes are taken out of what is stored; other long numbers stay."""
from __future__ import annotations

from sqlalchemy import select

from civicwatch.cases.models import Case, CaseMessage, Channel
from civicwatch.extensions import db
from civicwatch.intake import operations
from civicwatch.intake.operations import Submission
from tests.intake.conftest import WHAT_HAPPENED, report_and_read_receipt

REMOVED = "[receipt code removed]"


def test_a_new_report_that_quotes_an_earlier_receipt_code_is_stored_without_it(app, client):
    earlier = report_and_read_receipt(client)
    written = earlier.code.replace(" ", "-")
    later = report_and_read_receipt(client, text=(
        f"My first report with code {written} got no answer. Soldiers came back to our village and "
        "took two more goats, and the card number 4111 1111 1111 1111 of my shop was written on their paper."))
    stored = db.session.get(Case, later.case.id).text
    assert written not in stored and earlier.code.replace(" ", "") not in stored.replace("-", "").replace(" ", "")
    assert f"with code {REMOVED} got no answer" in stored
    assert "4111 1111 1111 1111" in stored  # not a receipt code: the citizen's words as written


def test_a_message_that_quotes_a_receipt_code_is_stored_without_it(app, client):
    first = report_and_read_receipt(client)
    second = report_and_read_receipt(client, text=WHAT_HAPPENED + " This is about another checkpoint.")
    message = operations.add_complainant_message(
        db.session.get(Case, second.case.id),
        f"Same officers as in {first.code} and in my own case {second.code.replace(' ', '')}.", Channel.WEB)
    db.session.commit()
    body = db.session.scalars(select(CaseMessage).where(CaseMessage.id == message.id)).one().body
    assert body == f"Same officers as in {REMOVED} and in my own case {REMOVED}."


def test_a_report_of_only_a_code_like_number_is_kept_when_it_is_nobodys_code(app):
    case, _code = operations.submit_complaint(Submission(
        text="Police at Lumley took 1234 5678 9012 3456 from my account and beat me.", channel=Channel.SMS))
    db.session.commit()
    assert "1234 5678 9012 3456" in db.session.get(Case, case.id).text
