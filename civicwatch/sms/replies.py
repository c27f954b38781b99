"""What CivicWatch texts back: short, plain words, one SMS segment (GSM-7, 160 characters) where possible.

Replies never repeat what the person wrote: only our words, references, receipt codes and dates. They are
written in the phone's language (LANG by SMS): the caller renders them under flask_babel.force_locale, and
sends them through prefer_gsm7 (an accent outside GSM-7 would make a text UCS-2, at 70 characters a segment).
tests/sms/test_sms_reply_segments.py checks every reply in every language against its segment budget.
"""
from __future__ import annotations

import datetime as dt
import enum
import math

from babel.dates import format_date
from flask_babel import get_locale, gettext, ngettext

from civicwatch.cases.models import CaseStatus
from civicwatch.i18n import N_
from civicwatch.messaging.segments import is_gsm7, prefer_gsm7, segment_count

__all__ = ["DEFAULT_EMERGENCY_ADVICE", "Reply", "emergency_advice", "is_gsm7", "render_reply", "render_status", "render_status_list", "render_wait", "segment_count"]


class Reply(enum.Enum):
    # The receipt and the danger question, in one text: the answer combines with the model's urgency.
    CASE_OPENED = N_("CivicWatch: report {reference} received. Your secret receipt code is {receipt_code}. "
                     "Is someone hurt, held or threatened right now? Reply YES or NO.")
    ASK_DANGER_AGAIN = N_("CivicWatch: added to report {reference}. Is someone hurt, held or threatened right now? "
                          "Reply YES or NO.")
    MARKED_URGENT = N_("CivicWatch: report {reference} is marked urgent. {advice}")
    NOT_URGENT = N_("CivicWatch: thank you. Keep your receipt code. To add details to report {reference}, text "
                    "again within 10 minutes.")
    ASK_FOR_DETAILS = N_("CivicWatch: thank you. Please tell us more: what happened, where, when and who "
                         "was involved. You can send several texts.")
    ASK_FOR_MORE = N_("CivicWatch: we kept your texts. Please add what happened, where and when, so that "
                      "we can open a report.")
    ADDED_TO_CASE = N_("CivicWatch: added to report {reference}. Text more within 10 minutes to add to it, "
                       "or NEW to start another report.")
    ANSWER_ADDED = N_("CivicWatch: your answer is added to report {reference}, which asked you. To start "
                      "another report instead, text NEW first.")
    # Every command a citizen texts of their own accord, QUIET too. START, TEXTME, RATE, APPEAL, YES and NO are named
    # by the text that leads to them: one segment holds no more.
    HELP = N_("CivicWatch: to report, text what, where, when. STATUS: news. NEW: new report. FEAR: reprisals. "
              "QUIET: we never text first. STOP: no texts. LANG FR, LANG KRIO.")
    # FEAR, at any time: the phone's latest open report gets the check-ins while it is open and after it closes.
    FEAR_NOTED = N_("CivicWatch: noted for report {reference}. We will ask how you are while it is open, and 30 "
                    "and 90 days after it closes.")
    NOTHING_TO_FEAR = N_("CivicWatch: we found no open report for this phone. Text what happened to report it, "
                         "then FEAR.")
    # Answers to a retaliation check-in texted after a case closed (or while it was open).
    RETALIATION_REPORTED = N_("CivicWatch: thank you. Urgent report {reference} is opened for the office that "
                              "handled your case. Text more within 10 minutes to add to it.")
    # The office that handled the case has closed: the report waits for triage to send it on.
    RETALIATION_REPORTED_ELSEWHERE = N_("CivicWatch: thank you. Urgent report {reference} is opened and will go to "
                                        "an office that can act. Text more within 10 minutes to add to it.")
    # The check-in was texted while the case was open: that case is marked urgent for the office handling it.
    RETALIATION_FLAGGED = N_("CivicWatch: thank you. Report {reference} is now urgent for the office handling it. "
                             "Text more within 10 minutes to add to it.")
    NO_RETALIATION = N_("CivicWatch: thank you for answering. If anything happens to you because you reported, "
                        "text us what happened.")
    ASK_CHECK_IN_AGAIN = N_("CivicWatch: has anything happened to you because you reported {reference}? Reply "
                            "YES or NO, or tell us what happened.")
    # A text that is not an answer, added to the open case the check-in asked about: the question still waits.
    CHECK_IN_YES_OR_NO = N_("CivicWatch: added to report {reference}. Has anything happened to you because you "
                            "reported? To answer, text YES or NO.")
    CHECK_IN_ANSWERED = N_("CivicWatch: your answer to our check-in is already saved. To report something new, "
                           "text what happened.")
    STATUS = N_("CivicWatch: report {reference} is {words} (updated {date}).{waiting}")
    STATUS_LIST = N_("CivicWatch: {count} open reports: {cases}. STATUS and a reference: more.")
    STATUS_NOT_FOUND = N_("CivicWatch: we found no report for this phone. Text STATUS and your 16-digit "
                          "receipt code, or text what happened to report it.")
    # A receipt code (alone or after STATUS) that no report has: most often mistyped.
    CODE_NOT_FOUND = N_("CivicWatch: no report has that receipt code. Check its 16 digits and text it again, or "
                        "text what happened to report it.")
    # A receipt code of a web report still queued (intake.queue): right, but no case has it yet.
    REPORT_BEING_FILED = N_("CivicWatch: we have that report from the website and it is being filed. Text STATUS and "
                            "its receipt code again later.")
    NEW_REPORT = N_("CivicWatch: ready for a new report. Text what happened, where and when.")
    STOPPED = N_("CivicWatch: you will get no more texts from us. Text START to get them again.")
    STARTED = N_("CivicWatch: you will get our texts again. Text HELP for help.")
    # QUIET: the phone is not safe to text; TEXTME undoes it. Replies to the phone's own texts still go.
    QUIET = N_("CivicWatch: we will not text you first. We still answer your texts: text STATUS for news. To undo, "
               "text TEXTME.")
    TEXT_ME = N_("CivicWatch: we may text you first again, with news of your reports. To stop that, text QUIET.")
    STARTED_AFTER_REPORT = N_("CivicWatch: you will get our texts again. Report {reference}, sent while texts were "
                              "off, was received. Text STATUS for its news.")
    STARTED_AFTER_TEXTED_REPORT = N_("CivicWatch: texts are on again. Report {reference}, sent while they were off, "
                                     "was received. Secret receipt code: {receipt_code}. Text STATUS for news.")
    RATED = N_("CivicWatch: thank you. Your rating of {score} out of 5 for report {reference} is saved.")
    RATE_HOW = N_("CivicWatch: to rate the answer, text RATE and a score from 1 (poor) to 5 (good), like RATE 4.")
    NOTHING_TO_RATE = N_("CivicWatch: there is no answer to rate yet. Text STATUS to check your report.")
    APPEALED = N_("CivicWatch: your appeal on report {reference} is received. The case is reopened and will be "
                  "looked at again.")
    APPEAL_NEEDS_REASON = N_("CivicWatch: to appeal, text APPEAL and then why you disagree with the answer, "
                             "in one text.")
    NOTHING_TO_APPEAL = N_("CivicWatch: there is no answer to appeal. Text STATUS to check your report, or "
                           "text what happened to report it.")
    EMPTY = N_("CivicWatch: your text was empty. Text what happened, where and when. Text HELP for help.")
    NOT_ACCEPTED = N_("CivicWatch: sorry, we could not take this text. Please try again in a few minutes.")
    TOO_MANY_CODES = N_("CivicWatch: too many wrong receipt codes were sent from this phone. Wait {wait}, then "
                        "text STATUS and your code again.")
    # LANG and a language: the reply is already in the new language, and says how to go back.
    LANGUAGE_SET = N_("CivicWatch: we will text you in English. For French text LANG FR, for Krio LANG KRIO.")
    # A photo, voice note or file (WhatsApp): not fetched. Alone, this is the reply; with words, the second
    # one follows the reply to the words.
    MEDIA_REFUSED = N_("CivicWatch: we cannot take photos, voice notes or files here. Please write what happened, "
                       "where and when.")
    MEDIA_NOT_KEPT = N_("Your photo or file was not kept: we take only words here.")
    LANGUAGE_HOW = N_("CivicWatch: for English text LANG EN, for French (Francais) LANG FR, for Krio LANG KRIO.")


