"""Every kind of entry the app writes to the audit log can be chosen in the log's filter and reads in plain words:
an auditor looking for who approved a disclosure, erased a case or changed whether a phone may be texted must not
be told "Choose from the options listed" for an action the app records. The actions are read from the code (every
literal `record_audit(..., "<action>", ...)`), so a new one without words fails here."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from civicwatch.accounts.models import Role
from tests.factories import staff_client

ROOT = Path(__file__).resolve().parents[2] / "civicwatch"


def recorded_actions() -> list[str]:
    actions: set[str] = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name != "record_audit":
                continue
            argument = node.args[1] if len(node.args) > 1 else next(
                (keyword.value for keyword in node.keywords if keyword.arg == "action"), None)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                actions.add(argument.value)
    return sorted(actions)


ACTIONS = recorded_actions()


def test_the_code_records_actions_this_test_can_read():
    assert len(ACTIONS) > 80 and "case.view" in ACTIONS and "disclosure.approve" in ACTIONS


@pytest.mark.parametrize("action", ACTIONS)
def test_every_recorded_action_is_a_filter_choice_in_plain_words(app, make_user, action):
    client = staff_client(app, make_user(Role.AUDITOR))
    response = client.get(f"/staff/audit/?action={action}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, action
    assert f'value="{action}"' in page
