"""What every page's HTML must get right, read from every page a visitor, a complainant and an admin can open.

- Ids are unique. A label, an error summary's link or aria-describedby that points at an id used twice leads a
  screen reader (and the browser) to the first one only, which on a page with several forms (routing, users, a
  case) is often another form's field.
- No text box has a maxlength. A browser silently cuts what is pasted into one at the limit: a citizen's long
  account or a staff member's message would lose its end without a word. The server checks the length and says
  by how much it is over, with the whole text kept in the box.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Attachment, CaseStatus
from civicwatch.extensions import db
from tests.factories import png_bytes, staff_client
from tests.security.conftest import build_path, place_case, send_report, track

ID_ATTRIBUTE = re.compile(r"""<[a-zA-Z][^>]*?\sid=["']([^"']+)["']""")
CUT_TEXT_BOX = re.compile(r"<textarea[^>]*\smaxlength=", re.I)


def repeated_ids(html: str) -> list[str]:
    return sorted(name for name, count in Counter(ID_ATTRIBUTE.findall(html)).items() if count > 1)


def test_the_check_finds_an_id_used_twice():
    page = '<form><input id="csrf_token" name="a"></form><form><input id="csrf_token" name="b"></form>'
    assert repeated_ids(page) == ["csrf_token"]
    assert repeated_ids('<input id="one"><input id="two"><a href="#one">x</a>') == []


@pytest.fixture
def visitors(app, make_user):
    reported = send_report(app, "unique ids", files=[(png_bytes(), "a.png")])
    place_case(reported.case_id, "police_oversight", CaseStatus.INVESTIGATING)
    complainant = app.test_client()
    assert track(complainant, reported.code).status_code == 303
    attachment = db.session.query(Attachment).one()
    values = {"case_id": reported.case_id, "attachment_id": attachment.id, "user_id": 1, "body_id": 1}
    clients = {"anonymous": app.test_client(), "admin": staff_client(app, make_user(Role.ADMIN)),
               "complainant": complainant}
    return clients, values


@pytest.mark.parametrize("who", ["anonymous", "admin", "complainant"])
def test_no_page_uses_an_id_twice_or_cuts_a_text(app, visitors, who):
    clients, values = visitors
    client = clients[who]
    pages, repeated, cut = 0, {}, []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = build_path(rule, values)
        response = client.get(path)
        response.close()
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        pages += 1
        html = response.get_data(as_text=True)
        if ids := repeated_ids(html):
            repeated[path] = ids
        if CUT_TEXT_BOX.search(html):
            cut.append(path)
    assert repeated == {}
    assert cut == []
    assert pages >= 5
