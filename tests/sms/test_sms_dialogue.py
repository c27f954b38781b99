"""The dialogue state table, called directly: no app, no database."""
from __future__ import annotations

import datetime as dt

import pytest

from civicwatch.sms.dialogue import (
    FOLLOW_UP_WINDOW,
    PENDING_TTL,
    TRANSITIONS,
    Action,
    Event,
    Snapshot,
    classify,
    clean_text,
    current_state,
    decide,
    edit_distance,
    has_enough_detail,
    match_keyword,
)
from civicwatch.sms.models import ConversationState

IDLE = ConversationState.IDLE
AWAITING = ConversationState.AWAITING_DETAILS
FOLLOWING = ConversationState.FOLLOWING_UP
ASKED = ConversationState.ASKED_DANGER
NOW = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)
REPORT = "Police officers at the Kenema checkpoint beat my brother with sticks yesterday."


def test_every_state_and_event_has_a_transition():
    assert set(TRANSITIONS) == {(state, event) for state in ConversationState for event in Event}


@pytest.mark.parametrize("word, event", [
    ("HELP", Event.HELP), ("help", Event.HELP), ("Help!", Event.HELP), ("HLEP", Event.HELP),
    ("heeelp", Event.HELP), ("info", Event.HELP),  # not "helo": hello, a greeting (test_sms_keyword_slips)
    ("STATUS", Event.STATUS), ("STAUS", Event.STATUS), ("statsu", Event.STATUS), ("Status?", Event.STATUS),
    ("stat", Event.STATUS),
    ("NEW", Event.NEW), ("new.", Event.NEW),
    ("STOP", Event.STOP), ("stopp", Event.STOP), ("Stop.", Event.STOP), ("STPO", Event.STOP),
    ("unsubscribe", Event.STOP), ("quit", Event.STOP), ("cancel", Event.STOP), ("stopall", Event.STOP),
    ("START", Event.START), ("unstop", Event.START),
])
def test_keywords_are_recognised_despite_case_and_slips(word, event):
    assert match_keyword(word) is event


@pytest.mark.parametrize("word", ["police", "hi", "ok", "yes", "no", "12", "NEWS", "beaten", "", "ST", "!!!"])
def test_ordinary_words_are_not_keywords(word):
    assert match_keyword(word) is None


def test_yes_means_start_only_for_a_number_that_opted_out():
    assert classify("yes", opted_out=False)[0] is Event.SHORT_TEXT
    assert classify("YES", opted_out=True)[0] is Event.START


@pytest.mark.parametrize("text, expected", [
    ("", (Event.EMPTY, None)),
    ("4", (Event.RATING, "4")),
    (" 5 ", (Event.RATING, "5")),
    ("3/5", (Event.RATING, "3")),
    ("6", (Event.SHORT_TEXT, None)),
    ("0", (Event.SHORT_TEXT, None)),
    ("STATUS", (Event.STATUS, None)),
    ("status CW-2026-000123", (Event.STATUS, "CW-2026-000123")),
    ("STAUS 1234 5678 9012 3456", (Event.STATUS, "1234 5678 9012 3456")),
    ("help me", (Event.SHORT_TEXT, None)),
    ("Stop them, soldiers are beating people at the market in Bo now", (Event.DETAILED_TEXT, None)),
    ("Status of the police post in Kenema is bad, they take money from every driver", (Event.DETAILED_TEXT, None)),
    ("police beat me", (Event.SHORT_TEXT, None)),
    (REPORT, (Event.DETAILED_TEXT, None)),
])
def test_classify(text, expected):
    assert classify(text) == expected


def test_detail_needs_words_and_substance():
    assert not has_enough_detail("a b c d e f g h")
    assert not has_enough_detail("😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡")
    assert has_enough_detail("They took my phone at the Bo checkpoint")


def test_clean_text_drops_control_characters_and_caps_length():
    assert clean_text("\x00po\x07lice\r\nbeat\x1b me  ") == "police\nbeat me"
    assert len(clean_text("x" * 10_000)) == 2000
    assert clean_text(None) == ""


def test_edit_distance_counts_swaps_as_one():
    assert edit_distance("HLEP", "HELP") == 1
    assert edit_distance("STAUS", "STATUS") == 1
    assert edit_distance("STOP", "START") == 3


