"""Training shows one progress bar: redrawn in place on a terminal, a few lines in a log, never going back."""
from __future__ import annotations

import io
import re

from civicwatch.classify.cli import ProgressBar
from civicwatch.classify.training import EpochReport

STAGES = ["theme (choosing epochs)", "theme", "urgency (choosing epochs)", "urgency",
          *[f"urgency (threshold, fold {n}/5)" for n in range(1, 6)], "actor (choosing epochs)", "actor"]


def _reports(prefixes=("1/2 ", "2/2 ")):
    for prefix in prefixes:
        for stage in STAGES:
            for epoch in range(1, 16):
                yield EpochReport(prefix + stage, epoch, 15, 0.5)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_the_bar_is_a_line_per_tenth_and_only_goes_forward():
    out = io.StringIO()
    bar = ProgressBar(stream=out)
    for report in _reports():
        bar(report)
    bar.finish()
    lines = out.getvalue().splitlines()
    assert 8 <= len(lines) <= 11  # not one per epoch (330 here)
    shares = [int(re.search(r"\] +(\d+)%", line).group(1)) for line in lines]
    assert shares == sorted(shares) and shares[-1] == 100 and max(shares[:-1]) < 100
    assert all(line.startswith("Training the classifier [") for line in lines)


def test_on_a_terminal_the_bar_is_redrawn_on_one_line():
    out = Terminal()
    bar = ProgressBar(stream=out)
    for report in _reports(("",)):
        bar(report)
    bar.finish()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.count("\r") == len(STAGES) * 15 + 1
    assert "100%" in text.split("\r")[-1] and "done" in text.split("\r")[-1]


def test_more_stages_than_expected_never_reach_100_percent_early():
    out = io.StringIO()
    bar = ProgressBar(stream=out)
    for number in range(40):
        bar(EpochReport(f"stage {number}", 1, 1, 0.1))
    assert bar.done < 1.0 and "100%" not in out.getvalue()
