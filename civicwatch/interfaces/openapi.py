"""The OpenAPI 3.1 description of CivicWatch's public JSON API (Open311 and the open data exports)."""
from __future__ import annotations

from typing import Any

from civicwatch.intake.validation import MESSAGES

# Every error_code the API can return: the intake's rules, shared with the web form and SMS, and Open311's own.
ERROR_CODES = [*MESSAGES, "api_key_invalid", "api_key_expired", "service_code_missing", "service_code_unknown",
               "date_not_understood", "coordinates_not_numbers", "coordinates_out_of_range", "idempotency_key_reused",
               "content_type_unsupported", "texts_allowed_unknown"]
NULLABLE_STRING = {"type": ["string", "null"]}
W3_DATETIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "The request is not valid (see the description).", 403: "The api_key is missing or not valid.",
             404: "Not found.", 405: "Method not allowed.",
             409: "The Idempotency-Key was used before, more than an hour ago: the description names the request "
                  "it stored; nothing new was stored.",
             422: "The Idempotency-Key was used before for a different complaint (other fields): nothing new was "
                  "stored. Send each complaint with a key of its own.",
             413: "The body is too large or has too many fields: nothing was stored.",
             415: "The body is not a form (application/x-www-form-urlencoded or multipart/form-data).",
             429: "Too many requests: wait and try again.",
             503: "The service is briefly unavailable (the database): nothing was stored. Send the same request "
                  "again, with the same Idempotency-Key, after Retry-After seconds. If the database was lost while "
                  "the request was being stored, the description says it may have been stored: send it again only "
                  "with the same Idempotency-Key."}
    return {str(status): _json({"type": "array", "items": _ref("Open311Error")}, words[status]) for status in statuses}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


JURISDICTION = _query("jurisdiction_id", "Optional: this endpoint serves one jurisdiction.")
PROBLEM = _json({"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["status", "message"],
    "properties": {"status": {"type": "integer"}, "title": {"type": "string"}, "message": {"type": "string"},
                   "fields": {"type": "object"}}}}}, "The filters are not valid.")


