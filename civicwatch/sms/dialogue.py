"""The SMS dialogue as data: what a text means, given where the conversation stands. Pure: no database.

`decide(snapshot, text, now)` reads the text (a keyword, a rating, or part of a report), works out the
conversation's current state (fragments and follow-up windows expire), and looks the pair up in
`TRANSITIONS`. The caller (sms/operations.py) carries out the action and writes the next state.
"""
from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass

from civicwatch.cases.references import normalise_receipt_code
from civicwatch.sms.models import ConversationState
from civicwatch.text import CONTROL_AND_UNASSIGNED, tidy_text

# A too-short first text is kept this long while the person adds details.
PENDING_TTL = dt.timedelta(hours=1)
# Texts this soon after the previous one are added to the same case (people split a story).
FOLLOW_UP_WINDOW = dt.timedelta(minutes=10)
# A YES or NO to "is someone hurt, held or threatened right now?" counts this long after the last text; other
# texts join the new case only within the follow-up window.
ANSWER_WINDOW = dt.timedelta(hours=1)
# A retaliation check-in texted waits this long for its answer (RETALIATION_OPEN_EVERY_DAYS is never shorter).
CHECK_IN_WINDOW = dt.timedelta(days=14)
# Enough to act on: a few words that say something. Shorter texts get a prompt for details.
MIN_DETAIL_WORDS = 5
MIN_DETAIL_CHARS = 25
# Twilio joins at most 10 segments (1,600 characters); anything longer is not from Twilio.
TEXT_MAX = 2000
PENDING_MAX = 5000


class Event(enum.Enum):
    HELP = "help"
    STATUS = "status"
    NEW = "new"
    STOP = "stop"
    START = "start"
    RATING = "rating"
    APPEAL = "appeal"
    LANGUAGE = "language"
    EMPTY = "empty"
    SHORT_TEXT = "short_text"
    DETAILED_TEXT = "detailed_text"
    YES = "yes"  # only while the danger question waits for its answer
    NO = "no"
    FEAR = "fear"  # the sender fears retaliation for reporting


class Action(enum.Enum):
    SEND_HELP = "send_help"
    REPORT_STATUS = "report_status"
    START_NEW = "start_new"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    RATE = "rate"
    APPEAL = "appeal"
    SET_LANGUAGE = "set_language"
    ASK_FOR_TEXT = "ask_for_text"
    KEEP_FRAGMENT = "keep_fragment"
    OPEN_CASE = "open_case"
    ADD_TO_CASE = "add_to_case"
    MARK_URGENT = "mark_urgent"
    NOTE_NOT_URGENT = "note_not_urgent"
    NOTE_FEAR = "note_fear"
    REPORT_RETALIATION = "report_retaliation"  # YES, or what happened, to a check-in
    NO_RETALIATION = "no_retaliation"
    ASK_CHECK_IN_AGAIN = "ask_check_in_again"


IDLE = ConversationState.IDLE
AWAITING = ConversationState.AWAITING_DETAILS
FOLLOWING = ConversationState.FOLLOWING_UP
ASKED = ConversationState.ASKED_DANGER
CHECK_IN = ConversationState.ASKED_CHECK_IN
# The next state None means "stay where you are".
STAY = None

# Keywords, ratings and empty texts behave the same in every state; only report text depends on it.
_ANY_STATE: dict[Event, tuple[Action, ConversationState | None]] = {
    Event.HELP: (Action.SEND_HELP, STAY),
    Event.STATUS: (Action.REPORT_STATUS, STAY),
    Event.NEW: (Action.START_NEW, IDLE),  # drops a kept fragment and ends the follow-up window
    Event.STOP: (Action.OPT_OUT, IDLE),
    Event.START: (Action.OPT_IN, STAY),
    Event.RATING: (Action.RATE, STAY),
    Event.APPEAL: (Action.APPEAL, STAY),
    Event.LANGUAGE: (Action.SET_LANGUAGE, STAY),
    Event.EMPTY: (Action.ASK_FOR_TEXT, STAY),
    # FEAR at any time marks the phone's latest open case, and leaves the conversation where it is.
    Event.FEAR: (Action.NOTE_FEAR, STAY),
}