@pytest.mark.parametrize("snapshot, expected", [
    (Snapshot(AWAITING, "hi", NOW - PENDING_TTL + dt.timedelta(seconds=1), NOW), AWAITING),
    (Snapshot(AWAITING, "hi", NOW - PENDING_TTL - dt.timedelta(seconds=1), NOW), IDLE),
    (Snapshot(FOLLOWING, None, None, NOW - FOLLOW_UP_WINDOW + dt.timedelta(seconds=1)), FOLLOWING),
    (Snapshot(FOLLOWING, None, None, NOW - FOLLOW_UP_WINDOW - dt.timedelta(seconds=1)), IDLE),
    (Snapshot(IDLE), IDLE),
])
def test_fragments_and_follow_up_windows_expire(snapshot, expected):
    assert current_state(snapshot, NOW) is expected


# (stored state, text) -> (event, action, next state)
CONVERSATION = [
    (Snapshot(IDLE), REPORT, Event.DETAILED_TEXT, Action.OPEN_CASE, ASKED),
    (Snapshot(IDLE), "police beat me", Event.SHORT_TEXT, Action.KEEP_FRAGMENT, AWAITING),
    (Snapshot(AWAITING, "police beat me", NOW, NOW), "at Bo market on Monday morning",
     Event.DETAILED_TEXT, Action.OPEN_CASE, ASKED),
    (Snapshot(AWAITING, "police", NOW, NOW), "in Bo", Event.SHORT_TEXT, Action.KEEP_FRAGMENT, AWAITING),
    (Snapshot(FOLLOWING, None, None, NOW), "ok", Event.SHORT_TEXT, Action.ADD_TO_CASE, FOLLOWING),
    (Snapshot(FOLLOWING, None, None, NOW), REPORT, Event.DETAILED_TEXT, Action.ADD_TO_CASE, FOLLOWING),
    (Snapshot(FOLLOWING, None, None, NOW - dt.timedelta(hours=1)), REPORT, Event.DETAILED_TEXT,
     Action.OPEN_CASE, ASKED),
    (Snapshot(FOLLOWING, None, None, NOW), "NEW", Event.NEW, Action.START_NEW, IDLE),
    (Snapshot(AWAITING, "police", NOW, NOW), "new", Event.NEW, Action.START_NEW, IDLE),
    (Snapshot(AWAITING, "police", NOW, NOW), "HELP", Event.HELP, Action.SEND_HELP, AWAITING),
    (Snapshot(FOLLOWING, None, None, NOW), "status", Event.STATUS, Action.REPORT_STATUS, FOLLOWING),
    (Snapshot(FOLLOWING, None, None, NOW), "STOP", Event.STOP, Action.OPT_OUT, IDLE),
    (Snapshot(IDLE, opted_out=True), "START", Event.START, Action.OPT_IN, IDLE),
    (Snapshot(IDLE), "5", Event.RATING, Action.RATE, IDLE),
    (Snapshot(AWAITING, "police", NOW, NOW), "", Event.EMPTY, Action.ASK_FOR_TEXT, AWAITING),
]


@pytest.mark.parametrize("snapshot, text, event, action, next_state", CONVERSATION)
def test_decide(snapshot, text, event, action, next_state):
    decision = decide(snapshot, text, NOW)
    assert (decision.event, decision.action, decision.next_state) == (event, action, next_state)


def test_a_kept_fragment_is_joined_with_the_details():
    decision = decide(Snapshot(AWAITING, "police beat me", NOW, NOW), "at Bo market on Monday", NOW)
    assert decision.text == "police beat me\nat Bo market on Monday"


def test_an_expired_fragment_is_not_joined():
    old = NOW - dt.timedelta(hours=2)
    decision = decide(Snapshot(AWAITING, "police beat me", old, old), REPORT, NOW)
    assert decision.text == REPORT and decision.state_before is IDLE


def test_an_opted_out_number_gets_only_the_opt_out_and_opt_in_confirmations():
    opted_out = Snapshot(IDLE, opted_out=True)
    assert decide(opted_out, "HELP", NOW).silent
    assert decide(opted_out, REPORT, NOW).silent
    assert not decide(opted_out, "STOP", NOW).silent
    assert not decide(opted_out, "START", NOW).silent
    assert not decide(Snapshot(IDLE), "HELP", NOW).silent


def test_rating_carries_the_score():
    assert decide(Snapshot(IDLE), "4", NOW).rating == 4
