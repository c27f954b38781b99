"""`civicwatch deliver --interval`: a worker told to wait no time polls the database without pause, and one told
to wait for ever (inf, or a figure meant as milliseconds) looks running while it never answers a text again. Both
are refused before the worker starts."""
from __future__ import annotations

import pytest
from flask import Flask


@pytest.mark.parametrize("interval", ["0", "-1", "nan", "inf", "60000"])
def test_deliver_refuses_an_interval_it_cannot_keep(app: Flask, interval: str) -> None:
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once", "--interval", interval])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (interval, result.output)
    assert "--interval" in result.output


def test_deliver_takes_a_fraction_of_a_second(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["civicwatch", "deliver", "--once", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