# How a complainant's case stands, in words that fit in one text.
STATUS_WORDS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: N_("received and waiting to be looked at"),
    CaseStatus.TRIAGED: N_("with the office that will handle it"),
    CaseStatus.ACKNOWLEDGED: N_("accepted by the office handling it"),
    CaseStatus.INVESTIGATING: N_("being investigated"),
    CaseStatus.RESPONDED: N_("answered. Rate it: text RATE 1 (poor) to 5 (good)"),
    CaseStatus.CLOSED: N_("closed"),
    CaseStatus.REJECTED: N_("closed without an investigation"),
    CaseStatus.REFERRED: N_("passed to another organisation"),
    CaseStatus.WITHDRAWN: N_("withdrawn"),
    CaseStatus.REOPENED: N_("reopened and being looked at again"),
}
WAITING_FOR_YOU = N_(" We are waiting for your answer.")
# The shipped EMERGENCY_ADVICE_SMS (config.py), here so that the catalogs translate it.
DEFAULT_EMERGENCY_ADVICE = N_("If someone is in danger now, contact emergency services first: we cannot send help.")


def emergency_advice(configured: str, by_language: dict[str, str]) -> str:
    """The urgent reply's advice in the current locale: the deployment's text for that language
    (CIVICWATCH_EMERGENCY_ADVICE_SMS_<LANG>) if it set one, else its one text (CIVICWATCH_EMERGENCY_ADVICE_SMS),
    translated when it is the shipped default (a text of the deployment's own has no translation, and stays)."""
    return by_language.get(str(get_locale())) or gettext(configured)


