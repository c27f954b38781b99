"""A case's file downloaded by a member of staff who reads it slowly holds no database connection: the access
check and the audit entry are committed, and the session ended, before the file is sent (as the open data
files, tests/publishing/test_publishing_download_faults.py)."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.cases.attachments import IncomingFile, prepare_upload, save_attachment
from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from tests.conftest import PASSWORD, csrf_token
from tests.factories import png_bytes
from tests.served import browser, serve


def test_a_slow_reader_of_a_case_file_holds_no_database_connection(app, make_case, make_user):
    case = make_case(CaseStatus.INVESTIGATING)
    item = save_attachment(case, prepare_upload(IncomingFile("photo.png", png_bytes((900, 900)))))
    db.session.commit()
    staff = browser(app)
    user = make_user(Role.TRIAGE)
    assert staff.post("/login", data={"csrf_token": csrf_token(staff), "email": user.email,
                                      "password": PASSWORD}).status_code == 302
    url, size = f"/staff/cases/{case.id}/attachments/{item.id}", item.size
    db.session.close()
    served = serve(app, url, staff)
    assert served.response.status_code == 200
    served.read_start(1)
    assert db.engine.pool.checkedout() == 0
    assert len(served.read()) == size
