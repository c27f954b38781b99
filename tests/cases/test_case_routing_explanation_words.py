"""The case page's "Why it was routed this way", as a new staff member reads it: names and plain words in the
page's language (the body's and theme's names, percentages, yes or no), not the router's codes and raw values
("anti_corruption_commission", "0.9975", "False", "routed")."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.cases.models import Case, CaseStatus
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Body, Theme
from civicwatch.taxonomy.queries import by_code

EXPLANATION = {
    "decision": "routed", "body": "police_oversight", "reason": "rule priority 30: theme misconduct -> police_oversight",
    "rule": "priority 30: theme misconduct -> police_oversight", "rule_id": 3, "theme": "misconduct",
    "confidence": 0.9975, "threshold": 0.6708, "actor": "police", "region": "southern", "district": "bo",
    "model_version": "20261206-062216-235cbe12", "language": "en", "urgency_score": 0.0108, "urgent": False,
    "actor_source": "text", "place_source": "complainant",
    "scores": {"misconduct": 0.9975, "corruption": 0.0013, "abuse_of_force": 0.0011},
}


def _section(html: str, title: str) -> str:
    start = html.index(title)
    return html[start:html.index("</details>", start)]


def _routed_case(make_case) -> Case:
    case = make_case(CaseStatus.TRIAGED, body="police_oversight")
    db.session.get(Case, case.id).routing_explanation = EXPLANATION
    db.session.commit()
    return case


def test_the_explanation_is_in_plain_words(make_case, make_user, signed_in):
    case = _routed_case(make_case)
    client = signed_in(make_user(Role.ADMIN))

    section = _section(client.get(f"/staff/cases/{case.id}").get_data(as_text=True), "Why it was routed this way")

    for raw in ("<dd>police_oversight</dd>", "0.9975", "False", ">routed<", ">misconduct<", ">southern<", ">text<"):
        assert raw not in section, raw
    assert by_code(Body, "police_oversight").name in section
    assert by_code(Theme, "misconduct").name in section
    assert "99.8%" in section and "67.1%" in section
    assert "read in the complaint" in section and "chosen by the complainant" in section


def test_the_explanation_in_french(make_case, make_user, signed_in):
    case = _routed_case(make_case)
    client = signed_in(make_user(Role.TRIAGE))
    client.get("/language/fr")

    html = client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    section = _section(html, "Pourquoi il a été orienté ainsi")

    for english in ("Confidence", "Threshold", "Actor source", "Urgency score", "Model version"):
        assert f"<dt>{english}</dt>" not in section, english
    assert "Confiance" in section


def test_a_case_left_for_triage_says_so(make_case, make_user, signed_in):
    case = make_case(CaseStatus.RECEIVED, body=None)
    db.session.get(Case, case.id).routing_explanation = {"decision": "triage", "body": None,
                                                          "reason": "below threshold", "model_version": None}
    db.session.commit()
    client = signed_in(make_user(Role.TRIAGE))

    section = _section(client.get(f"/staff/cases/{case.id}").get_data(as_text=True), "Why it was routed this way")

    assert "None</dd>" not in section and ">triage<" not in section
    assert "Left for triage" in section
