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
    QUIET = "quiet"  # the phone is not safe to text: no text we start
    TEXT_ME = "text_me"  # the phone is safe to text again


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
    MARK_NOT_SAFE = "mark_not_safe"
    MARK_SAFE = "mark_safe"


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
    # The conversation stays where it is: a question we asked may still be answered by text.
    Event.QUIET: (Action.MARK_NOT_SAFE, STAY),
    Event.TEXT_ME: (Action.MARK_SAFE, STAY),
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
    # short to say what happened asks again (its words are kept on the case).
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
    keyword_language: str | None = None  # the language of the keyword or answer word texted (AIDE: fr; HELP: None)
    silent: bool = False  # opted out: act, but send nothing back


def decide(snapshot: Snapshot, raw_text: str | None, now: dt.datetime, keywords: Keywords | None = None) -> Decision:
    """What to do with one inbound text. `keywords`: the built-in ones and the deployment's (sms/keywords.py)."""
    text = clean_text(raw_text)
    state = current_state(snapshot, now)
    event, argument, keyword_language = _classify(text, snapshot.opted_out, state in (ASKED, CHECK_IN),
                                                  keywords or DEFAULT_KEYWORDS)
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
        keyword_language=keyword_language,
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
# "RATE 4", as the answer's SMS asks, French NOTE 4 and Krio MAK 4 ("gi mak"): a rating word and a number, alone.
# A number out of 1 to 5 ("NOTE 9", "note 8/10": French marks are out of 10; "RATE 0", "MAK -1") is still a
# rating, to be asked again: its sender meant to rate, not to report.
_RATE_WITH_NUMBER = re.compile(r"^\W*(rate|note|mak)\b[\s:.,;!-]*?(-?\d{1,3}(?:[.,]\d{1,2})?)\s*"
                               r"(?:(?:/|sur\b|out of\b)\s*(\d{1,3})\s*)?[.!*]*\s*$", re.IGNORECASE)
# "RATE" with no number is a rating too, to be asked again. NOTE and MAK alone or with a word are ordinary words
# ("note bien"), which a report may start with.
_RATE = re.compile(r"^\W*rate\b[\s:.,;!-]*(\S{0,12})\s*$", re.IGNORECASE)
# "APPEAL <reason>", any case. Only the exact word: a report rarely starts with it, and a typing slip
# away from it ("apple", "appal") is more likely an ordinary word than an appeal.
# French RECOURS and Krio APIL likewise (neither is a word the training corpus's texts start with). But "recours à la
# force" (or "recours abusif aux armes") is how French reports of abuse begin: a report, not an appeal; so is "appeal
# for help" (or for justice) in English.
_APPEAL = re.compile(r"^\W*(appeal(?![\s,:.!-]+for\b)|recours(?![\s,]+(?:(?:abusi|excessi|illegal|illégal|disproportionn|systemati"
                     r"|systémati)\w*[\s,]+)?(?:à|a|au|aux)\b)|apil)\b[\s:.,;!-]*(.*)$", re.IGNORECASE | re.DOTALL)
# The language of the words these patterns read (the others set none).
_PATTERN_LANGUAGES = {"NOTE": "fr", "MAK": "kri", "RECOURS": "fr", "APIL": "kri"}

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
    # "STATUS", "status CW-2026-483071", "STATUS 1234 5678 9012 3456", "SUIVI mon code est 1234 5678 9012 3456":
    # a receipt code or a reference, or at most four words besides the numbers. A long text is a report, dates or
    # phone numbers in it or not ("Suivi par deux policiers depuis le 14/11/2026, ...": followed by two policemen).
    words = rest.split()
    if len(words) <= 4 or normalise_receipt_code(rest) is not None or _REFERENCE.search(rest):
        return True
    return sum(ch.isdigit() for ch in rest) >= 6 and sum(not any(ch.isdigit() for ch in word) for word in words) <= 4


_REFERENCE = re.compile(r"\bCW\W?\d{4}\W?\d{6,12}\b", re.IGNORECASE)


