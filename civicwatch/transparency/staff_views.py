"""Staff pages of the transparency blueprint: drafting, approving and withdrawing public answers, and the
administrators' Open311 API keys. Thin: parse, authorise, call one operation, commit, redirect."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from civicwatch.accounts.permissions import admin_required, staff_required
from civicwatch.audit.operations import record_audit
from civicwatch.errors import ConflictError
from civicwatch.extensions import db
from civicwatch.transparency import operations, permissions, queries
from civicwatch.transparency.forms import (
    ApiKeyForm,
    DiscardForm,
    DraftForm,
    ReviewForm,
    RevokeApiKeyForm,
    StartDraftForm,
    WithdrawForm,
)
from civicwatch.transparency.models import ApiKey, Publication
from civicwatch.transparency.redaction import LABEL_NAMES, Decision, marked_segments
from civicwatch.transparency.views import blueprint


def _check_row_version(publication: Publication, posted: str | None) -> None:
    if str(publication.row_version) != (posted or ""):
        raise ConflictError("Someone else changed this answer after you opened it, so nothing was saved. "
                            "Reload the page to see the current version.")


@blueprint.route("/staff/publications")
@staff_required
def publications() -> str:
    return render_template(
        "transparency/staff/publications.html",
        awaiting=queries.awaiting_approval(current_user), my_drafts=queries.drafts_of(current_user),
        other_drafts=queries.other_drafts(current_user), ready=queries.answered_without_publication(current_user),
        published=queries.recently_published(current_user), is_publisher=permissions.is_publisher(current_user))


@blueprint.route("/staff/publications/case/<int:case_id>")
@staff_required
def case_publications(case_id: int) -> str:
    case = permissions.load_case_for_publishing(current_user, case_id)
    record_audit(current_user, "case.view", case, after={"page": "publications"})
    db.session.commit()
    return render_template("transparency/staff/case.html", case=case, versions=queries.case_publications(case),
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
    flash("Draft started from the findings and the draft public response. Check every proposal below.", "success")
    return redirect(url_for("transparency.publication", publication_id=publication.id))


def _choices(view: operations.DraftView) -> dict[str, tuple[bool, str]]:
    """The author's decision on each proposal the page showed, as posted."""
    return {p.key(): (request.form.get(f"hide-{p.key()}") == "1", request.form.get(f"replacement-{p.key()}", ""))
            for p in view.proposals}


def _render_publication(publication: Publication, status: int = 200,
                        draft_form: DraftForm | None = None) -> tuple[str, int]:
    user = current_user
    view = operations.draft_view(publication)
    if draft_form is None:
        draft_form = DraftForm(data={
            "row_version": publication.row_version, "summary_source": publication.summary_source,
            "response_source": publication.response_source, "extra_terms": "\n".join(publication.extra_terms or [])})
    decisions = [Decision.from_dict(d) for d in publication.redactions or []]
    segments = {name: marked_segments(getattr(publication, f"{name}_source"), name, decisions)
                for name in operations.FIELDS}
    return render_template(
        "transparency/staff/publication.html", publication=publication, case=publication.case, view=view,
        view_segments=segments,
        label_names=LABEL_NAMES, draft_form=draft_form,
        review_form=ReviewForm(data={"row_version": publication.row_version}),
        withdraw_form=WithdrawForm(data={"row_version": publication.row_version}),
        discard_form=DiscardForm(data={"row_version": publication.row_version}),
        may_edit=permissions.may_edit(user, publication), may_approve=permissions.may_approve(user, publication),
        may_send_back=permissions.may_send_back(user, publication),
        may_withdraw=permissions.may_withdraw(user, publication),
    ), status


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
    _check_row_version(publication, form.row_version.data)
    view = operations.draft_view(publication)
    operations.save_draft(publication, current_user, form.summary_source.data, form.response_source.data,
                          _choices(view), form.extra_terms.data)
    if form.submit_for_approval.data:
        operations.submit_publication(publication, current_user)
        db.session.commit()
        flash("Submitted. Another staff member must now read and approve it.", "success")
        return redirect(url_for("transparency.publications"))
    db.session.commit()
    flash("Saved. The proposals below were checked again against the new text.", "success")
    return redirect(url_for("transparency.publication", publication_id=publication.id))


@blueprint.route("/staff/publications/<int:publication_id>/review", methods=["POST"])
@staff_required
def review_publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    _check_row_version(publication, form.row_version.data)
    if form.approve.data:
        operations.approve_publication(publication, current_user, bool(form.confirm.data))
        message = f"Published. {publication.case.reference} is now on the public pages."
    else:
        operations.send_back_publication(publication, current_user, form.note.data)
        message = "Sent back to the author as a draft."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("transparency.publication", publication_id=publication.id))


@blueprint.route("/staff/publications/<int:publication_id>/withdraw", methods=["POST"])
@staff_required
def withdraw_publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render_publication(publication, 400)
    _check_row_version(publication, form.row_version.data)
    operations.withdraw_publication(publication, current_user, form.reason.data)
    db.session.commit()
    flash("Withdrawn. The public page now shows your reason instead of the answer.", "success")
    return redirect(url_for("transparency.publication", publication_id=publication.id))


@blueprint.route("/staff/publications/<int:publication_id>/discard", methods=["POST"])
@staff_required
def discard_publication(publication_id: int) -> ResponseReturnValue:
    publication = permissions.load_publication(current_user, publication_id)
    form = DiscardForm()
    if not form.validate_on_submit():
        abort(400)
    _check_row_version(publication, form.row_version.data)
    case_id = publication.case_id
    operations.discard_draft(publication, current_user)
    db.session.commit()
    flash("Draft discarded.", "success")
    return redirect(url_for("transparency.case_publications", case_id=case_id))


# ---------------------------------------------------------------- API keys (administrators)

@blueprint.route("/staff/api-keys", methods=["GET", "POST"])
@admin_required
def api_keys() -> tuple[str, int]:
    form = ApiKeyForm()
    secret = None
    if form.validate_on_submit():
        _, secret = operations.issue_api_key(form.name.data, current_user)
        db.session.commit()
    keys = list(db.session.scalars(db.select(ApiKey).order_by(ApiKey.created_at.desc())))
    return render_template("transparency/staff/api_keys.html", form=form, keys=keys, secret=secret,
                           revoke_form=RevokeApiKeyForm()), (400 if form.errors else 200)


@blueprint.route("/staff/api-keys/<int:key_id>/revoke", methods=["POST"])
@admin_required
def revoke_api_key(key_id: int) -> ResponseReturnValue:
    form = RevokeApiKeyForm()
    if not form.validate_on_submit():
        abort(400)
    key = db.session.get(ApiKey, key_id) or abort(404)
    operations.revoke_api_key(key, current_user)
    db.session.commit()
    flash(f"The key for {key.name} is revoked.", "success")
    return redirect(url_for("transparency.api_keys"))
