"""The published answers' CSV never hands a spreadsheet a formula, however the text that starts a cell is
dressed: after spaces or a line break, or with the full-width signs some keyboards type."""
from __future__ import annotations

import csv
import io

import pytest

from civicwatch.cases.models import CaseStatus
from civicwatch.open_data import safe_text

DRESSED = [" =HYPERLINK(\"http://evil\")", "\n=1+1", "\t=cmd", " \u00a0@SUM(A1)", "\uff1dHYPERLINK(\"http://evil\")",
           "\uff0b1", "\u3000-2+3"]


@pytest.mark.parametrize("text", DRESSED)
def test_a_dressed_formula_is_kept_from_running(text):
    assert safe_text(text).startswith("'")
    assert safe_text(text)[1:] == text  # nothing of the text is lost


@pytest.mark.parametrize("text", ["Officers at the ferry", "", " plain words", "-", "2026-03 report"])
def test_plain_text_is_left_alone(text):
    expected = "'-" if text == "-" else text
    assert safe_text(text) == expected


def test_the_answers_csv_quotes_a_formula_in_full_width_signs(client, new_case, publish):
    case = new_case(CaseStatus.CLOSED, theme="misconduct",
                    findings="\uff1dHYPERLINK(\"http://evil\") The desk officer insulted a visitor.")
    publish(case)
    rows = list(csv.DictReader(io.StringIO(client.get("/published/answers.csv").get_data(as_text=True))))
    assert rows[0]["summary"].startswith("'")
