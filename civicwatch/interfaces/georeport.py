"""Open311 GeoReport v2 documents: records built from CivicWatch data, written as JSON or XML.

JSON follows the spec's mapping of the XML (the Spark convention): lists are top-level arrays, absent values
are null; XML has no namespace, an XML declaration with UTF-8, and empty elements for absent values.
"""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ElementTree
from typing import Any

from civicwatch.open_data import outcome_label
from civicwatch.publishing.queries import PublicAnswer
from civicwatch.xmltext import xml_text

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DESCRIPTION_MAX = 4000  # the spec limits descriptions to 4,000 characters
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)
# How each document nests in XML: the root element, then the element of each item in a list.
XML_NAMES = {
    "services": ("services", "service"),
    "service_requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
XML_LIST_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def w3_datetime(value: dt.datetime | None) -> str | None:
    """W3C date-time with the zone, as the spec requires: 2010-01-01T00:00:00Z."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day_datetime(value: dt.date | None) -> str | None:
    """A date as the start of its day (UTC): complaints are dated to the day, not the minute, in public."""
    return None if value is None else f"{value.isoformat()}T00:00:00Z"


def request_record(answer: PublicAnswer) -> dict[str, Any]:
    """A published answer as a GeoReport service request: public-safe fields only."""
    notes = f"Outcome: {outcome_label(answer.outcome)}. " if answer.outcome else ""
    updated = w3_datetime(answer.published_at)
    closed_on = answer.closed_on
    if closed_on is not None and answer.published_at is not None and closed_on > answer.published_at.date():
        updated = day_datetime(closed_on)  # the spec: for a closed request, when it was closed
    return {
        "service_request_id": answer.reference,
        "status": "open" if answer.case_open else "closed",
        "status_notes": notes + (answer.response or ""),
        "service_name": answer.theme_name,
        "service_code": answer.theme_code,
        "description": (answer.summary or "")[:DESCRIPTION_MAX],
        "agency_responsible": answer.body_name,
        "service_notice": None,
        "requested_datetime": day_datetime(answer.received_on),
        "updated_datetime": updated,
        "expected_datetime": None,
        "address": answer.region_name,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def error_records(code: int, *descriptions: str, error_code: str | None = None,
                  parameter: str | None = None) -> list[dict[str, Any]]:
    """The spec's errors (code: the HTTP status, description); CivicWatch adds `error_code`, a stable name of
    the rule that refused the request, and `parameter`, the field it is about, when known (clients that read
    only the spec's two fields are unaffected)."""
    extra = {key: value for key, value in (("error_code", error_code), ("parameter", parameter)) if value}
    return [{"code": code, "description": description, **extra} for description in descriptions]


def render(document: str, data: Any, fmt: str) -> str:
    """The body of a response: `document` names the XML root (see XML_NAMES) or a single element."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False)
    if document in XML_NAMES:
        root_name, item_name = XML_NAMES[document]
        root = ElementTree.Element(root_name)
        for item in data:
            _fill(ElementTree.SubElement(root, item_name), item)
    else:
        root = ElementTree.Element(document)
        _fill(root, data)
    return xml_text('<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode"))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, list):
                container = ElementTree.SubElement(element, key)
                for item in child:
                    _fill(ElementTree.SubElement(container, XML_LIST_ITEMS.get(key, "item")), item)
            else:
                _fill(ElementTree.SubElement(element, key), child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
