"""A recused staff member reaching the case through a door that does not take its id: the related-case panel of
another case they still work on, and the outbox's retry of a failed text."""
from __future__ import annotations

from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseMessage, CaseStatus, Recusal
from civicwatch.cases.notifications import notify_complainant
from civicwatch.extensions import db
from civicwatch.messaging.models import OutboundMessage, OutboxStatus
from civicwatch.patterns.models import CaseRelation, RelationKind, RelationStatus
from tests.cases.conftest import post_case_form
from tests.conftest import csrf_token

PHONE = "+23276124567"


def test_a_recused_investigator_can_neither_see_nor_decide_the_suggestion_relating_their_case_to_another(
        make_case, make_user, signed_in):
    recused_from = make_case(CaseStatus.INVESTIGATING)
    working_on = make_case(CaseStatus.INVESTIGATING)
    relation = CaseRelation(case=working_on, related_case=recused_from, kind=RelationKind.DUPLICATE, score=0.91,
                            reasons=["same_place"])
    db.session.add(relation)
    db.session.commit()
    relation_id = relation.id
    investigator = make_user(Role.INVESTIGATOR)
    client = signed_in(investigator)
    assert post_case_form(client, recused_from.id, "recuse", "recuse",
                          reason="The officer named is my brother.").status_code == 302

    page = client.get(f"/staff/cases/{working_on.id}").get_data(as_text=True)
    assert f'id="relation-{relation_id}"' not in page
    for action in ("dismiss", "link", "request-share"):
        response = post_case_form(client, working_on.id, f"related/{relation_id}/{action}", "relation")
        assert response.status_code == 404, action
    db.session.expire_all()
    assert db.session.get(CaseRelation, relation_id).status is RelationStatus.PROPOSED
    colleague = signed_in(make_user(Role.INVESTIGATOR))
    assert f'id="relation-{relation_id}"' in colleague.get(f"/staff/cases/{recused_from.id}").get_data(as_text=True)


def test_a_recused_admin_cannot_send_again_a_failed_text_of_the_case(make_case, make_user, signed_in):
    case = make_case(CaseStatus.INVESTIGATING, phone=PHONE)
    message = notify_complainant(case, "CivicWatch: which day was it?", "question")
    assert message is not None
    message.status = OutboxStatus.FAILED
    db.session.commit()
    message_id = message.id
    admin = make_user(Role.ADMIN)
    client = signed_in(admin)
    assert post_case_form(client, case.id, "recuse", "recuse", reason="The complainant is my neighbour.").status_code == 302

    response = client.post(f"/staff/outbox/{message_id}/retry", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message_id).status is OutboxStatus.FAILED


def test_a_reason_or_note_of_invisible_characters_is_refused(make_case, make_user, signed_in):
    """Zero-width spaces and direction marks show nothing: as a recusal's reason or a note they say nothing."""
    case = make_case(CaseStatus.INVESTIGATING)
    client = signed_in(make_user(Role.INVESTIGATOR))
    for reason in ("\u202e\u200b", "\u200b" * 40):
        response = post_case_form(client, case.id, "recuse", "recuse", reason=reason)
        assert response.status_code == 400, reason
    response = post_case_form(client, case.id, "notes", "note", text="\ufeff\u200d \u200c")
    assert response.status_code == 400
    assert "Write the note first." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Recusal).where(Recusal.case_id == case.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseMessage).where(CaseMessage.case_id == case.id)) == 0