def might_be_keyword(raw_text: str | None) -> bool:
    """Whether a keyword table could change what the text means: it is a word or two (a keyword, an answer), or
    could be a STATUS query. A report's text is not, so a report needs no deployment keywords read."""
    text = clean_text(raw_text)
    # Counted as _classify counts them: punctuation standing apart ("STOP ! ! !") is no word.
    words = [word for word in text.split() if any(ch.isalnum() for ch in word)]
    return len(words) <= 5 or sum(ch.isdigit() for ch in text) >= 6


def is_built_in_keyword(raw_text: str | None) -> bool:
    """Whether the text is one built-in keyword alone, punctuation aside. It means the same whatever words a
    deployment adds: keyword_problems refuses a word that squeezes to a built-in one (answer words included), and
    the built-in words win over the deployment's in every table (build_keywords)."""
    word = clean_text(raw_text).strip(_KEYWORD_STRIP)
    return word.isascii() and word.isalpha() and _squeeze(word) in DEFAULT_KEYWORDS.exact


def combine(pending: str, text: str) -> str:
    return f"{pending}\n{text}"[-PENDING_MAX:] if text else pending


def has_enough_detail(text: str) -> bool:
    words = re.findall(r"\w{2,}", text)
    characters = sum(1 for ch in text if ch.isalnum())
    return len(words) >= MIN_DETAIL_WORDS and characters >= MIN_DETAIL_CHARS


def classify(text: str, opted_out: bool = False, answering: bool = False,
             keywords: Keywords | None = None) -> tuple[Event, str | None]:
    """The event a cleaned text stands for, with its argument (STATUS query, rating digit, appeal reason).
    `answering`: the danger question or a check-in waits for a YES or NO."""
    event, argument, _ = _classify(text, opted_out, answering, keywords or DEFAULT_KEYWORDS)
    return event, argument


def _classify(text: str, opted_out: bool, answering: bool, keywords: Keywords) -> tuple[Event, str | None, str | None]:
    """classify's event and argument, and the language of the keyword or answer word (None: English or shared)."""
    if not text:
        return Event.EMPTY, None, None
    if is_receipt_code_alone(text):
        # The code alone, as people text it when told to text STATUS and their code: the secret that opens the
        # follow-up page must never become words of a report, which staff read.
        return Event.STATUS, text.strip(), None
    if answering and not opted_out:
        answer = keywords.answer(text)
        if answer is not None:
            return answer.event, None, answer.language
    rating = _RATING.match(text)
    if rating:
        return Event.RATING, rating.group(1), None
    scored = _RATE_WITH_NUMBER.match(text)
    if scored:
        word, number, out_of = scored.groups()
        valid = number.isdigit() and 1 <= int(number) <= 5 and out_of in (None, "5")
        return Event.RATING, str(int(number)) if valid else None, _PATTERN_LANGUAGES.get(word.upper())
    if _RATE.match(text):
        return Event.RATING, None, None
    language = _LANGUAGE.match(text)
    if language:
        return Event.LANGUAGE, LANGUAGE_WORDS.get(_squeeze(unicodedata.normalize("NFD", language.group(1)))), None
    appeal = _APPEAL.match(text)
    if appeal:
        return Event.APPEAL, appeal.group(2).strip() or None, _PATTERN_LANGUAGES.get(appeal.group(1).upper())
    status = _STATUS_WORD.match(text)
    if status and _looks_like_status_query(status.group(2)):
        keyword = keywords.match(status.group(1))
        if keyword is not None and keyword.event is Event.STATUS:
            return Event.STATUS, status.group(2).strip() or None, keyword.language
    # Punctuation standing apart is no word: French typing writes "STOP !" and "« STOP »".
    words = [word for word in text.split() if any(ch.isalnum() for ch in word)]
    if len(words) == 1:
        keyword = keywords.match(words[0], opted_out=opted_out)
        if keyword is not None:
            return keyword.event, None, keyword.language
    keyword = _phrase_keyword(words, keywords, opted_out)
    if keyword is not None:
        return keyword.event, None, keyword.language
    return (Event.DETAILED_TEXT if has_enough_detail(text) else Event.SHORT_TEXT), None, None


