"""A file whose name is not UTF-8 (a phone that names files in an 8-bit encoding such as Latin-1) makes the form
unreadable as a whole: the citizen is told that the file's name is the trouble and what to do, in the page's
language, instead of being told that the form expired (and sending it again and again with the same file)."""
from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from civicwatch.cases.models import Case
from civicwatch.extensions import db
from tests.conftest import csrf_token
from tests.factories import jpeg_with_gps
from tests.intake.conftest import case_page_token, open_case, valid_report

UTF8_NAME = "photo d'été.jpg"
LATIN1_NAME = UTF8_NAME.encode("latin-1")

SAID = {
    "en": "The name of a file you chose could not be read",
    "fr": "Le nom d'un fichier que vous avez choisi n'a pas pu être lu",
    "kri": "Wi nor ebul rid di nem fo wan fayl we yu pik",
}


def post_with_latin1_file_name(client, path: str, fields: dict):
    values = MultiDict(fields)
    values.add("attachments", FileStorage(io.BytesIO(jpeg_with_gps()), filename=UTF8_NAME))
    boundary, body = encode_multipart(values)
    body = body.replace(UTF8_NAME.encode(), LATIN1_NAME)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def page_text(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


@pytest.mark.parametrize("language", ["en", "fr", "kri"])
def test_a_report_with_a_file_name_that_is_not_utf8_says_so(client, app, language):
    client.get(f"/language/{language}")
    fields = {**valid_report(), "csrf_token": csrf_token(client, "/report")}
    response = post_with_latin1_file_name(client, "/report", fields)
    html = page_text(response)
    assert response.status_code == 400
    assert SAID[language] in html
    assert "expired" not in html and "expiré" not in html
    with app.app_context():
        assert db.session.query(Case).count() == 0


def test_the_same_on_the_follow_up_page(client, reported):
    open_case(client, reported.code)
    response = post_with_latin1_file_name(client, "/track/case/reply",
                                          {"csrf_token": case_page_token(client), "text": "Here is the photo."})
    assert response.status_code == 400
    assert SAID["en"] in page_text(response)


def test_a_form_that_is_not_multipart_at_all_still_reads_as_expired(client):
    """Only a file name that cannot be read gets the new message: a broken form is what it was."""
    response = client.post("/report", data=b"--nothing here", content_type="multipart/form-data")
    assert response.status_code == 400
    assert SAID["en"] not in page_text(response)
