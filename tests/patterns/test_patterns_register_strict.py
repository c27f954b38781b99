"""A register file is taken as it is written or not at all: a column the reader does not know or a column named
twice, a name or alias with a line break, tab, control or direction character, an alias the database cannot
hold once lower-cased, and the same subject on two lines are each named by line, and nothing is imported."""
from __future__ import annotations

import io
from html import unescape

import pytest
from sqlalchemy import func, select

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.patterns.models import Subject
from civicwatch.patterns.register import parse_register
from tests.conftest import csrf_token

SERVICES, DISTRICTS = {"police", "military"}, {"bo", "kenema"}

BAD_FILES = [  # (file, the one error expected)
    ("kind,name,distrct\npost,Tongo post,bo\n",
     "line 1: unknown column distrct (the columns are kind, name, service, district, aliases)"),
    ("kind,name,service,Service\npost,Tongo post,police,military\n", "line 1: the column service is named twice"),
    ("kind,name\npost,Tongo \u202epost\n",
     "line 2: the name holds a line break, tab, control or direction character, or repeated spaces"),
    ('kind,name\npost,"Tongo\npost"\n',
     "line 3: the name holds a line break, tab, control or direction character, or repeated spaces"),
    ("kind,name\npost,Tongo\tpost\n",
     "line 2: the name holds a line break, tab, control or direction character, or repeated spaces"),
    ("kind,name\npost,Tongo\x07post\n",
     "line 2: the name holds a line break, tab, control or direction character, or repeated spaces"),
    ("kind,name\npost,Tongo  post\n",
     "line 2: the name holds a line break, tab, control or direction character, or repeated spaces"),
    ("kind,name,aliases\npost,Tongo post,Tongo\u2066 checkpoint\n",
     "line 2: an alias holds a line break, tab, control or direction character, or repeated spaces"),
    ("kind,name\npost," + "\u0130" * 150 + "\n", "line 2: the name is missing or longer than 200 characters"),
    ("kind,name,aliases\npost,Tongo," + "\u0130" * 150 + "\n",
     "line 2: an alias is empty of words or longer than 200 characters"),
    ("kind,name,service\npost,Tongo post,police\nunit,Tongo post,police\nPost,Tongo post,military\n",
     "line 4: the same subject as line 2 (a subject is one line)"),
]


@pytest.mark.parametrize(("text", "error"), BAD_FILES, ids=range(len(BAD_FILES)))
def test_a_register_file_is_refused_with_the_line_and_what_is_wrong(app, text, error):
    parsed = parse_register(text, SERVICES, DISTRICTS)
    assert parsed.errors == [error]


def test_a_refused_register_upload_imports_nothing(app, make_user, signed_in):
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    for text, error in BAD_FILES:
        response = investigator.post("/staff/patterns/subjects/import", data={
            "csrf_token": csrf_token(investigator, "/staff/patterns/subjects"), "body": "police_oversight",
            "file": (io.BytesIO(text.encode()), "register.csv")}, content_type="multipart/form-data")
        assert response.status_code == 400, (error, response.status_code)
        assert error in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Subject.id))) == 0


def test_the_french_reader_is_told_in_french(app, make_user, signed_in):
    investigator = signed_in(make_user(Role.INVESTIGATOR, body="police_oversight"))
    investigator.get("/language/fr")
    response = investigator.post("/staff/patterns/subjects/import", data={
        "csrf_token": csrf_token(investigator, "/staff/patterns/subjects"), "body": "police_oversight",
        "file": (io.BytesIO(b"kind,name,distrct\npost,Tongo post,bo\n"), "register.csv")},
        content_type="multipart/form-data")
    assert "ligne 1 : colonne inconnue distrct" in unescape(response.get_data(as_text=True))