TRANSITIONS: dict[tuple[ConversationState, Event], tuple[Action, ConversationState | None]] = {
    **{(state, event): outcome for state in ConversationState for event, outcome in _ANY_STATE.items()},
    (IDLE, Event.SHORT_TEXT): (Action.KEEP_FRAGMENT, AWAITING),
    # The reply to a new case asks whether someone is in danger right now.
    (IDLE, Event.DETAILED_TEXT): (Action.OPEN_CASE, ASKED),
    # While waiting, the new text is judged together with what was kept.
    (AWAITING, Event.SHORT_TEXT): (Action.KEEP_FRAGMENT, AWAITING),
    (AWAITING, Event.DETAILED_TEXT): (Action.OPEN_CASE, ASKED),
    (FOLLOWING, Event.SHORT_TEXT): (Action.ADD_TO_CASE, FOLLOWING),
    (FOLLOWING, Event.DETAILED_TEXT): (Action.ADD_TO_CASE, FOLLOWING),
    # Anything but YES or NO joins the case, and the question stays open (the reply asks it again).
    (ASKED, Event.SHORT_TEXT): (Action.ADD_TO_CASE, STAY),
    (ASKED, Event.DETAILED_TEXT): (Action.ADD_TO_CASE, STAY),
    (ASKED, Event.YES): (Action.MARK_URGENT, FOLLOWING),
    (ASKED, Event.NO): (Action.NOTE_NOT_URGENT, FOLLOWING),
    # A check-in: YES or what happened opens the linked case (texts within the window join it); a text too
    # short to say what happened asks again.
    (CHECK_IN, Event.YES): (Action.REPORT_RETALIATION, FOLLOWING),
    (CHECK_IN, Event.DETAILED_TEXT): (Action.REPORT_RETALIATION, FOLLOWING),
    (CHECK_IN, Event.NO): (Action.NO_RETALIATION, IDLE),
    (CHECK_IN, Event.SHORT_TEXT): (Action.ASK_CHECK_IN_AGAIN, STAY),
}
# YES and NO are answers only while the question is open (classify says so); elsewhere they are short texts.
TRANSITIONS.update({(state, answer): TRANSITIONS[(state, Event.SHORT_TEXT)]
                    for state in (IDLE, AWAITING, FOLLOWING) for answer in (Event.YES, Event.NO)})

# Actions that still answer a number that has opted out: the confirmations carriers require.
ANSWERED_WHEN_OPTED_OUT = frozenset({Action.OPT_OUT, Action.OPT_IN})


@dataclass(frozen=True)
class Snapshot:
    """What the dialogue needs to know about a phone number's conversation."""

    state: ConversationState = IDLE
    pending_text: str | None = None
    pending_since: dt.datetime | None = None
    last_message_at: dt.datetime | None = None
    opted_out: bool = False


@dataclass(frozen=True)
class Decision:
    event: Event
    action: Action
    state_before: ConversationState
    next_state: ConversationState
    # For OPEN_CASE and KEEP_FRAGMENT the whole report so far; for ADD_TO_CASE this text alone; for a keyword while
    # a first text waits for its details, the words kept so far.
    text: str
    status_query: str | None = None  # what followed STATUS
    rating: int | None = None
    appeal_reason: str | None = None  # what followed APPEAL
    language: str | None = None  # the language code LANG asked for (None: not one we know)
    silent: bool = False  # opted out: act, but send nothing back


