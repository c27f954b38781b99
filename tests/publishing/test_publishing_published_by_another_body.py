"""An appeal may move a case to another oversight body, which then holds it and publishes its own answer. The first
body's published answer stays that body's: the new body's investigators may not withdraw it (an administrator
still may); publishing their own answer supersedes it, as any newer version does."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.cases.feedback import appeal_answer
from civicwatch.cases.models import Case, CaseStatus, Recusal
from civicwatch.database import utcnow
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.publishing.operations import start_publication
from tests.conftest import body_by_code, csrf_token_from

NEW_BODY = "human_rights_commission"


def _appealed_elsewhere(new_case, publish) -> tuple[int, int]:
    case = new_case(CaseStatus.CLOSED, theme="corruption")
    publish(case)
    appeal_answer(case, "The police oversight body is too close to the police.", body=body_by_code(NEW_BODY))
    db.session.commit()
    publication_id = db.session.scalar(select(Publication.id).where(Publication.case_id == case.id))
    return case.id, publication_id


def _withdraw(browser: Any, publication_id: int) -> Any:
    page = browser.get(f"/staff/publications/{publication_id}").get_data(as_text=True)
    row_version = db.session.get(Publication, publication_id).row_version
    db.session.close()
    return browser.post(f"/staff/publications/{publication_id}/withdraw", data={
        "csrf_token": csrf_token_from(page), "row_version": str(row_version),
        "reason": "Published before the family was told."}), page


def test_the_new_body_cannot_withdraw_the_first_bodys_answer(new_case, publish, make_user, browser_for):
    _, publication_id = _appealed_elsewhere(new_case, publish)
    newcomer = browser_for(make_user(Role.INVESTIGATOR, body=NEW_BODY))
    response, page = _withdraw(newcomer, publication_id)
    assert response.status_code == 403, response.get_data(as_text=True)[:500]
    assert f'action="/staff/publications/{publication_id}/withdraw"' not in page  # not offered either
    publication = db.session.get(Publication, publication_id)
    assert publication.status is PublicationStatus.PUBLISHED
    assert publication.body_id == body_by_code("police_oversight").id


def test_an_administrator_may_still_withdraw_it(new_case, publish, make_user, browser_for):
    _, publication_id = _appealed_elsewhere(new_case, publish)
    response, _ = _withdraw(browser_for(make_user(Role.ADMIN)), publication_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.get(Publication, publication_id).status is PublicationStatus.WITHDRAWN


def test_the_new_body_publishes_its_own_answer_which_supersedes_the_first(new_case, publish):
    case_id, first_id = _appealed_elsewhere(new_case, publish)
    case = db.session.get(Case, case_id)
    case.status, case.responded_at = CaseStatus.RESPONDED, utcnow()
    db.session.commit()
    publish(case, body=NEW_BODY)
    versions = db.session.scalars(select(Publication).where(Publication.case_id == case_id)
                                  .order_by(Publication.version)).all()
    assert [p.status for p in versions] == [PublicationStatus.SUPERSEDED, PublicationStatus.PUBLISHED]
    assert versions[1].body_id == body_by_code(NEW_BODY).id


def test_the_first_body_still_withdraws_its_own_answer_after_the_case_moved(new_case, publish, make_user, browser_for):
    _, publication_id = _appealed_elsewhere(new_case, publish)
    first = browser_for(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response, page = _withdraw(first, publication_id)
    assert f'action="/staff/publications/{publication_id}/withdraw"' in page
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.get(Publication, publication_id).status is PublicationStatus.WITHDRAWN


def test_a_third_body_never_reaches_the_answer(new_case, publish, make_user, browser_for):
    _, publication_id = _appealed_elsewhere(new_case, publish)
    third = browser_for(make_user(Role.INVESTIGATOR, body="anti_corruption_commission"))
    assert third.get(f"/staff/publications/{publication_id}").status_code == 404


def test_the_first_body_reaches_its_own_versions_and_nothing_else_of_the_moved_case(new_case, publish, make_user,
                                                                                    browser_for):
    """What the first body's investigators keep is the versions their body published: not the case, its versions
    page, the new body's draft, nor anything once they recused or moved to another body."""
    case_id, publication_id = _appealed_elsewhere(new_case, publish)
    case = db.session.get(Case, case_id)
    case.status, case.responded_at = CaseStatus.RESPONDED, utcnow()
    draft = start_publication(case, make_user(Role.INVESTIGATOR, body=NEW_BODY))
    db.session.commit()
    draft_id = draft.id
    first_user = make_user(Role.INVESTIGATOR, body="police_oversight")
    first = browser_for(first_user)
    assert first.get(f"/staff/publications/{publication_id}").status_code == 200
    for path in (f"/staff/publications/{draft_id}", f"/staff/publications/{draft_id}/discard",
                 f"/staff/publications/case/{case_id}", f"/staff/cases/{case_id}"):
        assert first.get(path).status_code == 404, path
    recused_user = make_user(Role.INVESTIGATOR, body="police_oversight")
    db.session.add(Recusal(case_id=case_id, user_id=recused_user.id, reason="My cousin is the officer."))
    db.session.commit()
    assert browser_for(recused_user).get(f"/staff/publications/{publication_id}").status_code == 404
    first_user = db.session.merge(first_user)
    first_user.body_id = body_by_code("anti_corruption_commission").id
    db.session.commit()
    assert browser_for(first_user).get(f"/staff/publications/{publication_id}").status_code == 404


REPLACED = "After an appeal, the case went to another oversight body, whose answer replaced the earlier one below"
CORRECTED = "This answer was corrected"


def _public_page(client, case_id: int, language: str = "en") -> str:
    client.get(f"/language/{language}?next=/")
    page = client.get(f"/published/{db.session.get(Case, case_id).reference}")
    assert page.status_code == 200
    return " ".join(page.get_data(as_text=True).split())


def test_an_answer_replaced_by_another_bodys_is_not_called_corrected(client, new_case, publish):
    case_id, _ = _appealed_elsewhere(new_case, publish)
    case = db.session.get(Case, case_id)
    case.status, case.responded_at = CaseStatus.RESPONDED, utcnow()
    db.session.commit()
    publish(case, body=NEW_BODY)
    first_body = body_by_code("police_oversight")
    page = _public_page(client, case_id)
    assert CORRECTED not in page
    assert REPLACED in page
    assert f"Version 1, the answer of {first_body.name}, published" in page
    french = _public_page(client, case_id, "fr")
    assert "Après un recours, le dossier est passé à un autre organe de contrôle" in french
    assert "a été corrigée" not in french
    krio = _public_page(client, case_id, "kri")
    assert "Afta di apil, di kes go na anoda oversight bodi" in krio
    assert "korekt" not in krio


def test_an_answer_its_own_body_published_again_is_still_called_corrected(client, new_case, publish):
    case = new_case(CaseStatus.CLOSED, theme="corruption")
    publish(case)
    publish(case, body="police_oversight")
    page = _public_page(client, case.id)
    assert CORRECTED in page and REPLACED not in page
