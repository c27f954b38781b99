"""Open311 GeoReport v2 at /open311/v2: services are the subjects of complaints (themes); requests are the
published answers. Reading needs no key. Creating a request needs an administrator-issued api_key, goes
through the same intake as the web form and the SMS line, and answers with a token (the service type is
"batch": the request becomes readable under its id once its answer is published).
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from civicwatch.audit.operations import record_audit
from civicwatch.cases.models import CaseEvent, Channel
from civicwatch.crypto import keyed_hash
from civicwatch.database import NulCharacterError, utcnow
from civicwatch.errors import DomainError
from civicwatch.extensions import csrf, db, limiter
from civicwatch.intake.operations import Submission, receive_complaint
from civicwatch.taxonomy.models import Actor, District, Region, Theme
from civicwatch.transparency import georeport
from civicwatch.transparency.models import ApiKey, Open311Token
from civicwatch.transparency.operations import authenticate_api_key
from civicwatch.transparency.queries import AnswerSearch, search_answers

blueprint = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMAT = "<any(json, xml):fmt>"
GROUP = "Complaints about the security services"
MAX_REQUESTS = 1000
MAX_DAYS = 90
MAX_IDS = 100


class Open311Error(Exception):
    """An error the client gets in the spec's format: 400 (bad request), 403 (api_key), 404 (not found)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = descriptions or ("The request could not be processed.",)


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in georeport.FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _respond(document: str, data: Any, fmt: str, status: int = 200) -> Response:
    return Response(georeport.render(document, data, fmt), status=status, mimetype=None,
                    content_type=georeport.FORMATS[fmt])


@blueprint.errorhandler(Open311Error)
def handle_open311_error(error: Open311Error) -> Response:
    db.session.rollback()
    return _respond("errors", georeport.error_records(error.status, *error.descriptions), _format(), error.status)


@blueprint.errorhandler(NulCharacterError)
def handle_nul_character(error: NulCharacterError) -> Response:
    db.session.rollback()
    return _respond("errors", georeport.error_records(400, "The request contains a NUL character."), _format(), 400)


@blueprint.errorhandler(DomainError)
def handle_domain_error(error: DomainError) -> Response:
    db.session.rollback()
    status = 404 if error.status == 404 else 403 if error.status == 403 else 400
    return _respond("errors", georeport.error_records(status, error.message), _format(), status)


def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 400
    response = _respond("errors", georeport.error_records(status, error.description or error.name), _format(), status)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


# By class for any HTTP error, and by code too: the application's own handlers for these codes (CSRF, too
# large, rate limited) would otherwise answer first, in a format Open311 clients do not expect.
blueprint.register_error_handler(HTTPException, handle_http_error)
for _status in (400, 404, 405, 413, 429):
    blueprint.register_error_handler(_status, handle_http_error)


def _check_jurisdiction() -> None:
    wanted = current_app.config.get("OPEN311_JURISDICTION_ID")
    given = request.values.get("jurisdiction_id")
    if wanted and given and given != wanted:
        raise Open311Error(404, f"jurisdiction_id {given!r} was not found; this endpoint serves {wanted!r}.")


# ---------------------------------------------------------------- discovery and services

@blueprint.route(f"/discovery.{FORMAT}")
def discovery(fmt: str) -> Response:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + blueprint.url_prefix
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


@blueprint.route(f"/services.{FORMAT}")
def services(fmt: str) -> Response:
    _check_jurisdiction()
    return _respond("services", [_service_record(theme) for theme in _services()], fmt)


def _service(code: str) -> Theme:
    theme = db.session.scalar(select(Theme).where(Theme.code == code, Theme.active.is_(True)))
    if theme is None:
        raise Open311Error(404, f"service_code {code!r} was not found.")
    return theme


def _values(rows: Sequence[Actor | Region | District], extra: Sequence[tuple[str, str]] = ()) -> list[dict[str, str]]:
    return [{"key": row.code, "name": row.name} for row in rows] + [{"key": k, "name": n} for k, n in extra]


@blueprint.route(f"/services/<service_code>.{FORMAT}")
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
    ]
    return _respond("service_definition", {"service_code": theme.code, "attributes": attributes}, fmt)


# ---------------------------------------------------------------- reading requests (published answers)

def _parse_w3(name: str) -> dt.datetime | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date and time, for example 2026-01-01T00:00:00Z.") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} must include the time zone, for example 2026-01-01T00:00:00Z.")
    return value.astimezone(dt.UTC)


def _list_argument(name: str) -> list[str]:
    return [part.strip() for part in (request.args.get(name) or "").split(",") if part.strip()]


def _statuses() -> bool | None:
    wanted = set(_list_argument("status"))
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed, or both separated by a comma.")
    if wanted == {"open"}:
        return True
    if wanted == {"closed"}:
        return False
    return None


