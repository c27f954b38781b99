"""The follow-up page's status agrees with its timeline, repeats nothing, and says how long the case has
waited and by when the next step normally happens."""
from __future__ import annotations

from markupsafe import escape as html_escape

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus
from civicwatch.cases.operations import extend_deadline
from civicwatch.cases.workflow import transition_case
from civicwatch.classify.registry import use_classifier
from civicwatch.extensions import db
from tests.intake.conftest import open_case, report_and_read_receipt
from tests.routing.conftest import FakeClassifier

CHECKING = "We are checking which oversight body can act on it."


def page(client) -> str:
    return client.get("/track/case").get_data(as_text=True)


def routed_report(client, app):
    use_classifier(app, FakeClassifier(theme="misconduct", confidence=0.8, actor="military", region="eastern",
                                       district="kenema"))
    reported = report_and_read_receipt(client)
    db.session.refresh(reported.case)
    assert reported.case.body is not None and reported.case.status is CaseStatus.RECEIVED
    open_case(client, reported.code)
    return reported


def test_a_routed_case_says_it_was_passed_on_not_that_we_are_checking(client, app, clock):
    reported = routed_report(client, app)
    body = reported.case.body.name
    html = page(client)
    assert CHECKING not in html
    assert f"Passed to {body}. Waiting for them to confirm they have it." in html
    assert f"Your report was passed to {body}." in html


def test_triage_confirming_the_body_is_not_a_second_event(client, app, clock, make_user):
    reported = routed_report(client, app)
    body = reported.case.body.name
    transition_case(reported.case, CaseStatus.TRIAGED, make_user(Role.TRIAGE))
    db.session.commit()
    html = page(client)
    assert html.count(f"passed to {body}") == 1, html
    assert "We received your report." in html


def test_days_waited_and_the_next_step_by_the_bodys_deadline(client, app, clock, make_user):
    reported = routed_report(client, app)
    case, body, date = reported.case, reported.case.body.name, app.jinja_env.filters["date"]
    html = page(client)
    assert "You sent it today." in html
    assert f"{body} normally confirms it has a case by {date(case.acknowledge_due_at)}." in html

    clock.advance(days=1)
    transition_case(case, CaseStatus.TRIAGED, make_user(Role.TRIAGE))
    transition_case(case, CaseStatus.ACKNOWLEDGED, make_user(Role.INVESTIGATOR, body=case.body))
    db.session.commit()
    clock.advance(days=11)
    open_case(client, reported.code)  # the tracking session expired meanwhile
    html = page(client)
    assert "You sent it 12 days ago." in html
    assert f"{body} normally answers by {date(case.respond_due_at)}." in html
    assert "longer than it normally does" not in html

    clock.advance(days=(case.respond_due_at - clock.now).days + 2)
    open_case(client, reported.code)
    html = page(client)
    assert f"{body} normally answers by {date(case.respond_due_at)}. This is taking longer" in html


def test_an_unrouted_case_says_when_it_is_normally_passed_on(client, app, clock):
    reported = report_and_read_receipt(client)  # no classifier: it waits in triage
    open_case(client, reported.code)
    html = page(client)
    assert CHECKING in html
    due = app.jinja_env.filters["date"](reported.case.acknowledge_due_at)
    assert f"We normally pass a report to the oversight body that can act on it by {due}." in html


def test_while_the_body_waits_for_the_complainant_no_date_is_promised(client, app, clock):
    reported = routed_report(client, app)
    reported.case.waiting_since = clock.now
    db.session.commit()
    html = page(client)
    assert "normally confirms" not in html and "does not run" in html


def test_an_extension_shows_its_date_and_reason_to_the_complainant_in_their_language(client, app, clock,
                                                                                   make_user):
    reported = routed_report(client, app)
    case = reported.case
    investigator = make_user(Role.INVESTIGATOR, body=case.body)
    transition_case(case, CaseStatus.TRIAGED, make_user(Role.TRIAGE))
    transition_case(case, CaseStatus.ACKNOWLEDGED, investigator)
    db.session.commit()
    clock.advance(days=40)
    reason = "The army has not yet sent the duty roster we asked for."
    extend_deadline(case, investigator, 10, reason)
    db.session.commit()
    open_case(client, reported.code)
    html = page(client)
    assert "You sent it 40 days ago." in html
    due = app.jinja_env.filters["date"](case.respond_due_at)
    assert f"{case.body.name} needs more time and will answer by {due}." in html
    assert f"Why it needs more time:</strong> {html_escape(reason)}" in html
    assert f"{case.body.name} needs more time to answer." in html  # on the timeline
    client.get("/language/fr")
    html = page(client)
    assert "Pourquoi il faut plus de temps" in html and "a besoin de plus de temps et répondra d" in html