# A word of letters, or words joined by hyphens or apostrophes ("écrivez-moi"), trailing punctuation aside.
_PHRASE_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*[.!?,;:]*")
_JOINERS = re.compile(r"[-'’]")
MAX_PHRASE_WORDS = 3
# The keywords made of words, as those words (squeezed as keywords are): only these are read from several words.
# Any other split of a keyword is no keyword: French "un STOP" (a stop) is not UNSTOP, "Y E S" is not YES.
KEYWORD_PHRASES = frozenset({("TEXT", "ME"), ("ECRIVEZ", "MOI"), ("TEKS", "MI"), ("STOP", "AL")})
# Krio's own letters, as a Krio keyboard types "Tɛks mi": read as e and o in these phrases, and nowhere else (a
# word with them is no single keyword: "ɔ start" must not turn texts on).
_KRIO_LETTERS = str.maketrans("ɛƐɔƆ", "eEoO")


def _phrase_keyword(words: list[str], keywords: Keywords, opted_out: bool) -> KeywordMatch | None:
    """A keyword typed as the words it is made of: "Text me", "ÉCRIVEZ-MOI", "Stop all". Exactly (no slips, which
    only single words get): the words of a phrase are ordinary words, and a slip must never turn texts on again.
    Every letter counts: a word with a letter outside A-Z (another script) makes no keyword, but for Krio's ɛ and
    ɔ, read as e and o ("Tɛks mi"), which only ever make one of these phrases."""
    if not 1 <= len(words) <= MAX_PHRASE_WORDS or not all(_PHRASE_WORD.fullmatch(word) for word in words):
        return None
    parts = [_plain(part).translate(_KRIO_LETTERS) for word in words for part in _JOINERS.split(word.rstrip(".!?,;:"))]
    if not all(part.isascii() and part.isalpha() for part in parts):
        return None
    squeezed = tuple(_squeeze(part) for part in parts)
    if squeezed not in KEYWORD_PHRASES:
        return None
    return keywords.lookup("".join(squeezed), opted_out=opted_out)


# ---------------------------------------------------------------- keywords, in English, French and Krio

