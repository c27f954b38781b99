"""Publishing answers: drafts and their redaction, four eyes, withdrawal. Every operation writes its audit entry
and flushes; the caller commits once."""
from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civicwatch.accounts.models import User
from civicwatch.audit.operations import record_audit
from civicwatch.cases.feedback import ANSWERED
from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import STATUS_LABELS, Case, CaseEvent
from civicwatch.cases.notifications import FEEDBACK_BY_TEXT, PUBLISHED_NEWS, notify_complainant, sms_prefix
from civicwatch.cases.operations import lock_case
from civicwatch.cases.workflow import REASON_MAX
from civicwatch.crypto import DecryptionError
from civicwatch.database import utcnow
from civicwatch.errors import ConflictError, DomainError, InvalidTransitionError
from civicwatch.extensions import db
from civicwatch.i18n import N_
from civicwatch.publishing import permissions
from civicwatch.publishing.lookalikes import as_digits, as_latin
from civicwatch.publishing.models import Publication, PublicationStatus
from civicwatch.publishing.name_spellings import joined_letters, reads_as, sound
from civicwatch.publishing.redaction import (
    DIGIT_RUN,
    LABEL_NAMES,
    LABELS,
    NON_DIGITS,
    Decision,
    KnownDetails,
    Proposal,
    apply_redactions,
    local_digits,
    propose_redactions,
    visible_text,
)
from civicwatch.publishing.spoken_digits import spoken_runs
from civicwatch.publishing.workflow import transition_publication
from civicwatch.text import FORMAT, Field, check_text

SUMMARY_FIELD = Field(_l("Write the public summary first."),
                      _l("The public summary is too long: at most %(maximum)s characters."))
RESPONSE_FIELD = Field(_l("Write the response first."),
                       _l("The response is too long: at most %(maximum)s characters."))

log = logging.getLogger(__name__)

P = PublicationStatus
FIELDS = ("summary", "response")
TEXT_MAX = 20_000
REPLACEMENT_MAX = 60
EXTRA_TERMS_MAX = 50
_WORD = re.compile(r"[^\W\d_]+")


# ---------------------------------------------------------------- what the case says about the complainant

def known_details(case: Case) -> KnownDetails:
    """The complainant's name, phone and email from the case's encrypted contact data (never logged); none when it
    cannot be decrypted (the assistant then proposes what it finds alone: publishing is refused by
    `readable_details`)."""
    try:
        return readable_details(case)
    except DraftError:
        log.warning("contact data of case %s could not be decrypted for redaction", case.id)
        return KnownDetails()


def readable_details(case: Case) -> KnownDetails:
    """As `known_details`, but contact data the identity key cannot decrypt refuses the move: the leak guard would be
    blind. A case without contact data (anonymous, or erased) has nothing to compare."""
    try:
        contact = contact_of(case)
    except DecryptionError:
        raise DraftError({"summary": gettext(CONTACT_UNREADABLE)}) from None
    names = [str(contact[key]) for key in ("name", "first_name", "last_name", "full_name") if contact.get(key)]
    phones = [str(contact["phone"])] if contact.get("phone") else []
    emails = [str(contact["email"])] if contact.get("email") else []
    return KnownDetails(tuple(names), tuple(phones), tuple(emails))


def leaked_details(known: KnownDetails, texts: Iterable[str]) -> list[str]:
    """What of the complainant's known details is still in `texts` (by kind, never the detail itself), also written
    with letters of other scripts drawn as Latin ones, a number with letters for digits ("O76 555 l23") or in words
    ("zero seven six..."): only compared with the complainant's own details, so an ordinary word read otherwise
    refuses nothing."""
    found: list[str] = []
    for text in map(_comparable, texts):
        lowered = text.lower()
        # Also as written: "|" reads as a 1 inside a number and as a mark between its groups.
        numbers = [NON_DIGITS.sub("", run) for written in {as_digits(text), text} for run in DIGIT_RUN.findall(written)]
        if known.phones:  # "zero seven six five five five..."
            numbers += [run.digits for run in spoken_runs(text)]
        joined = joined_letters(lowered)  # "f a t m a t a" as "fatmata"
        if (any(name.lower() in written for name in map(_comparable, known.names) if len(name) >= 3
                for written in (lowered, joined))
                or _name_parts_side_by_side(joined, known.names)):
            found.append("name")
        if any(_written_out(_comparable(email)).search(lowered) for email in known.emails):
            found.append("email address")
        if any(local_digits(phone) and local_digits(phone) in number for phone in known.phones for number in numbers):
            found.append("phone number")
    return sorted(set(found))