def _schemas() -> dict[str, Any]:
    count = {"type": ["integer", "null"], "minimum": 0}
    share = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    group = {
        "type": "object",
        "required": ["code", "name", "counts", "shares", "median_days", "mean_rating", "not_shown"],
        "properties": {
            "code": {"type": "string"}, "name": {"type": "string"},
            "counts": {"type": "object", "additionalProperties": count},
            "shares": {"type": "object", "additionalProperties": share},
            "median_days": {"type": "object", "additionalProperties": {"type": ["number", "null"], "minimum": 0}},
            "mean_rating": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
            "not_shown": {"type": "object", "additionalProperties": {"type": "string"},
                          "description": "Why a figure is null: 'fewer than N', 'withheld', 'at least N' "
                                         "or 'no data'."},
            "at_least": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                         "description": "For a count over several months, some of them hidden: the sum of "
                                        "the months shown."},
            "targets": {"type": "object", "properties": {
                "share_acknowledged_in_time": {"type": "number"}, "days_to_close": {"type": "integer"}}},
        },
    }
    licence = {"type": "object", "required": ["name", "url"],
               "properties": {"name": {"type": "string"}, "url": {"type": "string"}}}
    answer = {
        "type": "object",
        "required": ["reference", "version", "status", "published_at", "received_on", "case_status", "summary",
                     "response", "url"],
        "properties": {
            "reference": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
            "status": {"enum": ["published", "withdrawn"]}, "published_at": W3_DATETIME,
            "withdrawn_at": W3_DATETIME, "withdraw_reason": NULLABLE_STRING,
            "received_on": {"type": "string", "format": "date"}, "answered_on": {"type": ["string", "null"]},
            "case_status": {"enum": ["open", "closed"]}, "body_code": NULLABLE_STRING, "body_name": NULLABLE_STRING,
            "theme_code": NULLABLE_STRING, "theme_name": NULLABLE_STRING, "outcome": NULLABLE_STRING,
            "region": NULLABLE_STRING, "summary": NULLABLE_STRING, "response": NULLABLE_STRING,
            "url": {"type": "string"},
        },
    }
    return {
        "Open311Error": {"type": "object", "required": ["code", "description"], "properties": {
            "code": {"type": "integer", "description": "The HTTP status."},
            "description": {"type": "string", "description": "Why, in words. A refused complaint is described in "
                            "the language of Accept-Language (en, fr or kri as offered); the rest in English."},
            "error_code": {"type": "string", "enum": ERROR_CODES, "description": "Which rule refused the request: "
                           "stable, for a client to act on (absent for errors a client cannot fix)."},
            "parameter": {"type": "string", "description": "The request parameter the error is about, e.g. "
                          "description or attribute[incident_date]."}}},
        "Discovery": {
            "type": "object", "required": ["changeset", "contact", "endpoints"],
            "properties": {
                "changeset": {"type": "string"}, "contact": {"type": "string"}, "key_service": {"type": "string"},
                "endpoints": {"type": "array", "items": {
                    "type": "object", "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {"specification": {"type": "string"}, "url": {"type": "string"},
                                   "changeset": {"type": "string"}, "type": {"enum": ["production", "test"]},
                                   "formats": {"type": "array", "items": {"type": "string"}}}}},
            },
        },
        "Service": {
            "type": "object",
            "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
            "properties": {"service_code": {"type": "string"}, "service_name": {"type": "string"},
                           "description": {"type": "string"}, "metadata": {"type": "boolean"},
                           "type": {"enum": ["realtime", "batch", "blackbox"]}, "keywords": {"type": "string"},
                           "group": {"type": "string"}},
        },
        "ServiceDefinition": {
            "type": "object", "required": ["service_code", "attributes"],
            "properties": {"service_code": {"type": "string"}, "attributes": {"type": "array", "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "datatype_description", "order",
                             "description", "values"],
                "properties": {
                    "variable": {"type": "boolean"}, "code": {"type": "string"},
                    "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                          "multivaluelist"]},
                    "required": {"type": "boolean"}, "datatype_description": NULLABLE_STRING,
                    "order": {"type": "integer", "minimum": 1}, "description": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "object", "required": ["key", "name"],
                                                           "properties": {"key": {"type": "string"},
                                                                          "name": {"type": "string"}}}},
                }}}},
        },
        "ServiceRequest": {
            "type": "object",
            "required": ["service_request_id", "status", "service_name", "service_code", "description",
                         "requested_datetime", "updated_datetime"],
            "properties": {
                "service_request_id": {"type": "string"}, "status": {"enum": ["open", "closed"]},
                "status_notes": NULLABLE_STRING, "service_name": NULLABLE_STRING, "service_code": NULLABLE_STRING,
                "description": {"type": "string", "maxLength": 4000}, "agency_responsible": NULLABLE_STRING,
                "service_notice": NULLABLE_STRING, "requested_datetime": W3_DATETIME,
                "updated_datetime": W3_DATETIME, "expected_datetime": W3_DATETIME, "address": NULLABLE_STRING,
                "address_id": NULLABLE_STRING, "zipcode": NULLABLE_STRING, "lat": {"type": ["number", "null"]},
                "long": {"type": ["number", "null"]}, "media_url": NULLABLE_STRING,
            },
        },
        "CreatedRequest": {
            "type": "object", "required": ["token", "service_notice", "account_id"],
            "properties": {"token": {"type": "string"}, "service_notice": {"type": "string"},
                           "account_id": NULLABLE_STRING},
        },
        "TokenAnswer": {
            "type": "object", "required": ["service_request_id", "token"],
            "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
        },
        "StatisticsGroup": group,
        "Statistics": {
            "type": "object",
            "required": ["licence", "period", "filters", "small_count_threshold", "generated_at", "overall",
                         "bodies", "months", "themes", "regions"],
            "properties": {
                "licence": licence, "source": {"type": "string"},
                "period": {"type": "object", "properties": {"first_month": NULLABLE_STRING,
                                                             "last_month": NULLABLE_STRING,
                                                             "label": {"type": "string"}}},
                "filters": {"type": "object"}, "small_count_threshold": {"type": "integer", "minimum": 1},
                "generated_at": {"type": "string", "format": "date-time"},
                "overall": _ref("StatisticsGroup"),
                **{name: {"type": "array", "items": _ref("StatisticsGroup")}
                   for name in ("bodies", "months", "themes", "regions")},
                "retaliation_watch": {
                    "type": "object", "description": "Since the watch began, whatever the filters.",
                    "properties": {"counts": {"type": "object", "properties": {
                        "check_ins": {"type": ["integer", "null"]},
                        "answers_reporting_retaliation": {"type": ["integer", "null"]}}},
                        "not_shown": {"type": "object", "additionalProperties": {"type": "string"}}}},
            },
        },
        "PublishedAnswer": answer,
        "PublishedAnswers": {
            "type": "object", "required": ["licence", "generated_at", "answers"],
            "properties": {"licence": licence, "source": {"type": "string"},
                           "generated_at": {"type": "string", "format": "date-time"},
                           "answers": {"type": "array", "items": _ref("PublishedAnswer")}},
        },
    }