# Which command a word is, by language: "" for English and the words every language uses (they set no language);
# "fr" and "kri" for words of that language only (AIDE, NYU: the reply, and the phone's texts from then on, are
# in it unless the phone chose a language). Compared upper-case, accents dropped, repeated letters squeezed.
# Krio as people text it: EP, ELP, HEP "help"; NYUZ "news"; NYU "new"; FRED "afraid"; TAP "stop".
# Each word was checked against the training corpus's English, French and Krio texts: none is a word a report
# would start with alone (ARRETE "arrested", WETIN "what", NOTE, ETAT were left out for that reason).
# The carriers' own opt-out and opt-in words are included so that our records agree with what the carrier does;
# START has no French or Krio word, since only the carriers' words turn their block off too.
BUILT_IN_KEYWORDS: dict[Event, dict[str, tuple[str, ...]]] = {
    Event.HELP: {"": ("HELP", "INFO"), "fr": ("AIDE",), "kri": ("EP", "ELP", "HEP")},
    Event.STATUS: {"": ("STATUS", "STAT"), "fr": ("STATUT", "SUIVI"), "kri": ("NYUZ", "NYUS")},
    Event.NEW: {"": ("NEW",), "fr": ("NOUVEAU",), "kri": ("NYU",)},
    # ARRET (ARRÊT): the carriers' French opt-out word.
    Event.STOP: {"": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), "fr": ("ARRET",), "kri": ("TAP",)},
    Event.START: {"": ("START", "UNSTOP")},
    # FRAID is English slang as much as Krio ("a fraid"): it sets no language.
    Event.FEAR: {"": ("FEAR", "AFRAID", "FRAID"), "fr": ("PEUR",), "kri": ("FRED",)},
    # Not safe to text (KWAYET: Krio "quiet"), and safe again (TEKSMI: "text me"). QUIET and SILENCE are words of
    # the corpus, but no text starts with them, and only the whole text counts.
    Event.QUIET: {"": ("QUIET",), "fr": ("SILENCE",), "kri": ("KWAYET",)},
    Event.TEXT_ME: {"": ("TEXTME",), "fr": ("ECRIVEZMOI",), "kri": ("TEKSMI",)},
}
# Answers to the danger question and to a check-in, only when they are the whole text: "No one came to help" is
# not a NO. Krio texts the English words.
ANSWER_WORDS: dict[Event, dict[str, tuple[str, ...]]] = {
    Event.YES: {"": ("YES", "Y", "YEA", "YEAH", "YA", "YAH", "YEP", "YUP"), "fr": ("OUI", "OUAIS")},
    Event.NO: {"": ("NO", "N", "NOP", "NOPE", "NAH"), "fr": ("NON",)},
}
# "YES" only means START for a number that opted out; otherwise it is an answer to a question.
_OPT_IN_WHEN_OPTED_OUT = {"YES": Event.START}
# Misspellings within one edit (a wrong, missing, extra or swapped letter) of these are accepted. Not START: one
# letter from it are ordinary words (STAR, SMART, TART, STARE), and a slip must never turn texts back on for a
# number that stopped them, perhaps because someone else reads its phone; the carrier too wants START exactly.
# Not TEXTME, for the same reason.
# Not the short French and Krio words either: one letter from AIDE, EP, NYU, FRED or PEUR are ordinary words
# (AIDER, AIME, RIDE, FREDS); nor the words a deployment adds.
FUZZY_KEYWORDS = ("HELP", "STATUS", "STATUT", "NOUVEAU", "STOP")
# Ordinary words one slip from those: a text that is one of them is words of a report, not a keyword. Every word of
# the training corpus (English, French, Krio) one slip away is here (tests/sms/test_sms_keyword_slips.py checks),
# with common words besides. Squeezed, as compared.
ORDINARY_WORDS = frozenset({
    "HELD", "HELO", "HELPS", "HEL", "HEAP", "HEMP", "HELM", "KELP", "YELP", "WHELP",
    "STATUE", "STATUES", "STATES", "STRATUS", "NOUVEAUX",
    "SHOP", "STOD", "TOP", "STEP", "SOP", "STOPS", "STO", "STOW", "SLOP", "STOMP", "ATOP", "SWOP",
})
# Words that patterns read before keywords: a deployment cannot give them to a command.
PATTERN_WORDS = {"LANG": "lang", "LANGS": "lang", "LANGUE": "lang", "LANGUAGE": "lang", "LANGWEJ": "lang",
                 "LANGWIJ": "lang", "RATE": "rate", "APPEAL": "appeal", "RECOURS": "appeal", "APIL": "appeal",
                 "NOTE": "rate", "MAK": "rate"}
# The commands a deployment may add words to (its taxonomy file's `sms_keywords`), by the name the file uses.
FILE_COMMANDS: dict[str, Event] = {"help": Event.HELP, "status": Event.STATUS, "new": Event.NEW, "stop": Event.STOP,
                                   "fear": Event.FEAR, "quiet": Event.QUIET, "text_me": Event.TEXT_ME,
                                   "yes": Event.YES, "no": Event.NO}
ENGLISH = "en"
_WORD = re.compile(r"[A-Za-z]{2,20}")
# What may stand around a keyword typed alone ("STOP !", "« Aide »").
_KEYWORD_STRIP = " \t\n.!?,;:'\"-*()«»"
_ANSWER = re.compile(r"^\W*([A-Za-z]+)\W*$")
# The first word of a sentence, whole (not "N" of "N'importe"): "Non merci, tout va bien".
_LEADING_WORD = re.compile(r"^\W*([A-Za-z]{2,})(?:[\s,.;:!?-]|$)")


@dataclass(frozen=True)
class KeywordMatch:
    event: Event
    language: str | None  # None: English or shared, which sets no language