def render_reply(reply: Reply, **values: object) -> str:
    """The reply in the current locale, its placeholders filled in."""
    return gettext(reply.value).format(**values)


def render_wait(wait: dt.timedelta) -> str:
    """'45 seconds' under two minutes, then whole minutes, rounded up."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 120:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    return ngettext("%(num)s minute", "%(num)s minutes", math.ceil(seconds / 60))


def render_status(reference: str, status: CaseStatus, updated: dt.datetime, waiting: bool) -> str:
    return render_reply(
        Reply.STATUS, reference=reference, words=gettext(STATUS_WORDS[status]),
        date=format_date(updated, "dd MMM y", locale=get_locale() or "en"), waiting=gettext(WAITING_FOR_YOU) if waiting else "",
    )


# The same, in two words or so, for the list of a phone's open reports.
SHORT_STATUS_WORDS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: N_("received"), CaseStatus.TRIAGED: N_("with an office"),
    CaseStatus.ACKNOWLEDGED: N_("accepted"), CaseStatus.INVESTIGATING: N_("investigated"),
    CaseStatus.RESPONDED: N_("answered"), CaseStatus.CLOSED: N_("closed"), CaseStatus.REJECTED: N_("closed"),
    CaseStatus.REFERRED: N_("passed on"), CaseStatus.WITHDRAWN: N_("withdrawn"), CaseStatus.REOPENED: N_("reopened"),
}
WAITS_FOR_YOU = N_("waits for your answer")


def render_status_list(cases: list[tuple[str, CaseStatus, bool]]) -> str:
    """Every open report in one segment, as many as fit (then "N more"): reference and a word or two each;
    a report that waits for the complainant says so."""
    items = [f"{reference} " + gettext(WAITS_FOR_YOU if waiting else SHORT_STATUS_WORDS[status])
             for reference, status, waiting in cases]
    for shown in range(len(items), 0, -1):
        hidden = len(items) - shown
        listed = "; ".join(items[:shown]) + ("; " + ngettext("%(num)s more", "%(num)s more", hidden) if hidden else "")
        text = render_reply(Reply.STATUS_LIST, count=len(items), cases=listed)
        if segment_count(prefer_gsm7(text)) == 1:
            return text
    return render_reply(Reply.STATUS_LIST, count=len(items),
                        cases=ngettext("%(num)s report", "%(num)s reports", len(items)))
