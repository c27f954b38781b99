"""Published answers: the public pages (the list, one answer, the Atom feed, the answers as open data; no
sign-in and no JavaScript) and the staff pages that draft, approve and withdraw them. Thin: parse, authorise,
call one operation, commit, redirect."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from civicwatch.accounts.models import User
from civicwatch.accounts.permissions import staff_required
from civicwatch.audit.operations import record_audit
from civicwatch.cases.operations import lock_case
from civicwatch.database import utcnow
from civicwatch.errors import DOMAIN_TITLES, ConflictError, DomainError, render_error, unsent_texts
from civicwatch.extensions import db, limiter
from civicwatch.forms import confirmation_page
from civicwatch.open_data import download_limit, filter_problem, iso, licence, licence_context, public_caching
from civicwatch.open_data_cache import shared_download
from civicwatch.public_urls import public_url_for
from civicwatch.publishing import exports, operations, permissions, queries
from civicwatch.publishing.forms import (
    DiscardForm,
    DraftForm,
    PublishedSearchForm,
    ReviewForm,
    StartDraftForm,
    WithdrawForm,
)
from civicwatch.publishing.models import Publication
from civicwatch.publishing.queries import AnswerSearch, answer_history, answers_changed, latest_answers, search_answers
from civicwatch.publishing.redaction import LABEL_NAMES, Decision, marked_segments
from civicwatch.taxonomy.queries import all_bodies, all_themes
from civicwatch.xmltext import xml_text

blueprint = Blueprint("publishing", __name__)
blueprint.context_processor(licence_context)
blueprint.after_request(public_caching)


# ---------------------------------------------------------------- the public pages

def _answer_search(args: MultiDict) -> tuple[PublishedSearchForm, AnswerSearch | None]:
    form = PublishedSearchForm(args, all_bodies(active_only=False), all_themes())
    if not form.validate():
        return form, None
    return form, AnswerSearch(q=form.q.data or None, body_code=form.body.data or None,
                              theme_code=form.theme.data or None, outcome=form.outcome.data or None,
                              year=int(form.year.data) if form.year.data else None)


def _page_number() -> int:
    try:
        return min(max(int(request.args.get("page", "1")), 1), 10_000)
    except ValueError:
        return 1


@blueprint.route("/published")
def published() -> tuple[str, int]:
    form, search = _answer_search(request.args)
    page = _page_number()
    answers, more = search_answers(search, page) if search is not None else ([], False)
    arguments = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("publishing/published.html", form=form, answers=answers, page=page, more=more,
                           arguments=arguments), (200 if search is not None else 400)


@blueprint.route("/published/<reference>")
def published_answer(reference: str) -> str:
    if len(reference) > 32:
        abort(404)
    history = answer_history(reference.upper())
    if history is None:
        abort(404)
    return render_template("publishing/answer.html", history=history)


@blueprint.route("/published/feed.atom")
def feed() -> Response:
    answers = latest_answers()
    updated = max((a.updated_at for a in answers if a.updated_at), default=utcnow())
    xml = xml_text(render_template("publishing/feed.xml", answers=answers, updated=updated,
                          base=current_app.config["PUBLIC_BASE_URL"].rstrip("/")))
    return Response(xml, mimetype="application/atom+xml")


def _answers_meta() -> dict[str, Any]:
    return {"licence": licence(), "source": public_url_for("publishing.published"),
            "generated_at": iso(utcnow())}


@blueprint.route("/published/answers.csv")
@limiter.shared_limit(download_limit, scope="published-answers-download")
def answers_csv() -> ResponseReturnValue:
    form, search = _answer_search(request.args)
    if search is None:
        return filter_problem(form)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return shared_download(answers_changed(), lambda: exports.answers_csv(search, base), "text/csv",
                           "civicwatch-published-answers.csv")


@blueprint.route("/published/answers.json")
@limiter.shared_limit(download_limit, scope="published-answers-download")
def answers_json() -> ResponseReturnValue:
    form, search = _answer_search(request.args)
    if search is None:
        return filter_problem(form)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return shared_download(answers_changed(), lambda: exports.answers_json(search, base, _answers_meta()),
                           "application/json", "civicwatch-published-answers.json")


# ---------------------------------------------------------------- staff: drafting, four eyes, withdrawal

def _check_row_version(publication: Publication, posted: str | None) -> None:
    if str(publication.row_version) != (posted or ""):
        raise ConflictError(gettext("Someone else changed this answer after you opened it, so nothing was saved. "
                                    "Reload the page to see the current version."))


def _locked(publication: Publication, posted: str | None,
            require: Callable[[User, Publication], None]) -> ResponseReturnValue | None:
    """Lock the case and read it and the answer again under the lock, then check the move (`require`) and the
    version the form was made from. A change committed since this request read them (the retention run erasing
    the case, which also changes its answers' rows) refuses the form in its own words, "the case's content was
    erased" rather than "someone else changed it"; the refusal page gives back what was typed. None: go on."""
    lock_case(publication.case_id)
    db.session.refresh(publication)
    try:
        require(current_user, publication)
        _check_row_version(publication, posted)
    except ConflictError as error:
        db.session.rollback()
        return render_error(error.status, str(DOMAIN_TITLES[error.status]), error.message, texts=unsent_texts())
    return None


@blueprint.route("/staff/publications")
@staff_required
def publications() -> str:
    return render_template(
        "publishing/staff/publications.html",
        awaiting=queries.awaiting_approval(current_user), my_drafts=queries.drafts_of(current_user),
        other_drafts=queries.other_drafts(current_user), erased=queries.left_by_erasure(current_user),
        ready=queries.answered_without_publication(current_user),
        published=queries.recently_published(current_user), is_publisher=permissions.is_publisher(current_user))


@blueprint.route("/staff/publications/case/<int:case_id>")
@staff_required
def case_publications(case_id: int) -> str:
    case = permissions.load_case_for_publishing(current_user, case_id)
    record_audit(current_user, "case.view", case, after={"page": "publications"})
    db.session.commit()
    return render_template("publishing/staff/case.html", case=case, versions=queries.case_publications(case),
                           may_start=permissions.may_start(current_user, case), start_form=StartDraftForm())


@blueprint.route("/staff/publications/case/<int:case_id>/start", methods=["POST"])
@staff_required
def start_publication(case_id: int) -> ResponseReturnValue:
    form = StartDraftForm()
    if not form.validate_on_submit():
        abort(400)
    case = permissions.load_case_for_publishing(current_user, case_id)
    publication = operations.start_publication(case, current_user)
    db.session.commit()
    flash(gettext("Draft started from the findings and the draft public response. Check every proposal below."), "success")
    return redirect(url_for("publishing.publication", publication_id=publication.id))


def _choices(view: operations.DraftView) -> dict[str, tuple[bool, str]]:
    """The author's decision on each proposal the page showed, as posted."""
    return {p.key(): (request.form.get(f"hide-{p.key()}") == "1", request.form.get(f"replacement-{p.key()}", ""))
            for p in view.proposals}


def _render_publication(publication: Publication, status: int = 200, draft_form: DraftForm | None = None,
                        review_form: ReviewForm | None = None,
                        withdraw_form: WithdrawForm | None = None) -> tuple[str, int]:
    user = current_user
    may_edit = permissions.may_edit(user, publication)
    # The proposals come from the complainant's decrypted contact details: only for whom they are shown to.
    view = operations.draft_view(publication) if may_edit else operations.DraftView([], {})
    draft_form = draft_form or _draft_form(publication)
    decisions = [Decision.from_dict(d) for d in publication.redactions or []]
    segments = {name: marked_segments(getattr(publication, f"{name}_source"), name, decisions)
                for name in operations.FIELDS}
    return render_template(
        "publishing/staff/publication.html", publication=publication, case=publication.case, view=view,
        view_segments=segments,
        label_names=LABEL_NAMES, draft_form=draft_form,
        review_form=review_form or ReviewForm(formdata=None, data={"row_version": publication.row_version}),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None, data={"row_version": publication.row_version}),
        discard_form=DiscardForm(formdata=None, data={"row_version": publication.row_version}),
        may_edit=may_edit, may_approve=permissions.may_approve(user, publication),
        may_send_back=permissions.may_send_back(user, publication),
        may_withdraw=permissions.may_withdraw(user, publication),
        may_discard=permissions.may_discard(user, publication),
    ), status