def _written_out(email: str) -> re.Pattern[str]:
    """The address however it is written to get past robots: its words in order, the @ and the dots written as
    they are, as "at" and "dot", in brackets, or with spaces around them ("name [at] example [dot] org")."""
    words = re.findall(r"[^\W_]+", email.lower())
    joint = r"[\W_]*(?:(?:at|dot)[\W_]*)?"
    return re.compile(r"(?<![^\W_])" + joint.join(map(re.escape, words)) + r"(?![^\W_])")


def _name_parts_side_by_side(lowered: str, names: Iterable[str]) -> bool:
    """Two different parts of the complainant's name next to each other, in either order and whatever stands between
    them but letters ("Conteh Fatmata", "CONTEH, Fatmata", "Fatmata-Conteh", a middle name left out or written as an
    initial), each as written or misspelt as a reader still knows it ("Fatmatta Kontteh", `name_spellings.reads_as`):
    a reader knows the name. A part alone (a surname officers and witnesses share) is not taken for it."""
    parts = {sound(part) for name in names for part in _WORD.findall(_comparable(name).lower()) if len(part) >= 2}
    if len(parts) < 2:
        return False
    read: dict[str, frozenset[str]] = {}
    words = []
    for word in _WORD.findall(lowered):
        if len(word) < 2:
            continue  # an initial stands between parts
        if word not in read:
            heard = sound(word)
            read[word] = frozenset(part for part in parts if reads_as(heard, part))
        words.append(read[word])
    return any(a and b and (len(a | b) >= 2) for a, b in itertools.pairwise(words))


def _comparable(text: str) -> str:
    # As a reader sees it: no invisible character at all, full-width digits and the digits of other scripts
    # (Arabic-Indic ٠٧٦...) as ASCII digits, Cyrillic and Greek letters drawn as Latin ones ("а", "о") as those,
    # any space as one space.
    visible = "".join(ch for ch in text if unicodedata.category(ch) != FORMAT)
    normal = unicodedata.normalize("NFKC", visible)
    if not normal.isascii():
        normal = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in normal)
    return " ".join(as_latin(normal).split())


CONTACT_UNREADABLE = N_("The complainant's contact details cannot be decrypted, so nothing can check that this answer "
                        "does not identify them. The draft is kept as it is; an administrator must restore the key the "
                        "contact details were encrypted with (CIVICWATCH_IDENTITY_KEY) before it can go further.")
LEAK_WORDS = {"name": N_("the complainant's name"), "email address": N_("the complainant's email address"),
              "phone number": N_("the complainant's phone number")}


def _refuse_leaks(case: Case, publication: Publication) -> None:
    known = readable_details(case)
    problems = {}
    for name in FIELDS:
        leaks = leaked_details(known, [getattr(publication, name)])
        if leaks:
            details = gettext(" and ").join(gettext(LEAK_WORDS[leak]) for leak in leaks)
            problems[name] = gettext("The published text still contains %(details)s. Hide it before this answer can "
                                     "go further.", details=details)
    if problems:
        raise DraftError(problems)


class DraftError(DomainError):
    """A refusal of what the draft's fields hold: `problems` maps each field at fault (one of FIELDS, or
    "extra_terms") to what is wrong with it, so that the page says it beside that field."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(" ".join(dict.fromkeys(problems.values())))
        self.problems = dict(problems)


# ---------------------------------------------------------------- drafting

@dataclass(frozen=True)
class DraftView:
    """A draft with the assistant's current proposals and the decisions applied to them."""

    proposals: list[Proposal]
    decisions: dict[str, Decision]  # proposal key -> decision


def proposals_for(publication: Publication) -> list[Proposal]:
    known = known_details(publication.case)
    extra = publication.extra_terms or []
    return [proposal for field_name in FIELDS
            for proposal in propose_redactions(field_name, getattr(publication, f"{field_name}_source"), known, extra)]


def draft_view(publication: Publication) -> DraftView:
    stored = {f"{d['field']}:{d['start']}:{d['end']}": Decision.from_dict(d) for d in publication.redactions or []}
    return DraftView(proposals_for(publication), stored)


def start_publication(case: Case, user: User) -> Publication:
    """A new draft version of the case's public answer, from its findings and draft public response,
    with every proposal of the redaction assistant accepted.

    The case is read again under its lock first: the retention run may have erased it since it was read, and the
    findings copied from the page's read would then be kept for ever (no run erases a case twice)."""
    permissions.require_start(user, case)
    lock_case(case.id)
    permissions.require_start(user, case)
    pending = db.session.scalar(select(Publication).where(
        Publication.case_id == case.id, Publication.status.in_((P.DRAFT, P.AWAITING_APPROVAL))))
    if pending is not None:
        raise ConflictError(gettext("Version %(version)s of this answer is already being prepared. Continue with "
                                    "it, or discard it first.", version=pending.version))
    version = (db.session.scalar(select(func.max(Publication.version)).where(Publication.case_id == case.id)) or 0) + 1
    publication = Publication(
        case=case, version=version, status=P.DRAFT, author_id=user.id,
        summary_source=visible_text(case.findings or "").strip(),
        response_source=visible_text(case.draft_public_response or "").strip(),
        summary="", response="", redactions=[], extra_terms=[],
    )
    db.session.add(publication)
    _redact(publication)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError(gettext("Someone started a draft for this case at the same moment. Reload the page.")) from None
    record_audit(user, "publication.draft", publication, case=case,
                 after={"version": version, "proposals": len(publication.redactions)})
    return publication


