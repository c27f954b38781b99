"""Public pages: report a concern (/report) and follow it up with the receipt code (/track)."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import time
from collections.abc import Sequence

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy.orm.exc import StaleDataError
from wtforms import Field, ValidationError

from civicwatch import errors
from civicwatch.cases.attachments import MAX_FILES, AttachmentError, UploadUnavailableError, clean_filename
from civicwatch.cases.feedback import answer_available, appeal_answer, rate_answer
from civicwatch.cases.models import Case, Channel
from civicwatch.cases.retaliation import open_check_in
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db, limiter
from civicwatch.forms import Form
from civicwatch.intake import lockout, queries, sessions
from civicwatch.intake.filing_workers import reports_queued_now
from civicwatch.intake.forms import (
    APPEAL_REASON_LABEL,
    CHECK_IN_DETAILS_LABEL,
    NO,
    YES,
    AppealForm,
    CheckInForm,
    RatingForm,
    ReplyForm,
    ReportForm,
    TextsForm,
    TrackForm,
)
from civicwatch.intake.idempotency import EarlierSubmission, find_earlier, receive_once
from civicwatch.intake.operations import Receipt, add_complainant_message, answer_texts_question, receive_complaint
from civicwatch.intake.queries import find_case_by_receipt
from civicwatch.intake.queue import QueuedReceipt, queue_report, waiting_report
from civicwatch.intake.retaliation import answer_check_in, answer_sent_before, reads_as_yes, went_to_same_body
from civicwatch.intake.validation import MESSAGE_MAX, SubmissionError
from civicwatch.messaging.queries import case_said_safe_to_text
from civicwatch.settings import public_sms_number
from civicwatch.taxonomy.models import Body
from civicwatch.taxonomy.queries import all_bodies, all_regions, by_code

blueprint = Blueprint("intake", __name__)
log = logging.getLogger(__name__)

# Where "Leave this site quickly" goes: a site that says nothing about why someone was on the phone.
NEUTRAL_SITE = "https://www.google.com/"
WRONG_CODE = _l("We could not find a case with that receipt code. Check the 16 digits and try again.")
CLOSED_FOR_SAFETY = _l("For your safety, your case closed after a few minutes without activity.")


def report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


def track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


def report_files_limit() -> str:
    return current_app.config["REPORT_FILES_RATE_LIMIT"]


def report_stored(response: Response) -> bool:
    """Only a report that was stored counts against the limit: a form sent back with mistakes does not."""
    return response.status_code == 303


def files_chosen() -> int:
    """The files a report or follow-up form brings to be checked (more than MAX_FILES are refused unread)."""
    chosen = sum(1 for storage in request.files.getlist("attachments") if storage.filename)
    return chosen if chosen <= MAX_FILES else 0


def no_files_to_check() -> bool:
    return files_chosen() == 0 or sent_again()


def no_files_chosen() -> bool:
    return files_chosen() == 0


_SENT_FORM = "civicwatch.report_form"


def _sent_form() -> tuple[ReportForm, EarlierSubmission | None]:
    """The report form of this request, and the report it stored already if it is the same form sent again
    (read once per request: the rate limit asks first). Kept in the request's environ, which no other request
    shares (an app context, and its `g`, can outlive one request)."""
    if _SENT_FORM not in request.environ:
        form = ReportForm()
        key = form.idempotency_key() if request.method == "POST" else None
        earlier = find_earlier(key, outside_transaction=_queued_if_new()) if key is not None else None
        request.environ[_SENT_FORM] = form, earlier
    sent: tuple[ReportForm, EarlierSubmission | None] = request.environ[_SENT_FORM]
    return sent


_QUEUED = "civicwatch.report_queued"


def _queued_if_new() -> bool:
    """The report of this request is queued if it is new (no file chosen, and WEB_REPORTS_QUEUED says so now:
    intake.filing_workers): then the request writes nothing through the session, and its reads go outside it.
    Decided once per request."""
    if _QUEUED not in request.environ:
        request.environ[_QUEUED] = not any(
            storage.filename for storage in request.files.getlist("attachments")) and reports_queued_now()
    queued: bool = request.environ[_QUEUED]
    return queued


def sent_again() -> bool:
    """A report stored already is acknowledged again whatever the limit: its retry is owed its receipt."""
    return _sent_form()[1] is not None


@blueprint.route("/report", methods=["GET", "POST"])
@limiter.limit(report_limit, methods=["POST"], deduct_when=report_stored, exempt_when=sent_again)
# Files are checked (decoded, re-encoded) before the form is answered, whatever else is wrong with it: each one counts,
# stored or not, or a client sending forms that are refused would keep the few preparation slots busy for everyone.
# The follow-up page's files share the limit.
@limiter.shared_limit(report_files_limit, "report-files", methods=["POST"], cost=files_chosen,
                      exempt_when=no_files_to_check)
def report() -> ResponseReturnValue:
    form, earlier = _sent_form()
    if earlier is not None:  # the same form sent again: its report is stored already
        return _acknowledge(earlier, form.says_urgent(), _files_not_in(earlier))
    if form.validate_on_submit():
        try:
            outcome = _store_report(form)
        except (SubmissionError, AttachmentError) as exc:
            db.session.rollback()
            form.show_error(exc)
        else:
            return _acknowledge(outcome, form.says_urgent())
    if form.looks_automated:
        log.info("report refused: honeypot field filled")
    return _render_report(form, 400 if form.errors else 200)


def _render_report(form: ReportForm, status: int, headers: dict[str, str] | None = None,
                   **extra: object) -> ResponseReturnValue:
    page = render_template("intake/report.html", form=form, regions=all_regions(),
                           sms_number=public_sms_number(current_app.config), **extra)
    return page, status, headers or {}


def _store_report(form: ReportForm) -> Receipt | EarlierSubmission | QueuedReceipt:
    key = form.idempotency_key()
    if key is None:
        return receive_complaint(form.submission())
    if _queued_if_new() and not form.prepared_files:
        # Stored as sent, for a worker to file (intake.queue). None: a concurrent twin queued it, or it is filed.
        return (queue_report(form.submission(), key) or find_earlier(key, outside_transaction=True)
                or _twin_not_found())
    # report() has just looked the key up; the unique key still catches a concurrent twin.
    return receive_once(key, lambda: receive_complaint(form.submission(), key=key), looked_up=True)


def _twin_not_found() -> EarlierSubmission:
    raise RuntimeError("a queued report's form key was taken, yet no report holds it")


def _files_not_in(earlier: EarlierSubmission) -> list[str]:
    """The names of the files chosen this time that the stored report did not bring (by their bytes' SHA-256):
    files chosen again after a lost answer are not added to it, and the citizen must be told."""
    stored = {str(item[1]) for item in earlier.extra.get("files") or () if len(item) == 2}
    left_out = []
    for storage in request.files.getlist("attachments"):
        if not storage.filename:
            continue
        if hashlib.sha256(storage.read()).hexdigest() not in stored:  # the request is capped (MAX_CONTENT_LENGTH)
            left_out.append(clean_filename(storage.filename))
    return left_out


def _acknowledge(outcome: Receipt | EarlierSubmission | QueuedReceipt, urgent: bool,
                 not_added: Sequence[str] = ()) -> ResponseReturnValue:
    # Nothing here may need the database: the case is stored, the receipt must reach the citizen.
    if isinstance(outcome, QueuedReceipt):
        log.info("web report queued for filing")
        sessions.remember_receipt("", outcome.code, urgent)
        return redirect(url_for("intake.received"), code=303)
    if isinstance(outcome, EarlierSubmission) and outcome.case_id is None:
        log.info("web report sent again: it waits in the queue to be filed")
    elif isinstance(outcome, EarlierSubmission):
        log.info("web report sent again: case %s was stored already", outcome.case_id)
    else:
        log.info("web report stored as case %s", outcome.case_id)
    if outcome.code is None:  # sent again after the receipt's window
        return render_template("intake/already_received.html", reference=outcome.reference, not_added=not_added)
    files = outcome.files if isinstance(outcome, Receipt) else outcome.extra.get("files") or ()
    sessions.remember_receipt(outcome.reference, outcome.code, urgent, files, not_added)
    return redirect(url_for("intake.received"), code=303)


@blueprint.errorhandler(RateLimitExceeded)
def rate_limited(error: RateLimitExceeded) -> ResponseReturnValue:
    """Too many reports from this connection: the form comes back with everything typed and how long to wait."""
    if request.endpoint != "intake.report":
        return errors.rate_limited(error)
    seconds = _seconds_until_reset()
    log.info("report refused: rate limit reached")
    files_dropped = any(storage.filename for storage in request.files.getlist("attachments"))
    return _render_report(ReportForm(), 429, {"Retry-After": str(seconds)}, wait=_in_words(seconds),
                          files_dropped=files_dropped)


def _seconds_until_reset() -> int:
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))  # the limiter counts in wall-clock time


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    return ngettext("%(num)s minute", "%(num)s minutes", math.ceil(seconds / 60))


@blueprint.errorhandler(UploadUnavailableError)
def upload_unavailable(error: UploadUnavailableError) -> ResponseReturnValue:
    """Files could not be checked or stored: nothing was sent; show the form again with what was typed."""
    db.session.rollback()  # removes any file already written
    if request.endpoint == "intake.reply" and (case := sessions.tracked_case()) is not None:
        form = ReplyForm()
        form.attachments.errors = [error.message]
        return _render_case(case, form, error.status)
    report_form = ReportForm()
    report_form.attachments.errors = [error.message]
    return _render_report(report_form, error.status)


def database_unavailable(error: Exception) -> ResponseReturnValue:
    """The database is down: a report or a follow-up message being sent comes back, everything typed kept, on a
    page made without the database, ready to send again (a report with the same form key: if it was stored after
    all, it is not doubled)."""
    response = errors.database_unavailable(error)
    if request.method == "POST" and request.endpoint in ANSWER_TEXTS:
        return _answer_unavailable(*ANSWER_TEXTS[request.endpoint])
    if request.method != "POST" or request.endpoint not in ("intake.report", "intake.reply"):
        return response
    files = any(storage.filename for storage in request.files.getlist("attachments"))
    if request.endpoint == "intake.reply":
        page = render_template("intake/reply_unavailable.html", text=request.form.get("text", ""), files=files)
        return page, 503, {"Retry-After": str(errors.RETRY_AFTER_SECONDS)}
    typed = [(name, value) for name, value in request.form.items(multi=True) if name not in NOT_RESENT]
    page = render_template("intake/report_unavailable.html", text=request.form.get("text", ""), typed=typed,
                           files=files)
    return page, 503, {"Retry-After": str(errors.RETRY_AFTER_SECONDS)}


NOT_RESENT = frozenset({"text", "submit", "website"})
# The follow-up page's answers that carry the citizen's own words: the field, and its label.
ANSWER_TEXTS = {"intake.check_in": ("details", CHECK_IN_DETAILS_LABEL), "intake.appeal": ("reason", APPEAL_REASON_LABEL)}


def _answer_unavailable(name: str, label: str) -> ResponseReturnValue:
    """A check-in answer or an appeal the database refused comes back, as a report does: what was written and
    chosen, ready to send again (an answer taken after all is not taken twice)."""
    typed = [(key, value) for key, value in request.form.items(multi=True)
             if key != name and key != "csrf_token" and not key.startswith("submit")]
    page = render_template("intake/answer_unavailable.html", action=url_for(str(request.endpoint)), name=name, label=label,
                           text=request.form.get(name, ""), typed=typed)
    return page, 503, {"Retry-After": str(errors.RETRY_AFTER_SECONDS)}


for _database_error in errors.DATABASE_UNAVAILABLE:
    blueprint.register_error_handler(_database_error, database_unavailable)


@blueprint.route("/report/received")
def received() -> ResponseReturnValue:
    receipt = sessions.take_receipt()
    if receipt is None:
        return render_template("intake/received_gone.html"), 410
    return render_template("intake/received.html", **receipt)


@blueprint.route("/track", methods=["GET", "POST"])
@limiter.limit(track_limit, methods=["POST"])
def track() -> ResponseReturnValue:
    form = TrackForm()
    if form.validate_on_submit():
        client = lockout.client_key(request.remote_addr)
        wait = lockout.lookup_wait(client)
        if wait is not None:
            return _too_many_attempts(form, wait)
        case = find_case_by_receipt(form.code.data)
        waiting = waiting_report(form.code.data) if case is None else None
        if waiting is not None:
            return render_template("intake/track_waiting.html", delayed=waiting.left_for_an_admin)
        if case is None:
            lockout.register_lookup_failure(client)
            db.session.commit()
            form.code.errors.append(WRONG_CODE)
            return render_template("intake/track.html", form=form), 400
        sessions.open_tracking(case)
        if form.unsent.data and form.unsent.data.strip():
            return _render_case(case, ReplyForm(formdata=None, text=form.unsent.data))
        return redirect(url_for("intake.track_case"), code=303)
    return render_template("intake/track.html", form=form), (400 if form.errors else 200)


def _track_again_with(unsent: str) -> ResponseReturnValue:
    """The case closed for safety while the citizen wrote: the code is asked for again and what they wrote comes
    back with the page, to be in the message box once the case is open again."""
    form = TrackForm(formdata=None, unsent=unsent[:MESSAGE_MAX])
    kept = _("Enter your receipt code again; what you wrote was not sent yet and is kept below.")
    flash(f"{CLOSED_FOR_SAFETY} {kept}", "info")
    return render_template("intake/track.html", form=form)


# Each form of the follow-up page names its case: a page left open in one tab while this browser opened another case
# (two complaints, a shared device) must not rate, appeal or write to the case the browser follows now.
CASE_FIELD = "case_reference"


def _for_another_case(case: Case) -> bool:
    """The form came from the page of another case than the one this browser follows now. A form naming no case
    (a page rendered before forms named theirs: it closed for safety minutes later) is taken as before."""
    sent = request.form.get(CASE_FIELD)
    return sent is not None and sent != case.reference


def _sent_for_another_case(unsent: str = "") -> ResponseReturnValue:
    """Nothing saved: the citizen enters the receipt code of the case the page was for; a message comes back with
    the page, to be in that case's message box."""
    if unsent:
        flash(_("This device now shows another case than the one on that page, so your message was not sent. Enter "
                "that case's receipt code again; what you wrote is kept below."), "info")
    else:
        flash(_("This device now shows another case than the one on that page, so nothing was sent. Enter that "
                "case's receipt code again."), "info")
    return render_template("intake/track.html", form=TrackForm(formdata=None, unsent=unsent[:MESSAGE_MAX])), 409


def _too_many_attempts(form: TrackForm, wait: dt.timedelta) -> ResponseReturnValue:
    seconds = max(1, math.ceil(wait.total_seconds()))
    words = _in_words(seconds)
    form.code.errors.append(_("Too many wrong codes were tried from this connection. Wait %(wait)s, then try again.",
                              wait=words))
    return render_template("intake/track.html", form=form), 429, {"Retry-After": str(seconds)}


CHANGED_MEANWHILE = _l("The oversight body changed your case while you were writing, so what you sent was not saved. "
                      "Read the page again to see where your case is now, then send it again if you still need to. "
                      "What you wrote is below, to copy.")


@blueprint.route("/track/case")
def track_case() -> ResponseReturnValue:
    had_case = sessions.has_tracking()
    case = sessions.tracked_case()
    if case is None:
        if had_case:
            flash(f"{CLOSED_FOR_SAFETY} {_('Enter your receipt code again.')}", "info")
        return redirect(url_for("intake.track"))
    return _render_case(case, ReplyForm())


def _render_case(case: Case, form: ReplyForm | None = None, status: int = 200, *,
                 rating_form: RatingForm | None = None, appeal_form: AppealForm | None = None,
                 check_in_form: CheckInForm | None = None, texts_form: TextsForm | None = None,
                 problem: str | None = None, unsent: str = "") -> ResponseReturnValue:
    current = str(case.satisfaction) if case.satisfaction else None
    texts_safe = (None if case.erased or case.contact_phone_hash is None
                  else case_said_safe_to_text(case.contact_phone_hash, case.id))
    return render_template(
        "intake/case.html", case=case, form=form or ReplyForm(formdata=None),
        rating_form=rating_form or RatingForm(formdata=None, data={"rating": current}),
        appeal_form=appeal_form or AppealForm(formdata=None).offer_bodies(case, all_bodies()), problem=problem,
        answer=queries.published_answer(case), can_rate=answer_available(case),
        status_words=queries.status_words(case),
        status_reason=queries.status_reason(case), body_name=queries.body_name(case),
        progress=queries.progress(case),
        timeline=queries.public_timeline(case), conversation=queries.conversation(case),
        report_files=queries.first_report_files(case),
        check_in=None if case.erased else open_check_in(case),
        check_in_form=check_in_form or CheckInForm(formdata=None), texts_safe=texts_safe,
        texts_form=texts_form or TextsForm(formdata=None, data={"texts_allowed": YES if texts_safe else NO}),
        texts=[(_("What you wrote"), unsent)] if unsent.strip() else [],
    ), status


@blueprint.route("/track/case/reply", methods=["POST"])
@limiter.limit(track_limit)
@limiter.shared_limit(report_files_limit, "report-files", cost=files_chosen, exempt_when=no_files_chosen)
def reply() -> ResponseReturnValue:
    case = sessions.tracked_case()
    if case is None:
        return _track_again_with(request.form.get("text", ""))
    if _for_another_case(case):
        return _sent_for_another_case(request.form.get("text", ""))
    if case.erased:  # the page says so and offers no form
        return _render_case(case, status=409)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            add_complainant_message(case, form.text.data, Channel.WEB, form.prepared_files)
        except ConflictError:  # erased since the page was read: the page now says so and offers no form
            db.session.rollback()
            return _render_case(case, status=409)
        except (SubmissionError, AttachmentError) as exc:
            db.session.rollback()
            target = form.attachments if isinstance(exc, AttachmentError) else form.text
            target.errors = [*target.errors, exc.message]
        else:
            db.session.commit()
            flash(_("Your message was sent. The investigators will see it with your case."), "success")
            return redirect(url_for("intake.track_case"), code=303)
    return _render_case(case, form, 400)


@blueprint.route("/track/case/rate", methods=["POST"])
@limiter.limit(track_limit)
def rate() -> ResponseReturnValue:
    case = sessions.tracked_case()
    if case is None:
        flash(f"{CLOSED_FOR_SAFETY} {_('Enter your receipt code again; your rating was not saved.')}", "info")
        return redirect(url_for("intake.track"), code=303)
    if _for_another_case(case):
        return _sent_for_another_case()
    form = RatingForm()
    if not form.validate_on_submit():
        return _render_case(case, status=400, rating_form=form)
    was_answered = answer_available(case)
    try:
        rate_answer(case, form.rating.data)
    except DomainError as exc:
        db.session.rollback()
        return _answer_refused(case, exc, form.rating, was_answered, rating_form=form)
    rating = case.satisfaction  # read before the commit expires it: the thanks must not need the database
    db.session.commit()
    flash(_("Thank you. Your rating of %(rating)s out of 5 is saved. You can change it at any time.",
            rating=rating), "success")
    return redirect(url_for("intake.track_case", _anchor="answer-title"), code=303)


@blueprint.route("/track/case/check-in", methods=["POST"])
@limiter.limit(track_limit)
def check_in() -> ResponseReturnValue:
    case = sessions.tracked_case()
    if case is None:
        flash(f"{CLOSED_FOR_SAFETY} {_('Enter your receipt code again; your answer was not sent.')}", "info")
        return redirect(url_for("intake.track"), code=303)
    if _for_another_case(case):
        return _sent_for_another_case()
    form = CheckInForm()
    waiting = None if case.erased else open_check_in(case)
    valid = form.validate_on_submit()
    happened = reads_as_yes(form.happened.data == YES, form.details.data)
    if valid and waiting is None and not case.erased \
            and (sent_before := answer_sent_before(case, happened, form.details.data)) is not None:
        # the same answer sent again: it was taken the first time
        if sent_before.reported_case_id is None and sent_before.retaliation_reported:
            return _thank_for_flag()
        opened = db.session.get(Case, sent_before.reported_case_id) if sent_before.reported_case_id else None
        if opened is None:
            return _thank_for_check_in(None)
        return _thank_for_check_in(opened.reference, same_body=went_to_same_body(opened, case))
    if not valid or waiting is None:
        return _render_case(case, status=400 if waiting is not None else 409, check_in_form=form)
    try:
        answer = answer_check_in(waiting, happened, form.details.data, Channel.WEB)
    except SubmissionError as exc:
        db.session.rollback()
        form.details.errors = [*form.details.errors, exc.message]
        return _render_case(case, status=400, check_in_form=form)
    if answer is None or answer.linked is None:
        db.session.commit()
        return _thank_for_flag() if answer is not None and answer.flagged else _thank_for_check_in(None)
    reported = answer.linked
    # Read before the commit expires the cases.
    reference, code, same_body = reported.case.reference, reported.code, went_to_same_body(reported.case, case)
    db.session.commit()
    # The new report's receipt code, shown once as any report's: its reference alone opens nothing.
    sessions.remember_receipt(reference, code)
    return _thank_for_check_in(reference, "intake.received", same_body=same_body)


@blueprint.route("/track/case/texts", methods=["POST"])
@limiter.limit(track_limit)
def texts() -> ResponseReturnValue:
    """The citizen changes whether texts we start may go to the phone they gave: the texts still waiting follow."""
    case = sessions.tracked_case()
    if case is None:
        flash(f"{CLOSED_FOR_SAFETY} {_('Enter your receipt code again; your answer was not saved.')}", "info")
        return redirect(url_for("intake.track"), code=303)
    if _for_another_case(case):
        return _sent_for_another_case()
    if case.erased or case.contact_phone_hash is None:  # the page offers no such question
        return _render_case(case, status=409)
    form = TextsForm()
    if not form.validate_on_submit():
        return _render_case(case, status=400, texts_form=form)
    allowed = form.texts_allowed.data == YES
    answer_texts_question(case, allowed)
    db.session.commit()
    flash(_("Saved. We may send you texts on this phone.") if allowed else
          _("Saved. We will not text you first; read the news of your case on this page."), "success")
    return redirect(url_for("intake.track_case", _anchor="texts-title"), code=303)


def _thank_for_flag() -> ResponseReturnValue:
    flash(_("Thank you for telling us. Your case is now marked urgent, and the oversight body handling it can read "
            "your answer. If you are in danger now, contact emergency services first."), "success")
    return redirect(url_for("intake.track_case"), code=303)


def _thank_for_check_in(reference: str | None, then: str = "intake.track_case", *,
                        same_body: bool = True) -> ResponseReturnValue:
    if reference is None:
        flash(_("Thank you for your answer."), "success")
    elif same_body:
        flash(_("Thank you for telling us. We opened a new report, %(reference)s, and sent it to the same "
                "oversight body as urgent.", reference=reference), "success")
    else:
        flash(_("Thank you for telling us. We opened a new report, %(reference)s, marked as urgent. The oversight "
                "body that handled your case no longer takes cases: we will send it to one that can act on it.",
                reference=reference), "success")
    return redirect(url_for(then), code=303)


@blueprint.route("/track/case/appeal", methods=["POST"])
@limiter.limit(track_limit)
def appeal() -> ResponseReturnValue:
    case = sessions.tracked_case()
    if case is None:
        flash(f"{CLOSED_FOR_SAFETY} {_('Enter your receipt code again; your appeal was not sent.')}", "info")
        return redirect(url_for("intake.track"), code=303)
    if _for_another_case(case):
        return _sent_for_another_case()
    form = AppealForm().offer_bodies(case, all_bodies())
    if not form.validate_on_submit():
        return _render_case(case, status=400, appeal_form=form)
    was_answered = answer_available(case)
    try:
        appeal_answer(case, form.reason.data, by_code(Body, form.body.data) if form.body.data else None)
    except DomainError as exc:
        db.session.rollback()
        return _answer_refused(case, exc, form.reason, was_answered, appeal_form=form)
    case_id = case.id  # read before the commit expires it, as everything the answer needs
    db.session.commit()
    log.info("case %s reopened on appeal from the follow-up page", case_id)
    flash(_("Your appeal was sent. Your case is open again and the oversight body will look at it again."),
          "success")
    return redirect(url_for("intake.track_case"), code=303)


def _answer_refused(case: Case, error: DomainError, field: Field, was_answered: bool,
                    **forms: Form) -> ResponseReturnValue:
    """The operation said no: a problem with what was sent goes next to the field (400); no answer to
    rate or appeal (not answered yet, or the case moved on) is said at the top of the page (409). When the page read
    an answer the case no longer has (staff changed the case meanwhile), the page says so, what was written given
    back to copy."""
    if error.status == 400:
        field.errors = [*field.errors, error.message]
        return _render_case(case, status=400, **forms)
    if was_answered:  # erased meanwhile: the page says so and offers no form, as for a follow-up
        return _render_case(case, status=409) if case.erased else _changed_meanwhile(case)
    return _render_case(case, status=error.status, problem=error.message)


def _changed_meanwhile(case: Case) -> ResponseReturnValue:
    return _render_case(case, status=409, problem=CHANGED_MEANWHILE, unsent=_written())


def _written() -> str:
    """The free text the complainant's form held (a follow-up, an appeal's reason, a check-in's details)."""
    return next((request.form.get(name, "") for name in ("text", "reason", "details")
                 if request.form.get(name, "").strip()), "")


@blueprint.errorhandler(StaleDataError)
def case_changed_meanwhile(error: StaleDataError) -> ResponseReturnValue:
    """A write of the case that met another (the operations lock the case, so this is the last guard): the
    complainant is told in their words, not the staff's conflict page's."""
    db.session.rollback()
    case = sessions.tracked_case()
    if case is None:
        return _track_again_with(_written())
    return _changed_meanwhile(case)


@blueprint.route("/track/leave", methods=["POST"])
def leave() -> ResponseReturnValue:
    sessions.revoke_tracking()  # CSRFProtect has already checked the token, as for every POST
    db.session.commit()
    flash(_("This device no longer shows your case. Your report is still open: enter your receipt code to see it "
            "again."), "success")
    return redirect(url_for("intake.track"), code=303)


@blueprint.app_template_global()  # a global: the quick_exit macro is imported without the page's context
def quick_exit_href() -> str:
    """The neutral site itself, or, while this browser follows a case, our exit that ends the case's sessions
    first. Only then a token: a page that opened no case must not start a session (a cookie) by showing it."""
    if not sessions.has_tracking():
        return NEUTRAL_SITE
    return url_for("intake.quick_exit", t=generate_csrf())


@blueprint.get("/track/leave-quickly")
def quick_exit() -> ResponseReturnValue:
    """The quick exit, as a link that works without JavaScript: every session opened with the receipt code
    ends (with this browser's token; a link from elsewhere cannot end them), this browser forgets everything,
    and the browser goes to the neutral site told to clear what it kept of ours."""
    if sessions.has_tracking() and _token_valid(request.args.get("t")):
        sessions.revoke_tracking()
        db.session.commit()
    # Whatever the token: someone leaving in a hurry never stays signed in to their case on this device.
    session.clear()
    response = redirect(NEUTRAL_SITE, code=303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_valid(token: str | None) -> bool:
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True
