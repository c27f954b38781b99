"""Machine interfaces: Open311 GeoReport v2 at /open311/v2, the OpenAPI description of the public JSON API at
/api/openapi.json, and the administrators' page of Open311 API keys.

Open311: services are the subjects of complaints (themes); requests are the published answers. Reading needs
no key. Creating a request needs an administrator-issued api_key, goes through the same intake as the web form
and the SMS line, and answers with a token (the service type is "batch": the request becomes readable under
its id once its answer is published).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any, NoReturn

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_number, gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from civicwatch.accounts.permissions import admin_required
from civicwatch.cases.models import Channel
from civicwatch.commit_outcome import commit_outcome_unknown
from civicwatch.crypto import keyed_hash
from civicwatch.database import NulCharacterError, rollback_quietly, utcnow
from civicwatch.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, DomainError
from civicwatch.extensions import csrf, db, limiter
from civicwatch.forms import confirmation_page
from civicwatch.i18n import current_language
from civicwatch.intake.idempotency import KEY_PATTERN, EarlierSubmission, IdempotencyKey, fingerprint, receive_once
from civicwatch.intake.operations import Submission
from civicwatch.intake.validation import LOCATION_MAX, SubmissionError
from civicwatch.interfaces import georeport, operations
from civicwatch.interfaces.forms import ApiKeyForm, RevokeApiKeyForm
from civicwatch.interfaces.models import ApiKey, Open311Token
from civicwatch.interfaces.openapi import openapi_document
from civicwatch.open_data import licence, public_caching
from civicwatch.publishing.queries import AnswerSearch, search_answers
from civicwatch.request_limits import limit_request_body
from civicwatch.taxonomy.models import Actor, District, Region, Theme
from civicwatch.text import tidy_text

blueprint = Blueprint("interfaces", __name__)
blueprint.after_request(public_caching)
OPEN311 = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"
GROUP = "Complaints about the security services"
MAX_REQUESTS = 1000
MAX_DAYS = 90
MAX_IDS = 100
IDEMPOTENCY_HEADER = "Idempotency-Key"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Fields that say how a request is sent, not what it says: a retry may carry them differently.
UNCOMPARED_FIELDS = frozenset({"api_key", "idempotency_key"})


# The Open311 parameter each of the intake's fields comes from, named in an error about that field.
OPEN311_PARAMETERS = {
    "text": "description", "incident_date": "attribute[incident_date]", "area": "attribute[region]",
    "location_text": "address_string", "reported_actor": "attribute[reported_actor]", "phone": "phone",
    "email": "email",
}


class Open311Error(Exception):
    """An error the client gets in the spec's format: 400 (bad request), 403 (api_key), 404 (not found), 415 (not
    a form), with a stable `error_code` where the client can act on it."""

    def __init__(self, status: int, *descriptions: str, error_code: str | None = None,
                 parameter: str | None = None) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = descriptions or ("The request could not be processed.",)
        self.error_code = error_code
        self.parameter = parameter


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in georeport.FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _respond(document: str, data: Any, fmt: str, status: int = 200) -> Response:
    return Response(georeport.render(document, data, fmt), status=status, mimetype=None,
                    content_type=georeport.FORMATS[fmt])


NOTHING_STORED = ("The service is briefly unavailable; nothing was stored. Send the same request again (with the same "
                  "Idempotency-Key) after Retry-After seconds.")
# The COMMIT was sent and its answer lost: the request may be stored, and sent again without its key it is stored twice.
MAYBE_STORED = ("The service lost contact with its database while storing the request: it may have been stored. Send "
                "it again only with the same Idempotency-Key (which finds it if it was stored), after Retry-After "
                "seconds; without a key, do not send it again.")


def _spec_error(error: Exception) -> Response | None:
    """The error in the spec's format, or None for an error that is not the client's (a 500 stays a 500)."""
    if isinstance(error, Open311Error):
        db.session.rollback()
        return _respond("errors", georeport.error_records(error.status, *error.descriptions, error_code=error.error_code,
                                                          parameter=error.parameter), _format(), error.status)
    if isinstance(error, DATABASE_UNAVAILABLE):
        rollback_quietly(db.session)
        said = MAYBE_STORED if commit_outcome_unknown(db.session()) else NOTHING_STORED
        response = _respond("errors", georeport.error_records(503, said), _format(), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(error, NulCharacterError):
        db.session.rollback()
        return _respond("errors", georeport.error_records(400, "The request contains a NUL character."), _format(), 400)
    if isinstance(error, SubmissionError):
        return _submission_error(error)
    if isinstance(error, DomainError):
        db.session.rollback()
        status = 404 if error.status == 404 else 403 if error.status == 403 else 400
        return _respond("errors", georeport.error_records(status, error.message), _format(), status)
    if isinstance(error, HTTPException):
        status = error.code or 400
        response = _respond("errors", georeport.error_records(status, error.description or error.name), _format(),
                            status)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    return None


def _submission_error(error: SubmissionError) -> Response:
    """A refused complaint: the intake's own words, in the request's Accept-Language, with the rule's code."""
    db.session.rollback()
    parameter = OPEN311_PARAMETERS.get(error.field or "")
    if error.field == "area" and error.code == "district_unknown":
        parameter = "attribute[district]"
    response = _respond("errors", georeport.error_records(400, error.message, error_code=error.code,
                                                          parameter=parameter), _format(), 400)
    response.headers["Content-Language"] = current_language()
    return response