def _draft_form(publication: Publication) -> DraftForm:
    """The draft form holding what is stored: a form given no formdata would read the POST this page answers."""
    return DraftForm(formdata=None, data={
        "row_version": publication.row_version, "summary_source": publication.summary_source,
        "response_source": publication.response_source, "extra_terms": "\n".join(publication.extra_terms or [])})


def _beside_fields(form: DraftForm, error: operations.DraftError) -> DraftForm:
    fields = {"summary": form.summary_source, "response": form.response_source, "extra_terms": form.extra_terms}
    for name, message in error.problems.items():
        fields[name].errors = [message]
    return form


@blueprint.route("/staff/publications/<int:publication_id>", methods=["GET", "POST"])
@staff_required
def publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    if request.method == "GET":
        record_audit(current_user, "publication.view", publication, case=publication.case)
        db.session.commit()
        return _render_publication(publication)
    form = DraftForm()
    if not form.validate_on_submit():
        return _render_publication(publication, 400, form)
    refused = _locked(publication, form.row_version.data, permissions.require_edit)
    if refused is not None:
        return refused
    view = operations.draft_view(publication)
    try:
        operations.save_draft(publication, current_user, form.summary_source.data, form.response_source.data,
                              _choices(view), form.extra_terms.data)
    except operations.DraftError as exc:
        db.session.rollback()
        return _render_publication(publication, 400, _beside_fields(form, exc))  # the text as posted
    if form.submit_for_approval.data:
        try:
            operations.submit_publication(publication, current_user)
        except operations.DraftError as exc:
            # The edits are kept as the draft, with the proposals found in them: what is still to hide is there
            # to tick. Only the submission is refused.
            db.session.commit()
            flash(gettext("Your changes are saved in the draft, but it was not submitted."), "error")
            return _render_publication(publication, 400, _beside_fields(_draft_form(publication), exc))
        db.session.commit()
        flash(gettext("Submitted. Another staff member must now read and approve it."), "success")
        return redirect(url_for("publishing.publications"))
    db.session.commit()
    flash(gettext("Saved. The proposals below were checked again against the new text."), "success")
    return redirect(url_for("publishing.publication", publication_id=publication.id))