@blueprint.route(f"/requests.{FORMAT}", methods=["GET"])
def requests_list(fmt: str) -> Response:
    _check_jurisdiction()
    references = tuple(ref.upper() for ref in _list_argument("service_request_id"))
    if len(references) > MAX_IDS:
        raise Open311Error(400, f"Ask for at most {MAX_IDS} service_request_id values at once.")
    if references:  # "This overrides all other arguments."
        search = AnswerSearch(references=references, include_withdrawn=False)
    else:
        start, end = _parse_w3("start_date"), _parse_w3("end_date")
        if start and end and end < start:
            raise Open311Error(400, "end_date must not be before start_date.")
        if start and end and end - start > dt.timedelta(days=MAX_DAYS):
            raise Open311Error(400, f"start_date and end_date may not span more than {MAX_DAYS} days.")
        codes = _list_argument("service_code")
        if len(codes) > 1:
            return _respond("service_requests", _merged(codes, start, end), fmt)
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


@blueprint.route(f"/requests/<service_request_id>.{FORMAT}")
def request_detail(service_request_id: str, fmt: str) -> Response:
    _check_jurisdiction()
    answers, _ = search_answers(AnswerSearch(references=(service_request_id.upper()[:40],),
                                             include_withdrawn=False), page_size=1)
    if not answers:
        raise Open311Error(404, f"There is no published answer for service_request_id {service_request_id!r}. "
                                "Requests are readable once the oversight body publishes its answer.")
    return _respond("service_requests", [georeport.request_record(answers[0])], fmt)


@blueprint.route(f"/tokens/<token>.{FORMAT}")
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


@blueprint.route(f"/requests.{FORMAT}", methods=["POST"])
@csrf.exempt  # a machine endpoint: the api_key is its credential, not a browser session
@limiter.limit(_open311_limit)
def requests_create(fmt: str) -> Response:
    key = authenticate_api_key(request.form.get("api_key"))
    if key is None:
        raise Open311Error(403, "api_key is missing or not valid. Ask the CivicWatch administrators for one.")
    _check_jurisdiction()
    code = (request.form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required.")
    theme = _service(code)
    submission = _submission(request.form)
    return _create(key, theme, submission, fmt)


def _submission(form: Mapping[str, str]) -> Submission:
    description = form.get("description") or ""
    if not description.strip():
        raise Open311Error(400, "description is required: what happened, where and when.")
    return Submission(
        text=description, channel=Channel.OPEN311,
        incident_date=_incident_date(form.get("attribute[incident_date]")),
        region_code=form.get("attribute[region]") or None,
        district_code=form.get("attribute[district]") or None,
        location_text=_location(form),
        reported_actor=form.get("attribute[reported_actor]") or None,
        phone=form.get("phone") or None, email=form.get("email") or None,
    )


def _incident_date(raw: str | None) -> dt.date | None:
    if not raw or not raw.strip():
        return None
    try:
        return dt.date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise Open311Error(400, "attribute[incident_date] must be a date, for example 2026-03-14.") from None


def _location(form: Mapping[str, str]) -> str | None:
    """What the client says about the place: the address, or the coordinates in words."""
    address = (form.get("address_string") or "").strip()
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not (lat or lon):
        return address or None
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        raise Open311Error(400, "lat and long must both be numbers (WGS84).") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Open311Error(400, "lat must be between -90 and 90 and long between -180 and 180.")
    coordinates = f"near {latitude:.5f}, {longitude:.5f}"
    return f"{address} ({coordinates})" if address else coordinates


def _create(key: ApiKey, theme: Theme, submission: Submission, fmt: str) -> Response:
    key_id, key_name = key.id, key.name
    db.session.commit()  # the key's last use; receive_complaint commits the complaint on its own
    case, receipt_code = receive_complaint(submission)
    token = secrets.token_urlsafe(18)
    db.session.add(Open311Token(token_hash=keyed_hash("open311_token", token), case_id=case.id, api_key_id=key_id,
                                service_code=theme.code, created_at=utcnow()))
    db.session.add(CaseEvent(case_id=case.id, kind="open311", public=False, created_at=utcnow(),
                             detail={"service_code": theme.code, "client": key_name}))
    record_audit(None, "open311.request", case, after={"api_key": key_id, "service_code": theme.code})
    db.session.commit()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    notice = (f"Received. The complainant's receipt code is {receipt_code}: with it they can follow the "
              f"complaint at {base}/track. Keep it private. Reference {case.reference}.")
    return _respond("service_requests", [{"token": token, "service_notice": notice, "account_id": None}], fmt)


# ---------------------------------------------------------------- anything else under /open311/v2

@blueprint.route("/<path:anything>")
def unknown(anything: str) -> NoReturn:
    """An unknown resource answers in the spec's error format, not as an HTML page. (Only GET: every other
    method stays under the application's CSRF protection, except the one POST that carries an api_key.)"""
    raise NotFound("There is nothing at this address. Start from discovery.json or services.json.")