def _open311_paths() -> dict[str, Any]:
    request_filters = [
        JURISDICTION,
        _query("service_request_id", "Comma-separated ids (references); overrides every other argument."),
        _query("service_code", "Comma-separated service codes (subjects)."),
        _query("start_date", "Received on or after (W3C date-time with zone). With end_date: at most 90 days."),
        _query("end_date", "Received on or before (W3C date-time with zone)."),
        _query("status", "open, closed, or both, comma-separated."),
    ]
    form_fields = {name: {"type": "string"} for name in (
        "api_key", "jurisdiction_id", "service_code", "description", "lat", "long", "address_string",
        "address_id", "email", "phone", "device_id", "account_id", "first_name", "last_name", "media_url",
        "attribute[reported_actor]", "attribute[region]", "attribute[district]", "attribute[incident_date]",
        "attribute[texts_allowed]", "idempotency_key")}
    idempotency = {
        "name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^[!-~]{16,200}$"},
        "description": "Recommended: a new random value (such as a UUID) for each complaint, sent again unchanged "
                       "when the same complaint is retried (a timeout, a lost answer). A retry with the same key and "
                       "api_key stores nothing new and answers as the first time (with the header "
                       "Idempotent-Replayed: true) for an hour, then with 409 naming the stored request. The retry "
                       "must send the same fields: the same key with another complaint is refused with 422. 16 to 200 "
                       "visible ASCII characters; may be sent as the idempotency_key field instead. Keys count per "
                       "api_key: another client's keys never match yours.",
    }
    return {
        "/open311/v2/discovery.json": {"get": {
            "summary": "Service discovery", "operationId": "open311Discovery",
            "responses": {"200": _json(_ref("Discovery"), "Where and how to use this endpoint."),
                          **_errors(400)}}},
        "/open311/v2/services.json": {"get": {
            "summary": "Services: the subjects a complaint can be about", "operationId": "open311Services",
            "parameters": [JURISDICTION],
            "responses": {"200": _json({"type": "array", "items": _ref("Service")}, "Every service."),
                          **_errors(400, 404)}}},
        "/open311/v2/services/{service_code}.json": {"get": {
            "summary": "A service definition: the extra attributes a request may carry",
            "operationId": "open311ServiceDefinition",
            "parameters": [_path("service_code", "A service code from services.json."), JURISDICTION],
            "responses": {"200": _json(_ref("ServiceDefinition"), "The definition."), **_errors(400, 404)}}},
        "/open311/v2/requests.json": {
            "get": {
                "summary": "Published answers as service requests",
                "description": "Only requests whose answer is published, with public-safe fields. Without dates, "
                               "the 1,000 most recently published; requested_datetime is given to the day.",
                "operationId": "open311Requests", "parameters": request_filters,
                "responses": {"200": _json({"type": "array", "items": _ref("ServiceRequest")}, "Matching requests."),
                              **_errors(400, 404, 429)}},
            "post": {
                "summary": "Send a complaint (needs an api_key issued by the administrators)",
                "description": "Creates a case through the same intake as the web form. Answers with a token; "
                               "tokens/{token} gives the request id, which becomes readable once an answer is "
                               "published. first_name, last_name, device_id, account_id and media_url are not "
                               "stored. Send an Idempotency-Key so that a retried request cannot store the "
                               "complaint twice.",
                "operationId": "open311CreateRequest", "parameters": [idempotency],
                "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["api_key", "service_code", "description"],
                    "properties": form_fields}}}},
                "responses": {"200": _json({"type": "array", "items": _ref("CreatedRequest")}, "Received."),
                              **_errors(400, 403, 404, 409, 413, 415, 422, 429, 503)}},
        },
        "/open311/v2/requests/{service_request_id}.json": {"get": {
            "summary": "One published answer", "operationId": "open311Request",
            "parameters": [_path("service_request_id", "The case reference, for example CW-2026-483071."),
                           JURISDICTION],
            "responses": {"200": _json({"type": "array", "items": _ref("ServiceRequest")}, "The request."),
                          **_errors(400, 404, 429)}}},
        "/open311/v2/tokens/{token}.json": {"get": {
            "summary": "The request id behind a token", "operationId": "open311Token",
            "parameters": [_path("token", "The token returned when the request was created."), JURISDICTION],
            "responses": {"200": _json({"type": "array", "items": _ref("TokenAnswer")}, "The id."),
                          **_errors(400, 404)}}},
    }


