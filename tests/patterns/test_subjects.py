"""The subject registers: CSV import (command line and staff page) with an error per bad line, proposals of the
subjects a complaint names when it is routed, staff confirming and rejecting them, each register's privacy."""
from __future__ import annotations

import io
from html import unescape

import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role
from civicwatch.audit.models import AuditEntry
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.patterns.matching import AliasIndex, alias_words
from civicwatch.patterns.models import Allegation, LinkStatus, Subject, SubjectLink
from civicwatch.patterns.operations import first_allegation, import_subjects, propose_subject_links
from civicwatch.patterns.register import parse_register
from civicwatch.taxonomy.models import Body, District
from tests.cases.conftest import post_case_form
from tests.conftest import csrf_token

REGISTER = """kind,name,service,district,aliases
post,Bo Junction checkpoint,police,bo,Bo Junction post|junction checkpoint
unit,Operational Support Division Kenema,police,kenema,OSD Kenema
officer,Sergeant Kamara,police,bo,Sgt Kamara
"""
SERVICES, DISTRICTS = {"police", "military"}, {"bo", "kenema"}


def body(code: str = "police_oversight") -> Body:
    return db.session.query(Body).filter_by(code=code).one()


def load_register(code: str = "police_oversight") -> None:
    import_subjects(body(code), None, parse_register(REGISTER, SERVICES, DISTRICTS).rows)
    db.session.commit()


def links(case_id: int) -> list[SubjectLink]:
    db.session.expire_all()
    return list(db.session.scalars(select(SubjectLink).where(SubjectLink.case_id == case_id).order_by(SubjectLink.id)))


def test_a_register_file_is_read_with_one_error_per_bad_line():
    text = REGISTER + "chief,Someone,police,bo,\npost,,police,bo,\npost,Tongo post,navy,bo,\npost,Gbo,police,moon,\n" \
                      "post,\"a,b\",police,bo,x,extra\n"
    parsed = parse_register(text, SERVICES, DISTRICTS)
    assert [r.name for r in parsed.rows] == ["Bo Junction checkpoint", "Operational Support Division Kenema",
                                             "Sergeant Kamara"]
    assert parsed.rows[0].aliases == ("Bo Junction post", "junction checkpoint")
    assert parsed.errors == [
        "line 5: kind must be one of officer, post, unit, not 'chief'",
        "line 6: the name is missing or longer than 200 characters",
        "line 7: unknown service 'navy'",
        "line 8: unknown district 'moon'",
        "line 9: more values than columns (quote a value that holds a comma)",
    ]
    assert parse_register("name,aliases\nx,y\n", SERVICES, DISTRICTS).errors[0].startswith(
        "line 1: the header must name the columns")


def test_alias_matching_ignores_case_punctuation_and_one_letter_off():
    index = AliasIndex([(1, "Bo Junction post", alias_words("Bo Junction post")), (2, "OSD Kenema", "osd kenema")])
    found = index.mentions("They beat him at the bo-junktion POST, then osd kenema came. Bo is far.")
    assert [(m.subject_id, m.alias) for m in found] == [(1, "Bo Junction post"), (2, "OSD Kenema")]
    assert index.mentions("The junction at Bo") == []