def open311_route(rule: str, **options: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A route under /open311/v2 whose errors (bad input, a missing key, too large, rate limited) answer in the
    spec's format. It wraps these routes rather than the blueprint, whose staff page keeps the application's
    error pages."""
    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def answered(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except Exception as error:
                response = _spec_error(error)
                if response is None:
                    raise
                return response

        blueprint.add_url_rule(OPEN311 + rule, view_func=answered, **options)
        return answered

    return decorator


def _check_jurisdiction() -> None:
    wanted = current_app.config.get("OPEN311_JURISDICTION_ID")
    given = request.values.get("jurisdiction_id")
    if wanted and given and given != wanted:
        raise Open311Error(404, f"jurisdiction_id {given!r} was not found; this endpoint serves {wanted!r}.")


# ---------------------------------------------------------------- discovery and services

@open311_route(f"/discovery.{FORMAT}")
def discovery(fmt: str) -> Response:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + OPEN311
    changeset = current_app.config["OPEN311_CHANGESET"]
    return _respond("discovery", {
        "changeset": changeset,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": current_app.config["OPEN311_KEY_SERVICE"],
        "endpoints": [{"specification": georeport.SPECIFICATION, "url": base, "changeset": changeset,
                       "type": current_app.config["OPEN311_ENDPOINT_TYPE"],
                       "formats": ["text/xml", "application/json"]}],
    }, fmt)


def _services() -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.active.is_(True)).order_by(Theme.name)))


def _service_record(theme: Theme) -> dict[str, Any]:
    return {"service_code": theme.code, "service_name": theme.name, "description": theme.covers or theme.name,
            "metadata": True, "type": "batch", "keywords": ", ".join(theme.code.split("_")), "group": GROUP}


@open311_route(f"/services.{FORMAT}")
def services(fmt: str) -> Response:
    _check_jurisdiction()
    return _respond("services", [_service_record(theme) for theme in _services()], fmt)


def _service(code: str) -> Theme:
    theme = db.session.scalar(select(Theme).where(Theme.code == code, Theme.active.is_(True)))
    if theme is None:
        raise Open311Error(404, f"service_code {code!r} was not found.", error_code="service_code_unknown",
                           parameter="service_code")
    return theme


def _values(rows: Sequence[Actor | Region | District], extra: Sequence[tuple[str, str]] = ()) -> list[dict[str, str]]:
    return [{"key": row.code, "name": row.name} for row in rows] + [{"key": k, "name": n} for k, n in extra]


@open311_route(f"/services/<service_code>.{FORMAT}")
def service_definition(service_code: str, fmt: str) -> Response:
    _check_jurisdiction()
    theme = _service(service_code)
    actors = list(db.session.scalars(select(Actor).order_by(Actor.name)))
    regions = list(db.session.scalars(select(Region).order_by(Region.name)))
    districts = list(db.session.scalars(select(District).order_by(District.name)))
    attributes = [
        {"variable": True, "code": "reported_actor", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 1, "description": "Who was involved?",
         "values": _values(actors, [("unknown", "I don't know")])},
        {"variable": True, "code": "region", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 2, "description": "In which region did it happen?",
         "values": _values(regions)},
        {"variable": True, "code": "district", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 3, "description": "In which district did it happen?",
         "values": _values(districts)},
        {"variable": True, "code": "incident_date", "datatype": "datetime", "required": False,
         "datatype_description": "The day it happened, as YYYY-MM-DD (a full date and time is accepted too).",
         "order": 4, "description": "When did it happen?", "values": []},
        {"variable": True, "code": "texts_allowed", "datatype": "singlevaluelist", "required": False,
         "datatype_description": "Ask it when a phone is given. Not answered: no.", "order": 5,
         "description": "May we send you texts on this phone? Only say yes if no one else reads your messages on "
                        "this phone.",
         "values": [{"key": "yes", "name": "Yes, no one else reads my messages"},
                    {"key": "no", "name": "No, do not text me first"}]},
    ]
    return _respond("service_definition", {"service_code": theme.code, "attributes": attributes}, fmt)


# ---------------------------------------------------------------- reading requests (published answers)

FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


def _argument(name: str) -> str:
    """A query parameter given at most once (several values go in one, separated by commas)."""
    given = request.args.getlist(name)
    if len(given) > 1:
        raise Open311Error(400, f"Give {name} once; separate several values with commas.")
    return given[0] if given else ""


def _parse_w3(name: str) -> dt.datetime | None:
    raw = _argument(name).strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date and time, for example 2026-01-01T00:00:00Z.") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} must include the time zone, for example 2026-01-01T00:00:00Z.")
    if not FIRST_DAY <= value.date() <= LAST_DAY:  # beyond them the day's bounds leave the calendar
        raise Open311Error(400, f"{name} must be from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.")
    return value.astimezone(dt.UTC)


# Published records give only the day a complaint came in; filters work on whole days (UTC) too, or two
# queries with start_date a second apart would tell the exact time of a submission.
def _day_start(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.combine(value.date(), dt.time(), tzinfo=dt.UTC)


def _day_end(value: dt.datetime | None) -> dt.datetime | None:
    """The last instant of the day of `value` (the search includes its end)."""
    start = _day_start(value)
    return None if start is None else start + dt.timedelta(days=1) - dt.timedelta(microseconds=1)


def _open311_read_limit() -> str:
    return current_app.config["OPEN311_READ_RATE_LIMIT"]


def _list_argument(name: str) -> list[str]:
    return [part.strip() for part in _argument(name).split(",") if part.strip()]


def _statuses() -> bool | None:
    wanted = set(_list_argument("status"))
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed, or both separated by a comma.")
    if wanted == {"open"}:
        return True
    if wanted == {"closed"}:
        return False
    return None


@open311_route(f"/requests.{FORMAT}", methods=["GET"])
@limiter.shared_limit(_open311_read_limit, scope="open311-read")
def requests_list(fmt: str) -> Response:
    _check_jurisdiction()
    references = tuple(ref.upper() for ref in _list_argument("service_request_id"))
    if len(references) > MAX_IDS:
        raise Open311Error(400, f"Ask for at most {MAX_IDS} service_request_id values at once.")
    if references:  # "This overrides all other arguments."
        search = AnswerSearch(references=references, include_withdrawn=False)
    else:
        start, end = _day_start(_parse_w3("start_date")), _day_end(_parse_w3("end_date"))
        if start and end and end < start:
            raise Open311Error(400, "end_date must not be before start_date.")
        if start and end and end - start > dt.timedelta(days=MAX_DAYS):
            raise Open311Error(400, f"start_date and end_date may not span more than {MAX_DAYS} days.")
        codes = list(dict.fromkeys(_list_argument("service_code")))
        if len(codes) > MAX_IDS:
            raise Open311Error(400, f"Ask for at most {MAX_IDS} service_code values at once.")
        if len(codes) > 1:  # one search per code the taxonomy knows (any other finds nothing)
            known = set(db.session.scalars(select(Theme.code).where(Theme.code.in_(codes))))
            return _respond("service_requests", _merged([code for code in codes if code in known], start, end), fmt)
        search = AnswerSearch(theme_code=codes[0] if codes else None, received_from=start, received_to=end,
                              case_open=_statuses(), include_withdrawn=False)
    answers, _ = search_answers(search, page_size=MAX_REQUESTS)
    return _respond("service_requests", [georeport.request_record(a) for a in answers], fmt)


def _merged(codes: list[str], start: dt.datetime | None, end: dt.datetime | None) -> list[dict[str, Any]]:
    """Several service codes: newest first across all of them, still at most MAX_REQUESTS."""
    status = _statuses()
    answers = []
    for code in dict.fromkeys(codes):
        found, _ = search_answers(AnswerSearch(theme_code=code, received_from=start, received_to=end,
                                               case_open=status, include_withdrawn=False), page_size=MAX_REQUESTS)
        answers += found
    answers.sort(key=lambda a: (a.published_at or dt.datetime.min.replace(tzinfo=dt.UTC)), reverse=True)
    return [georeport.request_record(a) for a in answers[:MAX_REQUESTS]]


@open311_route(f"/requests/<service_request_id>.{FORMAT}")
@limiter.shared_limit(_open311_read_limit, scope="open311-read")
def request_detail(service_request_id: str, fmt: str) -> Response:
    _check_jurisdiction()
    answers, _ = search_answers(AnswerSearch(references=(service_request_id.upper()[:40],),
                                             include_withdrawn=False), page_size=1)
    if not answers:
        raise Open311Error(404, f"There is no published answer for service_request_id {service_request_id!r}. "
                                "Requests are readable once the oversight body publishes its answer.")
    return _respond("service_requests", [georeport.request_record(answers[0])], fmt)


@open311_route(f"/tokens/<token>.{FORMAT}")
def token_lookup(token: str, fmt: str) -> Response:
    _check_jurisdiction()
    found = None
    if 0 < len(token) <= 100:
        found = db.session.scalar(select(Open311Token).where(Open311Token.token_hash == keyed_hash("open311_token", token)))
    if found is None:
        raise Open311Error(404, "token was not found.")
    return _respond("service_requests", [{"service_request_id": found.case.reference, "token": token}], fmt)


# ---------------------------------------------------------------- creating a request

def _open311_limit() -> str:
    return current_app.config["OPEN311_RATE_LIMIT"]


def _open311_key_limit() -> str:
    return current_app.config["OPEN311_KEY_RATE_LIMIT"]


def _authenticated_client() -> str:
    return f"open311-api-key-{g.open311_api_key_id}"


@limiter.limit(_open311_key_limit, key_func=_authenticated_client)
def _count_for_key() -> None:
    """Count the request against its api_key's own limit, once the key is known (429 past it): a key used from
    many addresses stays within the limit of one client."""


@open311_route(f"/requests.{FORMAT}", methods=["POST"])
@csrf.exempt  # a machine endpoint: the api_key is its credential, not a browser session
@limiter.limit(_open311_limit)
def requests_create(fmt: str) -> Response:
    # Anyone can send this request: its body is bounded before anything reads it (the api_key is in it).
    limit_request_body(current_app.config["OPEN311_MAX_BYTES"], current_app.config["OPEN311_MAX_FIELDS"])
    if _body_not_a_form():  # read as an empty form, it would be told its api_key is missing
        raise Open311Error(415, "Send the fields as a form: Content-Type application/x-www-form-urlencoded (or "
                                "multipart/form-data), not JSON or any other body.",
                           error_code="content_type_unsupported")
    key = operations.authenticate_api_key(request.form.get("api_key"))
    ended = operations.expired_on(request.form.get("api_key")) if key is None else None
    if ended is not None:
        raise Open311Error(403, f"api_key expired on {ended.isoformat()}. Ask the CivicWatch administrators for a "
                                "new api_key.", error_code="api_key_expired", parameter="api_key")
    if key is None:
        raise Open311Error(403, "api_key is missing or not valid. Ask the CivicWatch administrators for one.",
                           error_code="api_key_invalid", parameter="api_key")
    g.open311_api_key_id = key.id
    _count_for_key()
    _check_jurisdiction()
    code = (request.form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required.", error_code="service_code_missing",
                           parameter="service_code")
    theme = _service(code)
    submission = _submission(request.form)
    return _create(key, theme, submission, fmt)


def _body_not_a_form() -> bool:
    """A body of another type (JSON, say) or of none named; an empty body is an empty form."""
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return has_body and request.mimetype not in FORM_TYPES


def _submission(form: Mapping[str, str]) -> Submission:
    description = form.get("description") or ""
    if not description.strip():
        raise SubmissionError("text_missing", "text")
    return Submission(
        text=description, channel=Channel.OPEN311,
        incident_date=_incident_date(form.get("attribute[incident_date]")),
        region_code=form.get("attribute[region]") or None,
        district_code=form.get("attribute[district]") or None,
        location_text=_location(form),
        reported_actor=form.get("attribute[reported_actor]") or None,
        phone=form.get("phone") or None, email=form.get("email") or None,
        texts_allowed=_texts_allowed(form.get("attribute[texts_allowed]")),
    )


def _texts_allowed(raw: str | None) -> bool:
    """Whether texts we start may go to the phone given: a client that never asks sends nothing, which counts as
    no, as the web form's unanswered question does (a shared phone must not buzz with an oversight body's news)."""
    if not raw:
        return False
    if raw not in ("yes", "no"):
        raise Open311Error(400, "attribute[texts_allowed] must be yes or no.", error_code="texts_allowed_unknown",
                           parameter="attribute[texts_allowed]")
    return raw == "yes"


def _incident_date(raw: str | None) -> dt.date | None:
    if not raw or not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise Open311Error(400, "attribute[incident_date] must be a date, for example 2026-03-14.",
                           error_code="date_not_understood", parameter="attribute[incident_date]") from None


def _location(form: Mapping[str, str]) -> str | None:
    """What the client says about the place: the address, or the coordinates in words."""
    address = (form.get("address_string") or "").strip()
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not (lat or lon):
        return address or None
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        raise Open311Error(400, "lat and long must both be numbers (WGS84).", error_code="coordinates_not_numbers",
                           parameter="lat") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Open311Error(400, "lat must be between -90 and 90 and long between -180 and 180.",
                           error_code="coordinates_out_of_range", parameter="lat")
    coordinates = f"near {latitude:.5f}, {longitude:.5f}"
    if not address:
        return coordinates
    room = LOCATION_MAX - len(f" ({coordinates})")  # the intake's bound is on the whole place, as written here
    length = len(tidy_text(address))
    if length > room:
        raise SubmissionError("text_too_long", "location_text", most=format_number(room), count=format_number(length))
    return f"{address} ({coordinates})"


def _create(key: ApiKey, theme: Theme, submission: Submission, fmt: str) -> Response:
    key_id, key_name = key.id, key.name
    retry_key = _idempotency_key(key_id)
    content = _request_fingerprint(theme.code)
    db.session.commit()  # the key's last use; the complaint is committed on its own

    def store() -> operations.Open311Receipt:
        return operations.receive_open311_request(submission, key_id, key_name, theme.code, retry_key, content)

    if retry_key is None:
        outcome = store()
    else:
        found = receive_once(retry_key, store)
        if isinstance(found, EarlierSubmission):
            return _replayed(found, retry_key, content, fmt)
        outcome = found
    return _created(outcome.receipt.reference, outcome.receipt.code, outcome.token, fmt)


def _idempotency_key(key_id: int) -> IdempotencyKey | None:
    """The client's Idempotency-Key (header, or the idempotency_key field), valid only with its own api_key."""
    header, field = request.headers.get(IDEMPOTENCY_HEADER), request.form.get("idempotency_key")
    value = header if header is not None else field
    if value is None:
        return None
    if header is not None and field is not None and header != field:
        raise Open311Error(400, f"{IDEMPOTENCY_HEADER} and idempotency_key differ; send one of them.")
    if not KEY_PATTERN.fullmatch(value):
        raise Open311Error(400, f"{IDEMPOTENCY_HEADER} must be 16 to 200 visible ASCII characters, such as a "
                                "random UUID made for each new complaint.")
    return IdempotencyKey(f"open311\n{key_id}", value)


