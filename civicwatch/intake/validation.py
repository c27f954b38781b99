"""Checking what a complainant sends, on any channel: the operations and the web form share these rules, so
every channel accepts exactly the same things, and refuses with the same words.

Each refusal has a stable code (for API clients, tests and logs) and a sentence from the catalogs, written in
the reader's language: the page's for the web form, the Accept-Language of an Open311 request, the phone's
(force_locale) for the SMS dialogue."""
from __future__ import annotations

import datetime as dt

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_number, gettext

from civicwatch import phones
from civicwatch.cases.models import Channel
from civicwatch.database import deployment_date
from civicwatch.errors import DomainError
from civicwatch.i18n import N_
from civicwatch.phones import SMS
from civicwatch.routing.queries import region_of_district, taxonomy_row
from civicwatch.taxonomy.models import Actor, District, Region
from civicwatch.text import tidy_text, visible_length

TEXT_MAX = 5000
# The web form and staff taking a complaint down ask for enough to act on; an SMS or an Open311 report may be
# short and is still kept.
TEXT_MIN = {Channel.WEB: 20, Channel.IN_PERSON: 20, Channel.PHONE_CALL: 20}
LOCATION_MAX = 500
MESSAGE_MAX = 5000
EMAIL_MAX = 254
UNKNOWN_ACTOR = "unknown"
EARLIEST_INCIDENT = dt.date(1960, 1, 1)


# The refusals, by code. A code never changes meaning once published (API clients branch on it); the words may.
MESSAGES: dict[str, str] = {
    "text_missing": N_("Tell us what happened."),
    "text_too_short": N_("Write at least %(least)s characters so that we can act on it."),
    "text_too_long": N_("Write at most %(most)s characters (you wrote %(count)s)."),
    "message_empty": N_("Write a message or choose a file to send."),
    "date_in_future": N_("The date cannot be in the future."),
    "date_too_early": N_("Give a date after %(year)s."),
    "region_unknown": N_("Choose a region from the list."),
    "district_unknown": N_("Choose a district from the list."),
    "district_outside_region": N_("%(district)s is not in %(region)s."),
    "actor_unknown": N_("Choose who was involved from the list, or “I don't know”."),
    "phone_invalid": N_("Check the phone number: write it as you would dial it, with the country code if it is "
                        "not a local number."),
    "email_too_long": N_("That email address is too long."),
    "email_invalid": N_("Check the email address, for example name@example.com."),
}


class SubmissionError(DomainError):
    """Input that cannot be accepted: `code` says which rule refused it (a key of MESSAGES), `field` names the
    form field it belongs to (None: the whole form). The message is written when the error is raised, in the
    language of that moment (the request's, or the phone's under force_locale)."""

    def __init__(self, code: str, field: str | None = None, **values: str) -> None:
        super().__init__(gettext(MESSAGES[code], **values))
        self.code = code
        self.field = field


def clean_text(value: str | None, field: str, minimum: int = 0, maximum: int = TEXT_MAX) -> str:
    """The text tidied (no control characters, one kind of line end, stripped), with its length checked."""
    text = tidy_text(value)
    if visible_length(text) < minimum:
        if not text:
            raise SubmissionError("text_missing", field)
        raise SubmissionError("text_too_short", field, least=format_number(minimum))
    if len(text) > maximum:
        raise SubmissionError("text_too_long", field, most=format_number(maximum), count=format_number(len(text)))
    return text


def clean_optional(value: str | None, field: str, maximum: int) -> str | None:
    return clean_text(value, field, 0, maximum) or None


def check_incident_date(value: dt.date | None, today: dt.date | None = None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if value > (today or deployment_date()):
        raise SubmissionError("date_in_future", "incident_date")
    if value < EARLIEST_INCIDENT:
        raise SubmissionError("date_too_early", "incident_date", year=str(EARLIEST_INCIDENT.year))
    return value


def resolve_place(region_code: str | None, district_code: str | None) -> tuple[Region | None, District | None]:
    """The gazetteer entries for the codes; a district alone implies its region. From the taxonomy cache: every
    report reads them twice (the form's check, then the case), and the gazetteer rarely changes."""
    region = taxonomy_row(Region, region_code)
    district = taxonomy_row(District, district_code)
    if region_code and region is None:
        raise SubmissionError("region_unknown", "area")
    if district_code and district is None:
        raise SubmissionError("district_unknown", "area")
    if district is not None:
        if region is not None and district.region_id != region.id:
            raise SubmissionError("district_outside_region", "area", district=district.name, region=region.name)
        region = taxonomy_row(Region, region_of_district(district.code))
    return region, district


def resolve_reported_actor(code: str | None) -> tuple[str | None, Actor | None]:
    if not code:
        return None, None
    if code == UNKNOWN_ACTOR:
        return UNKNOWN_ACTOR, None
    actor = taxonomy_row(Actor, code)
    if actor is None:
        raise SubmissionError("actor_unknown", "reported_actor")
    return actor.code, actor


def normalise_phone(raw: str | None) -> str | None:
    """E.164 (+23276123456) from what the person typed; numbers without a prefix use DEFAULT_PHONE_REGION."""
    if not raw or not raw.strip():
        return None
    phone = phones.normalise_phone(raw, phones.deployment_region(), valid_only=True) if len(raw) <= 40 else None
    if phone is None:
        raise SubmissionError("phone_invalid", "phone")
    return phone


def normalise_contact_email(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > EMAIL_MAX:
        raise SubmissionError("email_too_long", "email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise SubmissionError("email_invalid", "email") from exc


def contact_details(phone: str | None, email: str | None, texts_by: str = SMS) -> dict[str, str] | None:
    """The contact details to keep; `texts_by` ("sms", "whatsapp") is kept beside a phone reached otherwise
    than by SMS, so that news of the case goes back on that channel."""
    given = {"phone": normalise_phone(phone), "email": normalise_contact_email(email)}
    contact = {key: value for key, value in given.items() if value}
    if "phone" in contact and texts_by != SMS:
        contact["texts_by"] = texts_by
    return contact or None