def decide(snapshot: Snapshot, raw_text: str | None, now: dt.datetime) -> Decision:
    """What to do with one inbound text."""
    text = clean_text(raw_text)
    state = current_state(snapshot, now)
    event, argument = classify(text, opted_out=snapshot.opted_out, answering=state in (ASKED, CHECK_IN))
    if state is ASKED and event in (Event.SHORT_TEXT, Event.DETAILED_TEXT) and not _within_follow_up(snapshot, now):
        state = IDLE  # the answer may still come, but a text this late is a new report
    report = text
    if state is AWAITING and snapshot.pending_text:
        if event in (Event.SHORT_TEXT, Event.DETAILED_TEXT):
            report = combine(snapshot.pending_text, text)
            event = Event.DETAILED_TEXT if has_enough_detail(report) else Event.SHORT_TEXT
        else:
            # A keyword (HELP, STATUS, a receipt code, LANG...) is answered; the words kept so far stay as they were.
            report = snapshot.pending_text
    action, next_state = TRANSITIONS[(state, event)]
    return Decision(
        event=event,
        action=action,
        state_before=state,
        next_state=state if next_state is STAY else next_state,
        text=report,
        status_query=argument if event is Event.STATUS else None,
        rating=int(argument) if event is Event.RATING and argument else None,
        appeal_reason=argument if event is Event.APPEAL else None,
        language=argument if event is Event.LANGUAGE else None,
        silent=snapshot.opted_out and action not in ANSWERED_WHEN_OPTED_OUT,
    )


def current_state(snapshot: Snapshot, now: dt.datetime) -> ConversationState:
    """The stored state, unless its time ran out: a kept fragment after an hour, follow-ups after 10 min, the
    danger question an hour after the last text, a check-in two weeks after it was texted."""
    if snapshot.state is AWAITING:
        if snapshot.pending_since is None or now - snapshot.pending_since > PENDING_TTL:
            return IDLE
    if snapshot.state is FOLLOWING and not _within_follow_up(snapshot, now):
        return IDLE
    if snapshot.state is ASKED:
        if snapshot.last_message_at is None or now - snapshot.last_message_at > ANSWER_WINDOW:
            return IDLE
    if snapshot.state is CHECK_IN:
        if snapshot.last_message_at is None or now - snapshot.last_message_at > CHECK_IN_WINDOW:
            return IDLE
    return snapshot.state


def _within_follow_up(snapshot: Snapshot, now: dt.datetime) -> bool:
    return snapshot.last_message_at is not None and now - snapshot.last_message_at <= FOLLOW_UP_WINDOW


# ---------------------------------------------------------------- reading a text

_STATUS_WORD = re.compile(r"^\W*(\w+)\W*(.*)$", re.DOTALL)
_RATING = re.compile(r"^\s*([1-5])\s*(?:/\s*5)?\s*[.!*]*\s*$")
# "RATE 4", as the answer's SMS asks; "RATE" with no score from 1 to 5 is still a rating, to be asked again.
_RATE = re.compile(r"^\W*rate\b[\s:.,;!-]*(?:([1-5])\s*(?:/\s*5)?\s*[.!*]*\s*$|(\S{0,12})\s*$)",
                   re.IGNORECASE)
# "APPEAL <reason>", any case. Only the exact word: a report rarely starts with it, and a typing slip
# away from it ("apple", "appal") is more likely an ordinary word than an appeal.
_APPEAL = re.compile(r"^\W*appeal\b[\s:.,;!-]*(.*)$", re.IGNORECASE | re.DOTALL)

# "LANG FR", "langue fr", "LANGWEJ KRIO", "LANG" alone (which gets the list): the word and at most one more.
_LANGUAGE = re.compile(r"^\W*(?:lang|langs|langue|language|langwej|langwij)\b[\s:.,;!=-]*([A-Za-z\u00c0-\u017f]*)\W*$",
                       re.IGNORECASE)
# What may follow LANG, squeezed as keywords are (upper case, repeated letters once): codes and names.
LANGUAGE_WORDS: dict[str, str] = {
    "EN": "en", "ENG": "en", "ENGLISH": "en", "INGLISH": "en", "ANGLAIS": "en", "ANGLAISE": "en",
    "FR": "fr", "FRE": "fr", "FRENCH": "fr", "FRANCAIS": "fr", "FRANCAISE": "fr", "FRENS": "fr", "FRANS": "fr",
    "KRIO": "kri", "KRI": "kri", "KR": "kri", "CRIO": "kri", "CREOLE": "kri",
}


