"""Domain errors, and the one place where any error becomes an HTTP response (HTML or JSON)."""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import DetachedInstanceError, StaleDataError
from werkzeug.exceptions import HTTPException, SecurityError

from civicwatch.commit_outcome import commit_outcome_unknown
from civicwatch.database import NulCharacterError, rollback_quietly
from civicwatch.extensions import db
from civicwatch.schema_guard import SchemaOutOfStep

log = logging.getLogger(__name__)

# The database is down, unreachable, restarting or too busy: the request may succeed if sent again shortly.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_TITLE = _l("The service is briefly unavailable")
# Plain words for citizens: what happened to what they sent, and what to do; never the machinery ("our database").
UNAVAILABLE_MESSAGE = _l("Nothing was sent: the service is briefly unavailable. Please try again in a few minutes.")
# A page that only reads (GET, HEAD): there was nothing to save.
READ_UNAVAILABLE_MESSAGE = _l("This page cannot be shown just now. Please try again in a few minutes.")
# The COMMIT was sent and failed: the database may have stored it and lost only its answer.
MAYBE_SAVED_MESSAGE = _l("The service stopped answering while saving, so we cannot tell whether it was saved. Check "
                         "again in a few minutes, before you send it again.")
NOT_RIGHT = _l("Something is not right")
# Werkzeug's own words for the errors a citizen meets, in plain language and the page's language (a bare 403 is
# worded by templates/errors/error.html, for staff and for the public).
HTTP_WORDS = {
    400: (NOT_RIGHT, _l("What was sent could not be understood. Go back and try again.")),
    404: (_l("Page not found"),
          _l("There is no page at this address. Check the address, or start again from the home page.")),
    405: (NOT_RIGHT, _l("This page cannot be used that way. Go back and try again.")),
    503: (UNAVAILABLE_TITLE, _l("Nothing was sent. Please try again in a few minutes.")),
}
DOMAIN_TITLES = {400: NOT_RIGHT, 403: _l("Not allowed"), 404: _l("Not found"), 409: _l("Conflict")}


class DomainError(Exception):
    """An error the user can act on. `status` is the HTTP status it becomes."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(DomainError):
    status = 404


class PermissionDeniedError(DomainError):
    status = 403


class ConflictError(DomainError):
    status = 409


class InvalidTransitionError(ConflictError):
    pass


def _wants_json() -> bool:
    # A JSON download (the open data) is fetched by scripts that may not say what they accept.
    if request.path.startswith(("/api/", "/open311/", "/healthz")) or request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


# Staff forms: a refused one gives back what was written in it (a note, a message), never a citizen's form.
STAFF_PATH = "/staff/"
_NOT_TEXT = ("csrf", "token", "password", "version", "code", "key")
UNSENT_MIN = 20


def unsent_texts() -> list[tuple[str, str]]:
    """What was written in the staff form this request sent, to show back when the form cannot be saved
    (expired, or the session ended while it was written): each free text of some length, as (label, text).
    Only to a signed-in staff member: a page elsewhere can make a browser post to a staff address (without the
    session cookie, which is SameSite), and CivicWatch must not show its words as if they were the user's."""
    if request.method != "POST" or not request.path.startswith(STAFF_PATH) or not current_user.is_authenticated:
        return []
    texts = [value for key, value in request.form.items(multi=True)
             if not any(word in key.lower() for word in _NOT_TEXT) and len(value.strip()) >= UNSENT_MIN]
    return [(gettext("What you wrote"), text) for text in texts]


def render_error(status: int, title: str, message: str, texts: list[tuple[str, str]] | None = None,
                 sign_in_again: str | None = None, back_to: str | None = None) -> tuple[Response | str, int]:
    """The error page (JSON for a client that asks for it); `texts`: what the form held (unsent_texts), shown
    to copy; `sign_in_again`: the page to return to after signing in, linked; `back_to`: a path of this site to go
    back to, linked."""
    if _wants_json():
        return jsonify(error={"status": status, "title": title, "message": message}), status
    try:
        return render_template("errors/error.html", status=status, title=title, message=message, texts=texts,
                               sign_in_again=sign_in_again, back_to=back_to), status
    # The page's menu needs the signed-in user, from a database that is down (or from a session that dropped its
    # connection since, which leaves the user detached from it).
    except (*DATABASE_UNAVAILABLE, DetachedInstanceError):
        rollback_quietly(db.session)
        return Response(f"{title}. {message}\n", mimetype="text/plain"), status