def save_draft(publication: Publication, user: User, summary_source: str, response_source: str,
               choices: Mapping[str, tuple[bool, str]], extra_terms: str | None) -> None:
    """Store the author's texts and their decision on each proposal shown to them.

    `choices` maps a proposal's key to (hide, replacement) as the form posted it. When the texts changed,
    the proposals are found again: a span the author had chosen to leave stays visible if it is still there
    with the same words, and one the author ticked stays hidden; everything new gets its kind's default
    (hidden, except a possible name, which is shown unticked) until the author decides otherwise.
    """
    permissions.require_edit(user, publication)
    summary_source = _checked("summary", summary_source, SUMMARY_FIELD)
    response_source = _checked("response", response_source, RESPONSE_FIELD)
    before = {"summary": publication.summary, "response": publication.response}
    old_sources = {name: getattr(publication, f"{name}_source") for name in FIELDS}
    shown = {key: choice for key, choice in choices.items()}
    hide_choices: dict[tuple[str, str], bool] = {}
    for key, (hide, _) in shown.items():
        identity = (key.split(":")[0], _span_text(old_sources, key))
        hide_choices[identity] = hide and hide_choices.get(identity, True)  # left visible once: left visible
    replacements = {(key.split(":")[0], _span_text(old_sources, key)): text for key, (_, text) in shown.items()}
    publication.summary_source, publication.response_source = summary_source, response_source
    publication.extra_terms = _terms(extra_terms)
    _redact(publication, hide_choices, replacements)
    db.session.flush()
    record_audit(user, "publication.edit", publication, case=publication.case, before=before,
                 after={"summary": publication.summary, "response": publication.response,
                        "hidden": sum(1 for d in publication.redactions if d["hide"])})


def _checked(name: str, raw: str, field: Field) -> str:
    try:
        return check_text(visible_text(raw or ""), field, TEXT_MAX)
    except DomainError as exc:
        raise DraftError({name: exc.message}) from None


def _span_text(sources: Mapping[str, str], key: str) -> str:
    try:
        field_name, start, end = key.split(":")
        return sources[field_name][int(start):int(end)]
    except (KeyError, ValueError):
        return ""


def _redact(publication: Publication, hide_choices: Mapping[tuple[str, str], bool] | None = None,
            replacements: Mapping[tuple[str, str], str] | None = None) -> None:
    """Find the proposals again, carry over the author's choices, and write the texts the public reads.

    `hide_choices` and `replacements` are the author's choices, keyed by (field, the words of the span); a
    proposal without a choice gets its kind's default (hidden, except a possible name)."""
    hide_choices = hide_choices or {}
    replacements = replacements or {}
    decisions = []
    for proposal in proposals_for(publication):
        identity = (proposal.field, proposal.text)
        replacement = _clean_replacement(replacements.get(identity), proposal.label)
        decisions.append(Decision(proposal.field, proposal.start, proposal.end, proposal.label,
                                  hide_choices.get(identity, proposal.hidden_by_default), replacement))
    publication.redactions = [d.as_dict() for d in decisions]
    publication.summary = apply_redactions(publication.summary_source, "summary", decisions)
    publication.response = apply_redactions(publication.response_source, "response", decisions)


def _clean_replacement(value: str | None, label: str) -> str:
    text = " ".join(visible_text(value or "").split())[:REPLACEMENT_MAX]
    return text or LABELS[label]


def _terms(raw: str | None) -> list[str]:
    terms = [" ".join(line.split()) for line in visible_text(raw or "").splitlines()]
    unique = list(dict.fromkeys(term for term in terms if term))
    if len(unique) > EXTRA_TERMS_MAX:
        raise DraftError({"extra_terms": gettext("List at most %(max)s words or phrases to hide.", max=EXTRA_TERMS_MAX)})
    return unique


def discard_draft(publication: Publication, user: User) -> None:
    """The draft goes: by its author, or by any publisher once its case was erased (the entry says which)."""
    permissions.require_discard(user, publication)
    record_audit(user, "publication.discard", publication, case=publication.case,
                 before={"version": publication.version, "status": publication.status.value},
                 after={"case_erased": publication.case.erased})
    db.session.delete(publication)
    db.session.flush()