@dataclass(frozen=True)
class Keywords:
    """The keywords as matched: built once (per taxonomy version with a deployment's words), then only read."""

    exact: dict[str, KeywordMatch]
    when_opted_out: dict[str, KeywordMatch]
    answers: dict[str, KeywordMatch]
    fuzzy: tuple[tuple[str, KeywordMatch], ...]

    def lookup(self, word: str, opted_out: bool = False) -> KeywordMatch | None:
        """The keyword a word is exactly (any case, accents dropped, repeated letters squeezed); no slips."""
        return (self.when_opted_out if opted_out else self.exact).get(_squeeze(_plain(word)))

    def match(self, word: str, opted_out: bool = False) -> KeywordMatch | None:
        """The keyword a single word means: exact (accents aside), or one typing slip away from exactly one
        keyword, when the word is no ordinary word."""
        stripped = word.strip(_KEYWORD_STRIP)
        plain = _plain(stripped)
        if not plain or not all("a" <= ch.lower() <= "z" for ch in plain):
            return None
        squeezed = _squeeze(plain)
        exact = (self.when_opted_out if opted_out else self.exact).get(squeezed)
        if exact is not None:
            return exact
        # A word with accents is a word of its own (French), not a slip on a keyword.
        if len(squeezed) < 3 or plain != stripped or squeezed in ORDINARY_WORDS:
            return None
        near = {match for candidate, match in self.fuzzy if edit_distance(squeezed, candidate) <= 1}
        events = {match.event for match in near}
        if len(events) != 1:
            return None
        languages = {match.language for match in near}
        return KeywordMatch(events.pop(), languages.pop() if len(languages) == 1 else None)

    def answer(self, text: str) -> KeywordMatch | None:
        """YES or NO, when the whole text is one of their words (any case, accents dropped as the words were,
        repeated letters squeezed)."""
        bare = _ANSWER.match(_plain(text))
        if not bare:
            return None
        word = bare.group(1).upper()
        return self.answers.get(word) or self.answers.get(_squeeze(word))

    def leading_answer(self, text: str) -> KeywordMatch | None:
        """YES or NO, when the text's first word (two letters or more) is one of their words: "No, all is well"."""
        first = _LEADING_WORD.match(text)
        return self.answer(first.group(1)) if first else None