def page_the_form_was_on() -> str | None:
    """The page of this site a refused form was on: the address it was posted to, or the nearest one above it that
    opens with GET (/staff/cases/12/status/withdrawn -> /staff/cases/12). Made from the request's own path, never
    from a Referer (the app asks browsers to send none) nor a parameter: it cannot lead to another site. None when
    no page of ours is found short of the home page."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    path = request.path.rstrip("/")
    while path.startswith("/") and not path.startswith("//"):
        try:
            adapter.match(path, method="GET")
        except HTTPException:  # no page here (404, 405, or a redirect to add a slash)
            path = path.rsplit("/", 1)[0]
            continue
        return quote(path)
    return None


def database_unavailable(error: Exception) -> Response:
    """503 with Retry-After, on a page made without the database."""
    rollback_quietly(db.session)
    maybe_saved = commit_outcome_unknown(db.session())
    log.error("database unavailable on %s %s (%s%s)", request.method, request.path, type(error).__name__,
              ", at the commit" if maybe_saved else "")
    try:
        texts = unsent_texts()
    except (*DATABASE_UNAVAILABLE, DetachedInstanceError):  # the user could not be read: no staff form to give back
        texts = []
    if maybe_saved:
        message = MAYBE_SAVED_MESSAGE
    elif request.method in ("GET", "HEAD"):
        message = READ_UNAVAILABLE_MESSAGE
    else:
        message = UNAVAILABLE_MESSAGE
    body, status = render_error(503, str(UNAVAILABLE_TITLE), str(message), texts)
    response = Response(body) if isinstance(body, str) else body
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def rate_limited(error: HTTPException) -> tuple[Response | str, int]:
    return render_error(429, gettext("Too many attempts"), gettext("Please wait a few minutes before trying again."))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> tuple[Response | str, int]:
        db.session.rollback()
        return render_error(error.status, str(DOMAIN_TITLES.get(error.status, _l("Error"))), error.message)

    @app.errorhandler(StaleDataError)
    def handle_stale(error: StaleDataError) -> tuple[Response | str, int]:
        db.session.rollback()
        return render_error(
            409,
            gettext("Someone else changed this case"),
            gettext("Another staff member saved this case after you opened it. Reload the page to see "
                    "their change, then make yours again."),
        )

    @app.errorhandler(NulCharacterError)
    def handle_nul(error: NulCharacterError) -> tuple[Response | str, int]:
        db.session.rollback()
        return render_error(
            400, str(NOT_RIGHT),
            gettext("What you sent contains an invisible control character (NUL). Remove it and try again."),
        )

    @app.errorhandler(DataError)
    def handle_value_out_of_range(error: DataError) -> tuple[Response | str, int]:
        # A value the database cannot hold or compare, such as a number beyond its column's range in a form
        # field (PostgreSQL; SQLite's integers are wider): the request was wrong, nothing was stored.
        rollback_quietly(db.session)
        log.warning("value refused by the database on %s %s", request.method, request.path)
        return render_error(
            400, str(NOT_RIGHT),
            gettext("A value you sent is out of range (a number too large, for example). Go back, correct it and "
                    "try again."),
        )

    for database_error in DATABASE_UNAVAILABLE:
        app.register_error_handler(database_error, database_unavailable)

    @app.errorhandler(SchemaOutOfStep)
    def handle_schema_out_of_step(error: SchemaOutOfStep) -> Response:
        log.error("%s", error)  # for the operator: what to run; the user is told to come back shortly
        return database_unavailable(error)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError) -> tuple[Response | str, int]:
        return render_error(
            400,
            gettext("This form has expired"),
            gettext("For your safety the form could not be accepted. Go back, reload the page and send it again."),
            texts=unsent_texts(),
            back_to=page_the_form_was_on(),
        )

    @app.errorhandler(413)
    def handle_too_large(error: HTTPException) -> tuple[Response | str, int]:
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_error(
            413,
            gettext("What you sent is too large"),
            gettext("Everything sent at once must be under %(limit)s MB, and each file under 10 MB. Go back and "
                    "remove or shrink a file.", limit=limit_mb),
        )

    @app.errorhandler(429)
    def handle_rate_limited(error: HTTPException) -> tuple[Response | str, int]:
        return rate_limited(error)

    @app.errorhandler(SecurityError)
    def handle_untrusted_host(error: SecurityError) -> Response:
        # A Host outside TRUSTED_HOSTS: no URL can be built for this request, so no page template either.
        return Response("Bad request: this site does not answer for that host name.\n", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> Response:
        title, message = HTTP_WORDS.get(error.code or 500, (error.name, error.description or ""))
        if error.description and error.description != type(error).description:
            message = error.description  # said by our own code (abort(403, ...)), not Werkzeug's default
        body, status = render_error(error.code or 500, str(title), str(message))
        response = app.make_response((body, status))
        # Keep what the exception says about itself, such as Allow on a 405.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> tuple[Response | str, int]:
        rollback_quietly(db.session)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(
            500,
            gettext("Something went wrong on our side"),
            gettext("Nothing you sent was lost if you saw a confirmation. Please try again in a moment."),
        )