def _created(reference: str, receipt_code: str, token: str, fmt: str) -> Response:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    notice = (f"Received. The complainant's receipt code is {receipt_code}: with it they can follow the "
              f"complaint at {base}/track. Keep it private. Reference {reference}.")
    response = _respond("service_requests", [{"token": token, "service_notice": notice, "account_id": None}], fmt)
    response.headers["Cache-Control"] = "no-store"  # the receipt code opens the case
    return response


def _request_fingerprint(service_code: str) -> str:
    """What the request says, as sent: a retry under the same key must say the same."""
    return fingerprint([("service_code", service_code)] + [
        (name, request.form.getlist(name)) for name in sorted(request.form) if name not in UNCOMPARED_FIELDS])


def _replayed(earlier: EarlierSubmission, key: IdempotencyKey, content: str, fmt: str) -> Response:
    """The same answer as the first time, while the receipt is kept; after that, say which request it was.
    A key sent again with another complaint is refused (422), within the hour or after: that complaint would
    otherwise be acknowledged as the first one and stored nowhere."""
    if earlier.code is not None:
        same = earlier.extra.get("content", content) == content
    else:  # the receipt, and the content in it, are erased
        same = operations.stored_with_content(key, content)
    if not same:
        raise Open311Error(422, f"This {IDEMPOTENCY_HEADER} was already used for a different complaint. Send each "
                                "new complaint with a key of its own; a retry must send the same fields again.",
                           error_code="idempotency_key_reused")
    token = earlier.extra.get("token")
    if earlier.code is None or not isinstance(token, str):
        raise Open311Error(409, f"This {IDEMPOTENCY_HEADER} was already used: the complaint was received once, "
                                f"as {earlier.reference}. Its receipt code is given again only within an hour.")
    response = _created(earlier.reference, earlier.code, token, fmt)
    response.headers["Idempotent-Replayed"] = "true"
    return response


