"""Hundreds of random texts through the signed webhook and the worker: never a 500, always valid TwiML,
every text answered without an error, at most one short reply each.

Every example runs the real webhook and worker on one database (about 40 ms each), so the random examples are
capped at 400 (the 2000 of before took over a minute); the extremes of each strategy are pinned as explicit
examples, which run on every run whatever the random draw."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from civicwatch.sms.replies import is_gsm7
from tests.sms.conftest import acknowledged, answer_waiting_texts, last_outbox_id, new_sid, replies_since, sign

PHONES = ["+23276123456", "+23277654321", "+23230111222", "+12025550143"]
KEYWORDS = ["HELP", "hlep", "STATUS", "staus", "NEW", "STOP", "stopp", "START", "YES", "1", "5", "6",
            "STATUS CW-2026-000001", "status 1234 5678 9012 3456"]

bodies = st.one_of(
    st.text(max_size=200),
    st.text(max_size=1600),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1590, max_size=1600),
    st.text(alphabet=st.sampled_from("😀😡🙏🏽👮‍♂️🇸🇱❤️‍🔥"), max_size=400),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=100),
    st.just(""),
    st.sampled_from(KEYWORDS),
    st.lists(st.sampled_from(KEYWORDS + ["police", "beat", "me", "at", "Kenema", "checkpoint", "\x00"]),
             max_size=30).map(" ".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow,
                                                                    HealthCheck.data_too_large])
@given(body=bodies, phone=st.sampled_from(PHONES), repeat=st.booleans())
@example(body="", phone=PHONES[0], repeat=True)
@example(body="\x00", phone=PHONES[1], repeat=False)
@example(body="\U0001f46e\u200d\u2642\ufe0f" * 80, phone=PHONES[2], repeat=False)  # 80 ZWJ emoji
@example(body="\U00010348" * 1600, phone=PHONES[3], repeat=False)  # 1600 four-byte characters
@example(body="\u2028\u200b\t \x1b\u00a0", phone=PHONES[0], repeat=False)
@example(body="STOP", phone=PHONES[1], repeat=True)
@example(body="START", phone=PHONES[1], repeat=False)
@example(body="staus", phone=PHONES[2], repeat=True)
@example(body="status 1234 5678 9012 3456", phone=PHONES[3], repeat=True)
@example(body="police beat me at Kenema checkpoint \x00 HELP", phone=PHONES[0], repeat=True)
def test_random_texts_are_always_acknowledged_and_answered_in_short(client, body, phone, repeat):
    sid = new_sid()
    params = {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}
    headers = {"X-Twilio-Signature": sign("/sms/inbound", params)}
    before = last_outbox_id()
    acknowledged(client.post("/sms/inbound", data=params, headers=headers))
    answer_waiting_texts()
    replies = replies_since(before, phone)
    assert len(replies) <= 1
    for reply in replies:
        assert is_gsm7(reply.text) and len(reply.text) <= 160
    if repeat:
        acknowledged(client.post("/sms/inbound", data=params, headers=headers))
        answer_waiting_texts()
        assert replies_since(before, phone) == replies