def _open_data_paths() -> dict[str, Any]:
    statistics_filters = [
        _query("period", "last12 (default), all, or a year the statistics cover, such as 2025 (any other value: 400).", {"type": "string"}),
        _query("from_month", "First month (YYYY-MM); overrides period.", {"type": "string"}),
        _query("to_month", "Last month (YYYY-MM); overrides period.", {"type": "string"}),
        _query("body", "An oversight body code."), _query("theme", "A subject (theme) code."),
        _query("region", "A region code."),
    ]
    answer_filters = [_query("q", "Words to search for, or a reference."), _query("body", "A body code."),
                      _query("theme", "A subject code."), _query("outcome", "An outcome code."),
                      _query("year", "The year published, such as 2026.")]
    return {
        "/transparency/statistics.json": {"get": {
            "summary": "The public statistics, with small counts suppressed", "operationId": "statistics",
            "parameters": statistics_filters,
            "responses": {"200": _json(_ref("Statistics"), "The figures."), "400": PROBLEM}}},
        "/published/answers.json": {"get": {
            "summary": "Every published answer, oldest first", "operationId": "publishedAnswers",
            "parameters": answer_filters,
            "responses": {"200": _json(_ref("PublishedAnswers"), "The answers."), "400": PROBLEM}}},
    }


def openapi_document(base_url: str, licence: dict[str, str]) -> dict[str, Any]:
    """The document; `base_url` is the server the paths hang from ("/" for the same host)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CivicWatch public API",
            "version": "1.0",
            "description": "Open311 GeoReport v2 (JSON; every path is also available with .xml) and the open "
                           "data of CivicWatch. Counts from 1 to the threshold minus one are never published.",
            "license": {"name": licence["name"], "url": licence["url"]},
        },
        "servers": [{"url": base_url}],
        "paths": {**_open311_paths(), **_open_data_paths(),
                  "/api/openapi.json": {"get": {"summary": "This description", "operationId": "openapi",
                                                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")}}}},
        "components": {"schemas": _schemas()},
    }
