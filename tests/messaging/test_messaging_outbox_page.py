"""The outbox page's figures agree with what it lists: the waiting figure is the number of waiting texts listed,
and the failed figure is the length of the failed list."""
from __future__ import annotations

import re

from civicwatch.accounts.models import Role
from civicwatch.extensions import db
from civicwatch.messaging.operations import queue_sms
from tests.messaging.test_messaging_outbox import failed_message


def _figure(html: str, words: str) -> int:
    match = re.search(rf'<span class="stat">(\d+)</span>\s*(?:<a [^>]*>)?{words}', html)
    assert match, words
    return int(match.group(1))


def test_the_outbox_says_where_each_counted_message_is(app, client, make_user, login_as, twilio_http):
    failed = failed_message(app, twilio_http)
    for number in range(3):
        queue_sms(f"+2327612456{number}", "Your case moved.", "status")
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    html = client.get("/staff/outbox/").get_data(as_text=True)
    assert _figure(html, "waiting to be sent") == 3
    assert html.count('<li class="case-row">') == 3
    listed = re.findall(r"<td>#(\d+)</td>", html)
    assert _figure(html, "failed, listed below") == len(listed) == 1 and listed == [str(failed.id)]
    assert not re.search(r'<span class="stat">\d+</span>\s*Pending', html)
