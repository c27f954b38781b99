"""What CivicWatch texts back: short, plain words, one SMS segment (GSM-7, 160 characters) where possible.

Replies never repeat what the person wrote: only our words, references, receipt codes and dates.
"""
from __future__ import annotations

import datetime as dt
import enum
import math

from civicwatch.cases.models import CaseStatus
from civicwatch.messaging.segments import is_gsm7, segment_count

__all__ = ["Reply", "is_gsm7", "render_reply", "render_status", "render_status_list", "render_wait", "segment_count"]


class Reply(enum.Enum):
    # The receipt and the danger question, in one text: the answer combines with the model's urgency.
    CASE_OPENED = "CivicWatch: report {reference} received. Your secret receipt code is {receipt_code}. " \
                  "Is someone hurt, held or threatened right now? Reply YES or NO."
    ASK_DANGER_AGAIN = "CivicWatch: added to report {reference}. Is someone hurt, held or threatened right now? " \
                       "Reply YES or NO."
    MARKED_URGENT = "CivicWatch: report {reference} is marked urgent. {advice}"
    NOT_URGENT = "CivicWatch: thank you. Keep your receipt code. To add details to report {reference}, text " \
                 "again within 10 minutes."
    ASK_FOR_DETAILS = "CivicWatch: thank you. Please tell us more: what happened, where, when and who " \
                      "was involved. You can send several texts."
    ASK_FOR_MORE = "CivicWatch: we kept your texts. Please add what happened, where and when, so that " \
                   "we can open a report."
    ADDED_TO_CASE = "CivicWatch: added to report {reference}. Text more within 10 minutes to add to it, " \
                    "or NEW to start another report."
    ANSWER_ADDED = "CivicWatch: your answer is added to report {reference}, which asked you. To start " \
                   "another report instead, text NEW first."
    HELP = "CivicWatch: to report, text what happened, where and when. STATUS: news of your report. " \
           "NEW: start a new report. STOP: no more texts."
    STATUS = "CivicWatch: report {reference} is {words} (updated {date}).{waiting}"
    STATUS_LIST = "CivicWatch: {count} open reports: {cases}. STATUS and a reference: more."
    STATUS_NOT_FOUND = "CivicWatch: we found no report for this phone. Text STATUS and your 16-digit " \
                       "receipt code, or text what happened to report it."
    NEW_REPORT = "CivicWatch: ready for a new report. Text what happened, where and when."
    STOPPED = "CivicWatch: you will get no more texts from us. Text START to get them again."
    STARTED = "CivicWatch: you will get our texts again. Text HELP for help."
    RATED = "CivicWatch: thank you. Your rating of {score} out of 5 for report {reference} is saved."
    RATE_HOW = "CivicWatch: to rate the answer, text RATE and a score from 1 (poor) to 5 (good), like RATE 4."
    NOTHING_TO_RATE = "CivicWatch: there is no answer to rate yet. Text STATUS to check your report."
    APPEALED = "CivicWatch: your appeal on report {reference} is received. The case is reopened and will be " \
               "looked at again."
    APPEAL_NEEDS_REASON = "CivicWatch: to appeal, text APPEAL and then why you disagree with the answer, " \
                          "in one text."
    NOTHING_TO_APPEAL = "CivicWatch: there is no answer to appeal. Text STATUS to check your report, or " \
                        "text what happened to report it."
    EMPTY = "CivicWatch: your text was empty. Text what happened, where and when. Text HELP for help."
    NOT_ACCEPTED = "CivicWatch: sorry, we could not take this text. Please try again in a few minutes."
    TOO_MANY_CODES = "CivicWatch: too many wrong receipt codes were sent from this phone. Wait {wait}, then " \
                     "text STATUS and your code again."


# How a complainant's case stands, in words that fit in one text.
STATUS_WORDS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "received and waiting to be looked at",
    CaseStatus.TRIAGED: "with the office that will handle it",
    CaseStatus.ACKNOWLEDGED: "accepted by the office handling it",
    CaseStatus.INVESTIGATING: "being investigated",
    CaseStatus.RESPONDED: "answered. Rate it: text RATE 1 (poor) to 5 (good)",
    CaseStatus.CLOSED: "closed",
    CaseStatus.REJECTED: "closed without an investigation",
    CaseStatus.REFERRED: "passed to another organisation",
    CaseStatus.WITHDRAWN: "withdrawn",
    CaseStatus.REOPENED: "reopened and being looked at again",
}
WAITING_FOR_YOU = " We are waiting for your answer."


def render_reply(reply: Reply, **values: object) -> str:
    return reply.value.format(**values)


def render_wait(wait: dt.timedelta) -> str:
    """'45 seconds' under two minutes, then whole minutes, rounded up."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


def render_status(reference: str, status: CaseStatus, updated: dt.datetime, waiting: bool) -> str:
    return render_reply(
        Reply.STATUS, reference=reference, words=STATUS_WORDS[status],
        date=updated.strftime("%d %b %Y"), waiting=WAITING_FOR_YOU if waiting else "",
    )


# The same, in two words or so, for the list of a phone's open reports.
SHORT_STATUS_WORDS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "received", CaseStatus.TRIAGED: "with an office", CaseStatus.ACKNOWLEDGED: "accepted",
    CaseStatus.INVESTIGATING: "investigated", CaseStatus.RESPONDED: "answered", CaseStatus.CLOSED: "closed",
    CaseStatus.REJECTED: "closed", CaseStatus.REFERRED: "passed on", CaseStatus.WITHDRAWN: "withdrawn",
    CaseStatus.REOPENED: "reopened",
}
SEGMENT = 160


def render_status_list(cases: list[tuple[str, CaseStatus, bool]]) -> str:
    """Every open report in one segment, as many as fit (then "N more"): reference and a word or two each;
    a report that waits for the complainant says so."""
    items = [f"{reference} " + ("waits for your answer" if waiting else SHORT_STATUS_WORDS[status])
             for reference, status, waiting in cases]
    for shown in range(len(items), 0, -1):
        listed = "; ".join(items[:shown]) + (f"; {len(items) - shown} more" if shown < len(items) else "")
        text = render_reply(Reply.STATUS_LIST, count=len(items), cases=listed)
        if len(text) <= SEGMENT:
            return text
    return render_reply(Reply.STATUS_LIST, count=len(items), cases=f"{len(items)} reports")
