"""Telling complainants about their case: by SMS through the outbox when they left a phone number, have not
texted STOP and did not say texts to that phone are not safe; otherwise they read it on the web follow-up page
(a text held back as not safe by the case's own answer is kept in the outbox, cancelled, so that staff can count it;
one held back by another report's answer is not owed at all, as for a number that texted STOP). An SMS is written in the language the
phone chose (LANG by SMS), and transliterated to GSM-7 when that saves segments."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from flask_babel import force_locale, format_date, gettext

from civicwatch.cases.identity import contact_of, texts_channel
from civicwatch.cases.models import TEXT_CHANNELS, Case, CaseStatus
from civicwatch.i18n import DEFAULT_LANGUAGE, N_
from civicwatch.messaging.models import OutboundMessage
from civicwatch.messaging.operations import queue_sms
from civicwatch.messaging.queries import is_opted_out, is_safe_to_text, phone_language, said_not_safe_by_own_answer
from civicwatch.messaging.segments import as_sent
from civicwatch.phones import WHATSAPP, contact_hash
from civicwatch.taxonomy.models import Named
from civicwatch.templating import DATE_PATTERN

log = logging.getLogger(__name__)

# Ends every SMS that brings an answer: the SMS dialogue takes "RATE 4" and "APPEAL <why>" (sms/dialogue.py),
# so the complainant needs no web link and no receipt code to have their say.
FEEDBACK_BY_TEXT = N_("Reply RATE 1-5 or APPEAL and why.")

# The news of a status change, after the prefix; None: the complainant hears of it another way.
STATUS_NEWS: dict[CaseStatus, str | None] = {
    CaseStatus.TRIAGED: None,  # told when routed
    CaseStatus.ACKNOWLEDGED: N_("{body} has received your complaint and will look into it."),
    CaseStatus.INVESTIGATING: N_("{body} is now investigating your complaint."),
    CaseStatus.RESPONDED: None,  # the response itself is the message
    CaseStatus.CLOSED: N_("your complaint is now closed. Thank you for reporting."),
    CaseStatus.REJECTED: N_("{body} cannot take up your complaint. The reason: {reason}"),
    CaseStatus.REFERRED: N_("your complaint has been referred elsewhere. {reason}"),
    CaseStatus.WITHDRAWN: N_("your complaint has been withdrawn. {reason}"),
    CaseStatus.REOPENED: N_("your complaint has been reopened and will be looked at again."),
}
ROUTED_NEWS = N_("your complaint is now with {body}. Your reference stays the same.")
PUBLISHED_NEWS = N_("your answer is published at {url}")
EXTENDED_NEWS = N_("{body} needs more time and will answer by {date}. The reason: {reason}")


def sms_prefix(case: Case) -> str:
    """What every SMS about a case starts with, in the current locale."""
    return gettext("CivicWatch {reference}: ").format(reference=case.reference)


def sms_ending(ending: str) -> str:
    """What follows staff's words in the SMS (`ending`, a message id), in the current locale."""
    return " " + gettext(ending) if ending else ""


def sms_wrapping(case: Case, ending: str = "") -> tuple[str, str]:
    """The prefix and ending the complainant's texts put around staff's words, in the phone's language (not the
    reader's): what the length guide under a staff text box must count."""
    with force_locale(phone_language(case.contact_phone_hash) if case.contact_phone_hash else DEFAULT_LANGUAGE):
        return sms_prefix(case), sms_ending(ending)


def _in_current_language(value: object) -> object:
    """A taxonomy entry (a body) by its name in the current locale, the phone's when an SMS is written; any
    other value as it is."""
    return value.local_name if isinstance(value, Named) else value


def news(case: Case, message: str, **values: object) -> Callable[[], str]:
    """The SMS of one of the messages above, translated when it is written (in the phone's language), a body
    among the values named in that language."""
    return lambda: sms_prefix(case) + gettext(message).format(
        **{key: _in_current_language(value) for key, value in values.items()}).strip()


def extension_news(case: Case, due_on: dt.date, reason: str) -> Callable[[], str]:
    """The SMS of an extended deadline, its date and body written in the phone's language."""
    return lambda: sms_prefix(case) + gettext(EXTENDED_NEWS).format(
        body=_in_current_language(case.body or ""), date=format_date(due_on, DATE_PATTERN), reason=reason).strip()


def case_said_not_safe(case: Case, number_hash: str | None = None) -> bool:
    """Whether the case's own complainant said texts to its number (or `number_hash`, its hash on the channel
    texts go by) are not safe: all its staff may learn of the number's marking."""
    number_hash = number_hash or case.contact_phone_hash
    return number_hash is not None and said_not_safe_by_own_answer(number_hash, case.id,
                                                                   case.channel in TEXT_CHANNELS)


def notify_complainant(case: Case, text: str | Callable[[], str], purpose: str) -> OutboundMessage | None:
    """Owe the complainant an SMS when they left a phone number, have not texted STOP and did not say texts to it
    are not safe; None otherwise (they read the case on the web follow-up page). `text` is the whole SMS, or a
    function that writes it, called in the phone's language (the language it chose with LANG)."""
    if case.contact_phone_hash is None:
        return None
    contact = contact_of(case)
    phone = contact.get("phone")
    if not phone:
        return None
    channel = texts_channel(contact)
    number_hash = contact_hash(phone, channel)
    if is_opted_out(number_hash):
        log.info("no sms for case %s: the number texted STOP", case.id)
        return None
    safe = is_safe_to_text(number_hash)
    if not safe and not case_said_not_safe(case, number_hash):
        # Held back by another report's answer only: nothing is owed, as for a number that texted STOP, so that
        # this case's staff see what they would see for one (it is not theirs to learn that a report marked it).
        log.info("no sms for case %s: the number takes no texts we start", case.id)
        return None
    if callable(text):
        with force_locale(phone_language(number_hash)):
            text = text()
    queued = queue_sms(phone, as_sent(text, channel == WHATSAPP), purpose, case.id, channel, opted_out=False)
    if not safe:  # queued cancelled (messaging.operations.owed_message): counted on the outbox page, never sent
        log.info("no sms for case %s: the complainant said texts to this phone are not safe", case.id)
        return None
    return queued