def clean_text(raw: str | None) -> str:
    """NFC, then tidied (no control, private-use or unassigned characters), and capped: a text is read, never
    refused."""
    text = unicodedata.normalize("NFC", (raw or "")[: TEXT_MAX * 2])
    return tidy_text(text, CONTROL_AND_UNASSIGNED)[:TEXT_MAX]


# Digits and what people write between them (spaces, dashes, dots), with punctuation around: see classify.
_CODE_CHARACTERS = re.compile(r"[\d\s.-]+")
_AROUND_A_CODE = " \t\r\n.,;:!?\"'()[]#*-"


def is_receipt_code_alone(text: str) -> bool:
    """Whether the text is nothing but a receipt code (16 digits, however spaced)."""
    return bool(_CODE_CHARACTERS.fullmatch(text.strip(_AROUND_A_CODE))) and normalise_receipt_code(text) is not None


def _looks_like_status_query(rest: str) -> bool:
    # "STATUS", "status CW-2026-000123", "STATUS 1234 5678 9012 3456"; a long text is a report.
    return len(rest.split()) <= 4 or sum(ch.isdigit() for ch in rest) >= 6


def combine(pending: str, text: str) -> str:
    return f"{pending}\n{text}"[-PENDING_MAX:] if text else pending


def has_enough_detail(text: str) -> bool:
    words = re.findall(r"\w{2,}", text)
    characters = sum(1 for ch in text if ch.isalnum())
    return len(words) >= MIN_DETAIL_WORDS and characters >= MIN_DETAIL_CHARS


def classify(text: str, opted_out: bool = False, answering: bool = False) -> tuple[Event, str | None]:
    """The event a cleaned text stands for, with its argument (STATUS query, rating digit, appeal reason).
    `answering`: the danger question or a check-in waits for a YES or NO."""
    if not text:
        return Event.EMPTY, None
    if is_receipt_code_alone(text):
        # The code alone, as people text it when told to text STATUS and their code: the secret that opens the
        # follow-up page must never become words of a report, which staff read.
        return Event.STATUS, text.strip()
    if answering and not opted_out:
        answer = match_answer(text)
        if answer is not None:
            return answer, None
    rating = _RATING.match(text) or _RATE.match(text)
    if rating:
        return Event.RATING, rating.group(1)
    language = _LANGUAGE.match(text)
    if language:
        return Event.LANGUAGE, LANGUAGE_WORDS.get(_squeeze(unicodedata.normalize("NFD", language.group(1))))
    appeal = _APPEAL.match(text)
    if appeal:
        return Event.APPEAL, appeal.group(1).strip() or None
    status = _STATUS_WORD.match(text)
    if status and match_keyword(status.group(1)) is Event.STATUS and _looks_like_status_query(status.group(2)):
        return Event.STATUS, status.group(2).strip() or None
    # Punctuation standing apart is no word: French typing writes "STOP !" and "« STOP »".
    words = [word for word in text.split() if any(ch.isalnum() for ch in word)]
    if len(words) == 1:
        keyword = match_keyword(words[0], opted_out=opted_out)
        if keyword is not None:
            return keyword, None
    return (Event.DETAILED_TEXT if has_enough_detail(text) else Event.SHORT_TEXT), None


# ---------------------------------------------------------------- yes or no

# Only a bare answer (punctuation aside): "No one came to help" is not a NO, and a longer text is part of the
# report, which then asks again. French-influenced and casual spellings included.
_YES_WORDS = frozenset({"YES", "Y", "YEA", "YEAH", "YA", "YAH", "YEP", "YUP", "OUI"})
_NO_WORDS = frozenset({"NO", "N", "NOP", "NOPE", "NAH", "NON"})
_ANSWER = re.compile(r"^\W*([A-Za-z]+)\W*$")