# ---------------------------------------------------------------- anything else under /open311/v2

@open311_route("/<path:anything>")
def unknown(anything: str) -> NoReturn:
    """An unknown resource answers in the spec's error format, not as an HTML page. (Only GET: every other
    method stays under the application's CSRF protection, except the one POST that carries an api_key.)"""
    raise NotFound("There is nothing at this address. Start from discovery.json or services.json.")


# ---------------------------------------------------------------- the OpenAPI description

@blueprint.route("/api/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document("/", licence()))


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
    return render_template("interfaces/api_keys.html", form=form, keys=keys, secret=secret, now=utcnow(),
                           revoke_form=RevokeApiKeyForm()), (400 if form.errors else 200)


@blueprint.route("/staff/api-keys/<int:key_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke_api_key(key_id: int) -> ResponseReturnValue:
    key = db.session.get(ApiKey, key_id) or abort(404)
    form = RevokeApiKeyForm()
    if not form.is_confirmed():
        operations.refuse_revoked(key)
        return confirmation_page(
            form, title=gettext("Revoke the key for %(name)s?", name=key.name),
            consequence=gettext("The key starting %(prefix)s… stops working at once: %(name)s can no longer send "
                                "complaints with it, and needs a new key to send any.", prefix=key.prefix,
                                name=key.name),
            button=gettext("Revoke the key"), cancel=url_for("interfaces.api_keys"))
    if not form.validate_on_submit():
        abort(400)
    operations.revoke_api_key(key, current_user)
    db.session.commit()
    flash(gettext("The key for %(name)s is revoked.", name=key.name), "success")
    return redirect(url_for("interfaces.api_keys"))