@blueprint.route("/staff/publications/<int:publication_id>/review", methods=["POST"])
@staff_required
def review_publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_publication(publication, 400, review_form=form)
    refused = _locked(publication, form.row_version.data,
                      permissions.require_approve if form.approve.data else permissions.require_send_back)
    if refused is not None:
        return refused
    try:
        if form.approve.data:
            operations.approve_publication(publication, current_user, bool(form.confirm.data))
            message = gettext("Published. %(reference)s is now on the public pages.", reference=publication.case.reference)
        else:
            operations.send_back_publication(publication, current_user, form.note.data)
            message = gettext("Sent back to the author as a draft.")
    except DomainError as exc:
        if exc.status != 400:
            raise
        db.session.rollback()
        # The reviewer's own mistake (the box not ticked, no note): shown on the page beside the form.
        (form.confirm if form.approve.data else form.note).errors = [exc.message]
        return _render_publication(publication, 400, review_form=form)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("publishing.publication", publication_id=publication.id))


@blueprint.route("/staff/publications/<int:publication_id>/withdraw", methods=["POST"])
@staff_required
def withdraw_publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_publication(publication, 400, withdraw_form=form)
    refused = _locked(publication, form.row_version.data, permissions.require_withdraw)
    if refused is not None:
        return refused
    try:
        operations.withdraw_publication(publication, current_user, form.reason.data)
    except DomainError as exc:
        if exc.status != 400:
            raise
        db.session.rollback()
        form.reason.errors = [exc.message]  # the reason to rewrite, shown beside it
        return _render_publication(publication, 400, withdraw_form=form)
    db.session.commit()
    flash(gettext("Withdrawn. The public page now shows your reason instead of the answer."), "success")
    return redirect(url_for("publishing.publication", publication_id=publication.id))


@blueprint.route("/staff/publications/<int:publication_id>/discard", methods=["GET", "POST"])
@staff_required
def discard_publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    form = DiscardForm()
    if not form.is_confirmed():
        permissions.require_discard(current_user, publication)
        # The version the discarding member saw on the draft's page (the link carries it), checked at the POST.
        seen = request.values.get("row_version") or str(publication.row_version)
        return confirmation_page(
            form, title=gettext("Discard version %(version)s of the answer to %(case)s?",
                                version=publication.version, case=publication.case.reference),
            consequence=gettext("This draft of the public answer to %(case)s is deleted with everything written in "
                                "it. The case and its published answers, if any, stay as they are.",
                                case=publication.case.reference),
            button=gettext("Discard the draft"),
            cancel=url_for("publishing.publication", publication_id=publication.id), fields={"row_version": seen})
    if not form.validate_on_submit():
        abort(400)
    _check_row_version(publication, form.row_version.data)
    case_id = publication.case_id
    operations.discard_draft(publication, current_user)
    db.session.commit()
    flash(gettext("Draft discarded."), "success")
    return redirect(url_for("publishing.case_publications", case_id=case_id))