# ---------------------------------------------------------------- four eyes

def submit_publication(publication: Publication, user: User) -> None:
    """The author hands the redacted text to a colleague for approval."""
    permissions.require_edit(user, publication)
    empty = [name for name in FIELDS if not getattr(publication, name).strip()]
    if empty:
        raise DraftError({name: gettext("Write both the public summary and the response before submitting.")
                          for name in empty})
    _refuse_leaks(publication.case, publication)
    publication.submitted_at = utcnow()
    transition_publication(publication, P.AWAITING_APPROVAL, user)


def send_back_publication(publication: Publication, user: User, note: str | None) -> None:
    """Back to the author as a draft, with the reviewer's note."""
    permissions.require_send_back(user, publication)
    note = " ".join((note or "").split())[:REASON_MAX] or None
    if note is None and user.id != publication.author_id:
        raise DomainError(gettext("Tell the author what to change."))
    publication.review_note = note
    transition_publication(publication, P.DRAFT, user, after={"note": note})


def approve_publication(publication: Publication, user: User, confirmed: bool) -> None:
    """A second staff member publishes the answer: the previous version is superseded, the complainant is
    told on their follow-up page and by SMS."""
    permissions.require_approve(user, publication)
    case = publication.case
    if case.status not in ANSWERED:
        raise InvalidTransitionError(gettext("The case is %(status)s now; only an answered case is published.",
                                             status=gettext(STATUS_LABELS[case.status]).lower()))
    if not confirmed:
        raise DomainError(gettext("Confirm that you read the published text and that it identifies no one."))
    _refuse_leaks(case, publication)
    now = utcnow()
    previous = db.session.scalar(select(Publication).where(Publication.case_id == case.id,
                                                           Publication.status == P.PUBLISHED))
    if previous is not None:  # one live answer per case: the old one steps aside first
        transition_publication(previous, P.SUPERSEDED, user, after={"by_version": publication.version})
    publication.approver_id = user.id
    publication.published_at = now
    publication.body_id, publication.theme_id, publication.outcome = case.body_id, case.theme_id, case.outcome
    publication.answered_at = case.responded_at or case.closed_at or now
    db.session.add(CaseEvent(case=case, kind="answer_published", public=True, created_at=now, user_id=user.id,
                             detail={"version": publication.version}))
    transition_publication(publication, P.PUBLISHED, user, before={"superseded": previous.id if previous else None},
                           after={"author": publication.author_id, "approver": user.id})
    _tell_complainant_published(case)


def _tell_complainant_published(case: Case) -> None:
    from flask import current_app

    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    url = f"{base}/published/{case.reference}"
    notify_complainant(case, lambda: sms_prefix(case) + gettext(PUBLISHED_NEWS).format(url=url) + " "
                       + gettext(FEEDBACK_BY_TEXT), purpose="answer")


def withdraw_publication(publication: Publication, user: User, reason: str | None) -> None:
    """Take a published answer down. The reason stays public in its place."""
    permissions.require_withdraw(user, publication)
    reason = " ".join(visible_text(reason or "").split())
    if not reason:
        raise DomainError(gettext("Give the reason the public will read."))
    if len(reason) > 1000:
        raise DomainError(gettext("Keep the reason under 1,000 characters."))
    _refuse_identifying_reason(publication, reason)
    now = utcnow()
    publication.withdrawn_at, publication.withdrawn_by_id, publication.withdraw_reason = now, user.id, reason
    db.session.add(CaseEvent(case=publication.case, kind="answer_withdrawn", public=True, created_at=now,
                             user_id=user.id, detail={"version": publication.version, "reason": reason}))
    transition_publication(publication, P.WITHDRAWN, user, after={"reason": reason})


def _refuse_identifying_reason(publication: Publication, reason: str) -> None:
    # Unlike the answer, the reason is published as written: no redaction and no second pair of eyes.
    found = identifying_details(publication, reason)
    if found:
        raise DomainError(gettext("The reason is published as written and must identify no one. Take out what the "
                                  "assistant found: %(details)s.", details=", ".join(found)))


def identifying_details(publication: Publication, text: str) -> list[str]:
    """What in `text` could identify someone, by kind in the reader's language: whatever the redaction assistant
    hides by default (the staff's extra terms included), and the complainant's known details."""
    known = known_details(publication.case)
    proposals = propose_redactions("reason", text, known, publication.extra_terms or [])
    kinds = [gettext(LABEL_NAMES[p.label]).lower() for p in proposals if p.hidden_by_default]
    kinds += [gettext(LEAK_WORDS[leak]) for leak in leaked_details(known, [text])]
    return list(dict.fromkeys(kinds))