def match_answer(text: str) -> Event | None:
    """YES or NO, when the whole text is one of their words (any case, repeated letters squeezed)."""
    bare = _ANSWER.match(text)
    if not bare:
        return None
    word = bare.group(1).upper()
    squeezed = _squeeze(word)
    if word in _YES_WORDS or squeezed in _YES_WORDS:
        return Event.YES
    if word in _NO_WORDS or squeezed in _NO_WORDS:
        return Event.NO
    return None


# ---------------------------------------------------------------- keywords, tolerant of typing slips

# Exact words, after upper-casing and squeezing repeated letters. Twilio's own opt-out and opt-in words
# are included so that our records agree with what the carrier does.
_EXACT_KEYWORDS: dict[str, Event] = {
    "HELP": Event.HELP, "INFO": Event.HELP,
    "STATUS": Event.STATUS, "STAT": Event.STATUS,
    "NEW": Event.NEW,
    "STOP": Event.STOP, "STOPALL": Event.STOP, "UNSUBSCRIBE": Event.STOP, "CANCEL": Event.STOP,
    "END": Event.STOP, "QUIT": Event.STOP,
    # French (ARRET, ARRÊT: the carriers' French opt-out word) and Krio ("tap" is "stop"); exact only: a slip away
    # from them is an ordinary word (ARE, ARRÊTÉ "arrested", TIP, TAPE), and the help text names STOP alone.
    "ARRET": Event.STOP, "TAP": Event.STOP,
    "START": Event.START, "UNSTOP": Event.START,
    # English, French and Krio ("a fraid"); exact only: a slip away from FEAR is an ordinary word (hear, year).
    "FEAR": Event.FEAR, "AFRAID": Event.FEAR, "FRAID": Event.FEAR, "PEUR": Event.FEAR,
}
# "YES" only means START for a number that opted out; otherwise it is an answer to a question.
_OPT_IN_WHEN_OPTED_OUT = {"YES": Event.START}
# Misspellings within one edit (a wrong, missing, extra or swapped letter) of these are accepted. Not START: one
# letter from it are ordinary words (STAR, SMART, TART, STARE), and a slip must never turn texts back on for a
# number that stopped them, perhaps because someone else reads its phone; the carrier too wants START exactly.
_FUZZY_KEYWORDS: dict[str, Event] = {
    "HELP": Event.HELP, "STATUS": Event.STATUS, "STOP": Event.STOP,
}


def _squeeze(word: str) -> str:
    letters = "".join(ch for ch in word.upper() if "A" <= ch <= "Z")
    return re.sub(r"(.)\1+", r"\1", letters)


def match_keyword(word: str, opted_out: bool = False) -> Event | None:
    """The keyword a single word means: exact (accents aside), or one typing slip away from exactly one keyword."""
    stripped = word.strip(" \t\n.!?,;:'\"-*()«»")
    plain = "".join(ch for ch in unicodedata.normalize("NFD", stripped) if not unicodedata.combining(ch))
    if not plain or not all("a" <= ch.lower() <= "z" for ch in plain):
        return None
    squeezed = _squeeze(plain)
    exact = _SQUEEZED_EXACT[opted_out].get(squeezed)
    if exact is not None:
        return exact
    # A word with accents is a word of its own (French), not a slip on an English keyword.
    if len(squeezed) < 3 or plain != stripped:
        return None
    near = {event for candidate, event in _SQUEEZED_FUZZY if edit_distance(squeezed, candidate) <= 1}
    return near.pop() if len(near) == 1 else None


def _squeezed(keywords: dict[str, Event]) -> dict[str, Event]:
    """The keywords as match_keyword compares them; of two that squeeze alike, the first listed wins."""
    squeezed: dict[str, Event] = {}
    for word, event in keywords.items():
        squeezed.setdefault(_squeeze(word), event)
    return squeezed


# Squeezed once, not for every word a text is checked for (by whether the number opted out).
_SQUEEZED_EXACT = {False: _squeezed(_EXACT_KEYWORDS),
                   True: _squeezed({**_EXACT_KEYWORDS, **_OPT_IN_WHEN_OPTED_OUT})}
_SQUEEZED_FUZZY = tuple(_squeezed(_FUZZY_KEYWORDS).items())


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