def test_the_import_command_adds_updates_and_names_bad_lines(app, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "register.csv"
    path.write_text(REGISTER, encoding="utf-8")
    result = runner.invoke(args=["civicwatch", "subjects", "import", str(path), "--body", "police_oversight"])
    assert result.exit_code == 0, result.output
    assert "Independent Police Oversight Authority: 3 subjects added, 0 subjects updated, 7 aliases added." in result.output
    path.write_text(REGISTER.replace("Sgt Kamara", "Sgt Kamara|Kamara of Bo"), encoding="utf-8")
    result = runner.invoke(args=["civicwatch", "subjects", "import", str(path), "--body", "police_oversight"])
    assert "0 subjects added, 3 subjects updated, 1 alias added" in result.output
    path.write_text(REGISTER + "post,Tongo post,navy,bo,\n", encoding="utf-8")
    result = runner.invoke(args=["civicwatch", "subjects", "import", str(path), "--body", "police_oversight"])
    assert result.exit_code == 1
    assert "line 5: unknown service 'navy'" in result.output and "nothing was imported" in result.output
    result = runner.invoke(args=["civicwatch", "subjects", "import", str(path), "--body", "nobody"])
    assert result.exit_code == 1 and "no body with the code 'nobody'" in result.output
    assert db.session.scalar(select(db.func.count(Subject.id))) == 3
    assert db.session.scalar(select(AuditEntry.after).where(AuditEntry.action == "subject.import")
                             .order_by(AuditEntry.seq.desc()).limit(1))["aliases"] == 1


def upload(client, body_code: str, content: bytes):
    return client.post("/staff/patterns/subjects/import", data={
        "csrf_token": csrf_token(client, "/staff/patterns/subjects"), "body": body_code,
        "file": (io.BytesIO(content), "register.csv")}, content_type="multipart/form-data")


def test_staff_upload_a_register_for_their_own_body_only(app, make_user, signed_in):
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    response = upload(investigator, "police_oversight", b"kind,name\npost,Tongo post\nchief,X\n")
    assert response.status_code == 400
    assert "line 3: kind must be one of" in response.get_data(as_text=True)
    assert upload(investigator, "human_rights_commission", REGISTER.encode()).status_code == 400  # not a choice
    assert upload(investigator, "police_oversight", b"\xff\xfe bad").status_code == 400
    assert db.session.scalar(select(db.func.count(Subject.id))) == 0
    response = upload(investigator, "police_oversight", REGISTER.encode())
    assert response.status_code == 302
    page = investigator.get("/staff/patterns/subjects").get_data(as_text=True)
    assert "Sergeant Kamara" in page and "OSD Kenema" in page
    other = signed_in(make_user(Role.INVESTIGATOR, body="human_rights_commission"))
    assert "Sergeant Kamara" not in other.get("/staff/patterns/subjects").get_data(as_text=True)
    assert upload(signed_in(make_user(Role.TRIAGE)), "police_oversight", REGISTER.encode()).status_code == 403


def test_a_register_upload_answers_in_the_reader_s_language(app, make_user, signed_in):
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    investigator.get("/language/fr")
    bad = upload(investigator, "police_oversight", b"kind,name,service\npost,Tongo post,\nchief,X,\npost,Gbo,navy\n")
    errors = unescape(bad.get_data(as_text=True))
    assert "ligne 3 : le type doit être parmi officer, post, unit, pas 'chief'" in errors
    assert "ligne 4 : service inconnu 'navy'" in errors and "line 3" not in errors
    assert "n'est pas du texte UTF-8" in unescape(upload(investigator, "police_oversight", b"\xff\xfe").get_data(as_text=True))
    upload(investigator, "police_oversight", REGISTER.encode())
    page = unescape(investigator.get("/staff/patterns/subjects").get_data(as_text=True))
    assert ("Autorité indépendante de contrôle de la police : 3 sujets ajoutés, 0 sujet mis à jour, "
            "7 alias ajoutés.") in page


def test_routing_proposes_the_subjects_the_complaint_names_and_staff_decide(make_case, make_user, signed_in):
    load_register()
    bo = db.session.query(District).filter_by(code="bo").one()
    case = make_case(CaseStatus.INVESTIGATING, district=bo,
                     text="Officers at the Bo Junction post took money from every bus. Sgt Kamara kept it.")
    first_allegation(case)
    propose_subject_links(case)
    propose_subject_links(case)  # proposed once
    db.session.commit()
    proposed = links(case.id)
    assert [(p.subject.name, p.status, p.score) for p in proposed] == [
        ("Bo Junction checkpoint", LinkStatus.PROPOSED, 1.5), ("Sergeant Kamara", LinkStatus.PROPOSED, 1.5)]
    client = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    page = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "found as “Bo Junction post”" in page
    assert post_case_form(client, case.id, f"subjects/{proposed[1].id}/confirm", "decide").status_code == 302
    assert post_case_form(client, case.id, f"subjects/{proposed[0].id}/reject", "decide").status_code == 302
    assert [p.status for p in links(case.id)] == [LinkStatus.REJECTED, LinkStatus.CONFIRMED]
    allegation = db.session.scalar(select(Allegation).where(Allegation.case_id == case.id))
    assert allegation.subject.name == "Sergeant Kamara"  # the one allegation's perpetrator
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case.id)
                                      .where(AuditEntry.action.like("subject_link.%")).order_by(AuditEntry.seq)))
    assert actions == ["subject_link.propose", "subject_link.propose", "subject_link.decide", "subject_link.decide"]
    assert post_case_form(client, case.id, f"subjects/{proposed[0].id}/maybe", "decide").status_code == 404


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.TRIAGE])
def test_another_body_s_register_is_never_offered_or_linked(make_case, make_user, signed_in, role):
    load_register("human_rights_commission")
    case = make_case(CaseStatus.INVESTIGATING, text="Sgt Kamara beat me.")
    propose_subject_links(case)
    db.session.commit()
    assert links(case.id) == []  # the case is police_oversight's: another register is not read
    theirs = db.session.scalar(select(Subject).where(Subject.name == "Sergeant Kamara"))
    client = signed_in(make_user(role, body="police_oversight" if role is Role.INVESTIGATOR else None))
    response = post_case_form(client, case.id, "subjects", "link", subject=str(theirs.id))
    assert response.status_code == 400
    assert "Sergeant Kamara" not in client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert links(case.id) == []


def test_a_routed_case_is_linked_only_within_its_own_body_s_register(make_case, make_user, signed_in):
    """Both registers name Sgt Kamara: the case of the police oversight authority is proposed only its own."""
    load_register("police_oversight")
    load_register("human_rights_commission")
    routed = make_case(CaseStatus.INVESTIGATING, text="Sgt Kamara beat me at the Bo Junction post.")
    propose_subject_links(routed)
    db.session.commit()
    assert {(link.subject.name, link.subject.body.code) for link in links(routed.id)} == {
        ("Sergeant Kamara", "police_oversight"), ("Bo Junction checkpoint", "police_oversight")}
    # In triage every register is read; once the case is routed, another body's subject cannot be confirmed.
    triaged = make_case(CaseStatus.RECEIVED, body=None, text="Sgt Kamara beat me.")
    propose_subject_links(triaged)
    triaged.body = body("police_oversight")
    db.session.commit()
    theirs = next(link for link in links(triaged.id) if link.subject.body.code == "human_rights_commission")
    client = signed_in(make_user(Role.ADMIN))
    assert post_case_form(client, triaged.id, f"subjects/{theirs.id}/confirm", "decide").status_code == 400
    assert links(triaged.id)[0].status is LinkStatus.PROPOSED and theirs.status is LinkStatus.PROPOSED
