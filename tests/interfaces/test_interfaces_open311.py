"""Open311 GeoReport v2, field by field against the specification (http://wiki.open311.org/GeoReport_v2),
in JSON and XML."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import select

from civicwatch.cases.identity import contact_of
from civicwatch.cases.models import Case, CaseEvent, CaseStatus, Channel
from civicwatch.extensions import db
from civicwatch.interfaces.models import ApiKey, Open311Token
from civicwatch.taxonomy.models import Theme

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
W3 = "%Y-%m-%dT%H:%M:%SZ"


def xml(response) -> ElementTree.Element:
    assert response.content_type == "text/xml; charset=utf-8"
    body = response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(body.split("\n", 1)[1])


@pytest.fixture
def published_case(new_case, publish):
    case = new_case(CaseStatus.CLOSED, theme="corruption", region="eastern",
                    created_at=dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC))
    publish(case)
    return case


def test_discovery(client):
    data = client.get("/open311/v2/discovery.json").get_json()
    assert set(data) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = data["endpoints"][0]
    assert endpoint == {"specification": "http://wiki.open311.org/GeoReport_v2", "url": "http://localhost/open311/v2",
                        "changeset": data["changeset"], "type": "production",
                        "formats": ["text/xml", "application/json"]}
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_are_the_active_themes(client):
    response = client.get("/open311/v2/services.json")
    assert response.content_type == "application/json; charset=utf-8"
    services = response.get_json()
    themes = list(db.session.scalars(select(Theme).where(Theme.active.is_(True)).order_by(Theme.name)))
    assert [s["service_code"] for s in services] == [t.code for t in themes]
    for service, theme in zip(services, themes, strict=False):
        assert list(service) == SERVICE_FIELDS
        assert service["service_name"] == theme.name and service["metadata"] is True
        assert service["type"] == "batch" and service["group"] == "Complaints about the security services"
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services" and len(root) == len(themes)
    first = root[0]
    assert first.tag == "service" and [child.tag for child in first] == SERVICE_FIELDS
    assert first.find("metadata").text == "true"


def test_service_definition(client):
    definition = client.get("/open311/v2/services/corruption.json").get_json()
    assert definition["service_code"] == "corruption"
    codes = [a["code"] for a in definition["attributes"]]
    assert codes == ["reported_actor", "region", "district", "incident_date", "texts_allowed"]
    for order, attribute in enumerate(definition["attributes"], start=1):
        assert list(attribute) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                   "description", "values"]
        assert attribute["order"] == order and attribute["variable"] is True and attribute["required"] is False
        assert attribute["datatype"] in ("singlevaluelist", "datetime")
    actor_keys = [v["key"] for v in definition["attributes"][0]["values"]]
    assert "police" in actor_keys and "unknown" in actor_keys
    root = xml(client.get("/open311/v2/services/corruption.xml"))
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute/values/value")
    assert values and {child.tag for child in values[0]} == {"key", "name"}


def test_unknown_service_is_a_404_in_the_spec_format(client):
    response = client.get("/open311/v2/services/no_such_thing.json")
    assert response.status_code == 404
    assert response.get_json() == [{"code": 404, "description": "service_code 'no_such_thing' was not found.",
                                    "error_code": "service_code_unknown", "parameter": "service_code"}]
    root = xml(client.get("/open311/v2/services/no_such_thing.xml"))
    assert root.tag == "errors" and root.find("error/code").text == "404"


def test_published_answers_are_the_requests(client, published_case, new_case):
    new_case(CaseStatus.CLOSED, theme="corruption")  # answered but not published: never listed
    requests = client.get("/open311/v2/requests.json").get_json()
    assert len(requests) == 1
    request = requests[0]
    assert list(request) == REQUEST_FIELDS
    assert request["service_request_id"] == published_case.reference
    assert request["status"] == "closed"
    assert request["service_code"] == "corruption" and request["service_name"] == "Corruption"
    assert request["agency_responsible"] == published_case.body.name
    assert request["requested_datetime"] == "2026-03-04T00:00:00Z"  # to the day, not the minute
    dt.datetime.strptime(request["updated_datetime"], W3)
    assert request["address"] == "Eastern Province"  # the region: nothing finer is published
    assert request["lat"] is None and request["long"] is None and request["media_url"] is None
    assert request["description"].startswith("The investigation found")
    assert request["status_notes"].startswith("Outcome: Substantiated")
    assert published_case.text not in str(request)  # the complaint itself is never published

    root = xml(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert [child.tag for child in root[0]] == REQUEST_FIELDS
    assert root[0].find("lat").text is None

    one = client.get(f"/open311/v2/requests/{published_case.reference}.json").get_json()
    assert one == requests
    assert client.get(f"/open311/v2/requests/{published_case.reference.lower()}.xml").status_code == 200


@pytest.mark.parametrize("query, found", [
    ("service_code=corruption", True), ("service_code=misconduct", False),
    ("service_code=misconduct,corruption", True), ("status=closed", True), ("status=open", False),
    ("start_date=2026-03-01T00:00:00Z&end_date=2026-03-31T00:00:00Z", True),
    ("start_date=2026-04-01T00:00:00%2B01:00", False), ("service_request_id=CW-2026-999999", False),
])
def test_request_filters(client, published_case, query, found):
    requests = client.get(f"/open311/v2/requests.json?{query}").get_json()
    assert bool(requests) is found, requests


def test_date_filters_work_on_whole_days_so_they_never_tell_the_time(client, new_case, publish):
    """Two complaints on the same day, 10 minutes apart: no start_date or end_date separates them."""
    early = new_case(CaseStatus.CLOSED, theme="corruption", created_at=dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC))
    late = new_case(CaseStatus.CLOSED, theme="corruption", created_at=dt.datetime(2026, 3, 4, 15, 40, tzinfo=dt.UTC))
    references = {early.reference, late.reference}
    publish(early)
    publish(late)
    for minute in range(0, 24 * 60, 5):
        instant = (dt.datetime(2026, 3, 4, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)).strftime(W3)
        for query in (f"start_date={instant}", f"end_date={instant}"):
            found = {r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?{query}").get_json()}
            assert found & references in (set(), references), query
    after = client.get("/open311/v2/requests.json?start_date=2026-03-05T00:00:00Z").get_json()
    assert not {r["service_request_id"] for r in after} & references


def test_service_request_id_overrides_the_other_filters(client, published_case):
    requests = client.get(f"/open311/v2/requests.json?service_request_id={published_case.reference}"
                          "&service_code=misconduct&status=open").get_json()
    assert [r["service_request_id"] for r in requests] == [published_case.reference]


@pytest.mark.parametrize("query, message", [
    ("start_date=yesterday", "start_date must be a W3C date"),
    ("start_date=2026-01-01T00:00:00", "must include the time zone"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "more than 90 days"),
    ("start_date=2026-03-01T00:00:00Z&end_date=2026-02-01T00:00:00Z", "must not be before"),
    ("status=pending", "status must be open, closed"),
])
def test_bad_request_filters_are_400s_in_the_spec_format(client, query, message):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and message in error["description"]


def test_an_unpublished_request_is_not_found(client, new_case):
    case = new_case(CaseStatus.CLOSED)
    response = client.get(f"/open311/v2/requests/{case.reference}.json")
    assert response.status_code == 404 and response.get_json()[0]["code"] == 404


def test_creating_a_request_goes_through_intake(client, api_key):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "corruption", "jurisdiction_id": "anything",
        "description": "Officers at the Waterloo checkpoint take money from every okada rider.",
        "attribute[reported_actor]": "police", "attribute[region]": "western_area",
        "attribute[incident_date]": "2026-03-14", "address_string": "Waterloo checkpoint",
        "lat": "8.3384", "long": "-13.0718", "phone": "076 555 123", "email": "rider@example.org",
        "first_name": "Not", "last_name": "Stored", "media_url": "http://example.org/x.jpg",
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    [created] = response.get_json()
    assert list(created) == ["token", "service_notice", "account_id"]
    assert "service_request_id" not in created  # batch: the spec returns a token instead
    case = db.session.scalar(select(Case))
    assert case.channel is Channel.OPEN311 and case.status is CaseStatus.RECEIVED
    assert case.reported_actor == "police" and case.region.code == "western_area"
    assert case.incident_date == dt.date(2026, 3, 14)
    assert case.location_text == "Waterloo checkpoint (near 8.33840, -13.07180)"
    assert contact_of(case) == {"phone": "+23276555123", "email": "rider@example.org"}
    assert "Stored" not in str(contact_of(case))
    assert case.reference in created["service_notice"] and "/track" in created["service_notice"]
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "open311"))
    assert not event.public and event.detail == {"service_code": "corruption", "client": "Freetown civic app"}
    assert db.session.scalar(select(ApiKey)).last_used_at is not None

    token = client.get(f"/open311/v2/tokens/{created['token']}.json").get_json()
    assert token == [{"service_request_id": case.reference, "token": created["token"]}]
    root = xml(client.get(f"/open311/v2/tokens/{created['token']}.xml"))
    assert [child.tag for child in root[0]] == ["service_request_id", "token"]
    assert db.session.scalar(select(Open311Token)).token_hash != created["token"]


def test_creating_a_request_in_xml(client, api_key):
    response = client.post("/open311/v2/requests.xml", data={
        "api_key": api_key, "service_code": "misconduct", "description": "The officer insulted my mother."})
    root = xml(response)
    assert root.tag == "service_requests" and [c.tag for c in root[0]] == ["token", "service_notice", "account_id"]


@pytest.mark.parametrize("data, status, message", [
    ({}, 403, "api_key is missing"),
    ({"api_key": "cw311_wrong"}, 403, "api_key is missing or not valid"),
    ({"api_key": "KEY", "description": "Something happened to me."}, 400, "service_code is required"),
    ({"api_key": "KEY", "service_code": "nothing", "description": "Something happened."}, 404, "was not found"),
    ({"api_key": "KEY", "service_code": "corruption"}, 400, "Tell us what happened"),
    ({"api_key": "KEY", "service_code": "corruption", "description": "x", "lat": "north"}, 400, "must both be numbers"),
    ({"api_key": "KEY", "service_code": "corruption", "description": "x", "lat": "95", "long": "1"}, 400, "between"),
    ({"api_key": "KEY", "service_code": "corruption", "description": "x", "phone": "12"}, 400, "phone number"),
    ({"api_key": "KEY", "service_code": "corruption", "description": "x", "attribute[region]": "mars"}, 400, "region"),
    ({"api_key": "KEY", "service_code": "corruption", "description": "x", "attribute[incident_date]": "2999-01-01"},
     400, "future"),
])
def test_creating_errors_follow_the_spec(client, api_key, data, status, message):
    data = {k: (api_key if v == "KEY" else v) for k, v in data.items()}
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == status, response.get_data(as_text=True)
    [error] = response.get_json()
    assert error["code"] == status and message in error["description"]
    assert db.session.scalar(select(Case)) is None


def test_a_revoked_key_is_refused(client, api_key):
    key = db.session.scalar(select(ApiKey))
    from civicwatch.interfaces.operations import revoke_api_key

    revoke_api_key(key, None)
    db.session.commit()
    response = client.post("/open311/v2/requests.json", data={"api_key": api_key, "service_code": "corruption",
                                                              "description": "Officers took money."})
    assert response.status_code == 403


def test_the_jurisdiction_is_checked_when_configured(app, client):
    app.config["OPEN311_JURISDICTION_ID"] = "civicwatch.sl"
    assert client.get("/open311/v2/services.json?jurisdiction_id=civicwatch.sl").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 200  # optional for one jurisdiction
    wrong = client.get("/open311/v2/services.json?jurisdiction_id=other.city")
    assert wrong.status_code == 404 and "jurisdiction_id" in wrong.get_json()[0]["description"]


def test_unknown_addresses_answer_in_the_spec_format(client):
    missing = client.get("/open311/v2/nothing/here.xml")
    assert missing.status_code == 404 and xml(missing).tag == "errors"
    assert client.get("/open311/v2/nothing").get_json()[0]["code"] == 404
    assert client.get("/open311/v2/services.html").status_code == 404


def test_a_method_a_resource_does_not_take_is_refused(client):
    assert client.put("/open311/v2/services.json").status_code in (400, 405)  # CSRF first, or the method
    assert client.post("/open311/v2/services.json").status_code in (400, 405)


def test_the_post_needs_no_csrf_token_but_every_staff_form_does(app, client, api_key):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/open311/v2/requests.json", data={"api_key": api_key, "service_code": "corruption",
                                                              "description": "Officers took money at the border."})
    assert response.status_code == 200
    exempt = {view for view in app.extensions["csrf"]._exempt_views if view.startswith("civicwatch.interfaces")}
    assert exempt == {"civicwatch.interfaces.views.requests_create"}


@pytest.mark.parametrize("path, status", [
    ("/open311/v2/requests/CW%00.json", 400), ("/open311/v2/services/%00.json", 400),
    ("/open311/v2/requests.json?service_code=%00", 400),
    ("/open311/v2/tokens/%00.xml", 404),  # a token is only ever hashed, so it is simply not found
])
def test_a_nul_character_is_refused_in_the_spec_format(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert f'"code": {status}' in body or f"<code>{status}</code>" in body
