"""Every download of the published answers reads the whole table and writes it to the temporary folder: many of
them at once (a script in a loop, a crowd after a news story) would exhaust the disk and the database. The file
built for one (path, filters, language) is shared by the requests of the next minute (as long as Cache-Control
already lets a proxy keep it), never after an answer is published or withdrawn; and each client may only download
so many per minute (429 with Retry-After and plain words)."""
from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from sqlalchemy import event, select

from civicwatch.cases.models import CaseStatus
from civicwatch.extensions import db
from civicwatch.publishing.models import Publication
from tests.conftest import csrf_token_from
from tests.served import browser
from tests.threads import run_together

ANSWERS_QUERY = "FROM publications JOIN cases"
CROWD = 8
PATHS = ("/published/answers.csv", "/published/answers.json")


@pytest.fixture
def answered(new_case, publish) -> dict[str, Any]:
    case = new_case(CaseStatus.CLOSED, theme="corruption")
    author, approver = publish(case)
    reference = case.reference
    db.session.close()
    return {"reference": reference, "approver": approver}


@pytest.mark.parametrize("in_memory_bytes", [2 * 1024 * 1024, 100], ids=["small", "large"])
@pytest.mark.parametrize("path", PATHS)
def test_many_downloads_at_once_build_the_file_once(app, clock, answered, path, in_memory_bytes):
    app.config["DOWNLOAD_IN_MEMORY_BYTES"] = in_memory_bytes  # 100: the file is kept in the temporary folder
    builds: list[str] = []
    arrived = threading.Condition()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if ANSWERS_QUERY not in statement:
            return
        with arrived:
            builds.append(statement)
            arrived.notify_all()
            # The first build waits for the crowd (up to 2 seconds): every request is under way meanwhile.
            if len(builds) == 1:
                arrived.wait_for(lambda: len(builds) >= CROWD, timeout=2)

    bodies: list[tuple[int, bytes]] = []

    def download() -> None:
        response = browser(app).get(path)
        bodies.append((response.status_code, response.get_data()))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        run_together(download, [()] * CROWD, timeout=60)
        statuses, crowd_builds = [status for status, _ in bodies], len(builds)
        browser(app).get(path)  # and the next request within the minute is served the same file
        again = len(builds)
        clock.advance(minutes=1)  # no longer than a proxy may keep it
        later = browser(app).get(path).get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert statuses == [200] * CROWD
    assert len({body for _, body in bodies}) == 1 and answered["reference"].encode() in bodies[0][1]
    assert crowd_builds == 1, f"{crowd_builds} builds for {CROWD} downloads at once"
    assert again == 1
    assert len(builds) == 2 and answered["reference"].encode() in later


def withdraw(client: Any, reference: str) -> None:
    publication_id = db.session.scalar(select(Publication.id).where(Publication.summary.is_not(None)))
    db.session.close()
    page = client.get(f"/staff/publications/{publication_id}").get_data(as_text=True)
    withdrawn = client.post(f"/staff/publications/{publication_id}/withdraw", data={
        "csrf_token": csrf_token_from(page),
        "row_version": re.search(r'name="row_version" type="hidden" value="(\d+)"', page).group(1),
        "reason": "Published before the family was told."})
    assert withdrawn.status_code == 302, withdrawn.get_data(as_text=True)[:1000]


@pytest.mark.parametrize("path", PATHS)
def test_a_withdrawn_answer_is_gone_from_the_next_download(app, answered, path):
    first = browser(app).get(path).get_data(as_text=True)
    assert "The officers were disciplined." in first
    withdraw(answered["approver"], answered["reference"])

    after = browser(app).get(path).get_data(as_text=True)  # the same minute, by the clock
    assert "Published before the family was told." in after and answered["reference"] in after
    assert "The officers were disciplined." not in after  # the withdrawn words