def _plain(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


def _squeeze(word: str) -> str:
    letters = "".join(ch for ch in word.upper() if "A" <= ch <= "Z")
    return re.sub(r"(.)\1+", r"\1", letters)


def _table(words: dict[Event, dict[str, tuple[str, ...]]], squeeze: bool = True) -> dict[str, KeywordMatch]:
    """Word -> match; of two words that squeeze alike, the first listed wins."""
    table: dict[str, KeywordMatch] = {}
    for event, by_language in words.items():
        for language, listed in by_language.items():
            for word in listed:
                key = _squeeze(_plain(word)) if squeeze else _plain(word).upper()
                table.setdefault(key, KeywordMatch(event, language if language not in ("", ENGLISH) else None))
    return table


def _added(section: dict[str, dict[str, list[str]]], answers: bool) -> dict[Event, dict[str, tuple[str, ...]]]:
    """The words of a deployment's section (checked by keyword_problems): its commands or its answers."""
    return {FILE_COMMANDS[command]: {language: tuple(words) for language, words in by_language.items()}
            for command, by_language in section.items()
            if (FILE_COMMANDS[command] in ANSWER_WORDS) is answers}


def build_keywords(section: dict[str, dict[str, list[str]]] | None = None) -> Keywords:
    """The built-in keywords with a deployment's words added (exact only: no slips on them)."""
    section = section or {}
    exact = {**_table(BUILT_IN_KEYWORDS), **{word: match for word, match in _table(_added(section, False)).items()
                                            if word not in _table(BUILT_IN_KEYWORDS)}}
    answers = {**_table(_added(section, True), squeeze=False), **_table(_added(section, True)),
               **_table(ANSWER_WORDS, squeeze=False), **_table(ANSWER_WORDS)}
    opt_in = {word: KeywordMatch(event, None) for word, event in _OPT_IN_WHEN_OPTED_OUT.items()}
    built_in = _table(BUILT_IN_KEYWORDS)
    fuzzy = tuple((word, built_in[word]) for word in map(_squeeze, FUZZY_KEYWORDS))
    return Keywords(exact=exact, when_opted_out={**exact, **opt_in}, answers=answers, fuzzy=fuzzy)


DEFAULT_KEYWORDS = build_keywords()


def keyword_problems(section: object, languages: list[str]) -> list[str]:
    """What is wrong with a taxonomy file's `sms_keywords` section, one line each: {"help": {"fr": ["SECOURS"]}}.
    A word must be one word of letters, of one command only (the built-in words, LANG, RATE and APPEAL count)."""
    if not isinstance(section, dict):
        return ["sms_keywords: must be an object, such as {\"help\": {\"fr\": [\"SECOURS\"]}}"]
    claimed: dict[str, str] = {}
    for event, by_language in (BUILT_IN_KEYWORDS | ANSWER_WORDS).items():
        for word in (word for words in by_language.values() for word in words):
            claimed.setdefault(_squeeze(word), event.value)
    claimed.update({word: name for word, name in PATTERN_WORDS.items() if word not in claimed})
    problems = []
    for command, by_language in section.items():
        at = f"sms_keywords.{command}"
        if command == "start":
            problems.append(f"{at}: texts are turned on again only by START (or UNSTOP), which the carriers also "
                            "honour; no word can be added")
            continue
        if command not in FILE_COMMANDS:
            problems.append(f"{at}: not a command; use {', '.join(FILE_COMMANDS)}")
            continue
        if not isinstance(by_language, dict):
            problems.append(f"{at}: must map language codes to lists of words, such as {{\"fr\": [\"SECOURS\"]}}")
            continue
        for language, words in by_language.items():
            where = f"{at}.{language}"
            if language not in languages:
                problems.append(f"{where}: not a language of this deployment ({', '.join(languages)})")
                continue
            if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
                problems.append(f"{where}: must be a list of words")
                continue
            for word in words:
                if not _WORD.fullmatch(_plain(word)):
                    problems.append(f"{where}: {word!r} is not a single word of 2 to 20 letters")
                    continue
                squeezed = _squeeze(_plain(word))
                owner = claimed.setdefault(squeezed, command)
                if owner != command and owner != FILE_COMMANDS[command].value:
                    problems.append(f"{where}: {word!r} is already a keyword of {owner}")
                elif (slipped := _slip_of_another(squeezed, FILE_COMMANDS[command])) is not None:
                    problems.append(f"{where}: {word!r} is one typing slip from {slipped}, which it would take from "
                                    "those who mistype it; choose another word")
    return problems


def _slip_of_another(squeezed: str, event: Event) -> str | None:
    """The keyword of another command that a word is one typing slip from (a word matched exactly would win over
    the slip), unless the slip is an ordinary word, which is never read as it."""
    if len(squeezed) < 3 or squeezed in ORDINARY_WORDS:  # as Keywords.match reads slips
        return None
    for keyword in FUZZY_KEYWORDS:
        fuzzy = _squeeze(keyword)
        if DEFAULT_KEYWORDS.exact[fuzzy].event is not event and edit_distance(squeezed, fuzzy) <= 1:
            return keyword
    return None


def match_answer(text: str, keywords: Keywords | None = None) -> Event | None:
    """YES or NO, when the whole text is one of their words (any case, repeated letters squeezed)."""
    answer = (keywords or DEFAULT_KEYWORDS).answer(text)
    return answer.event if answer is not None else None


def match_keyword(word: str, opted_out: bool = False, keywords: Keywords | None = None) -> Event | None:
    """The keyword a single word means: exact (accents aside), or one typing slip away from exactly one keyword."""
    match = (keywords or DEFAULT_KEYWORDS).match(word, opted_out)
    return match.event if match is not None else None


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
