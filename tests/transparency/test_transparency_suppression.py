"""The suppression rules on their own: primary, derived figures, and secondary suppression by lines."""
import itertools

import pytest

from civicwatch.transparency.suppression import CountTable, FigureState, Suppression, median_bucket

RULES = Suppression(5)
S = FigureState


@pytest.mark.parametrize("value, state", [(0, S.SHOWN), (1, S.SMALL), (4, S.SMALL), (5, S.SHOWN), (1234, S.SHOWN)])
def test_counts_from_one_to_four_are_small(value, state):
    figure = RULES.count(value)
    assert figure.state is state
    assert figure.value == (value if state is S.SHOWN else None)
    assert figure.note(5) == ("" if state is S.SHOWN else "fewer than 5")


@pytest.mark.parametrize("numerator, denominator, state", [
    (90, 100, S.SHOWN),      # 90%: both parts and the rest (10) are large enough
    (0, 100, S.SHOWN),       # 0% reveals no small count
    (100, 100, S.SHOWN),
    (3, 100, S.WITHHELD),    # 3%: the numerator is small
    (97, 100, S.WITHHELD),   # 97%: the rest (3) is small
    (3, 4, S.WITHHELD),      # the denominator itself is small
    (0, 0, S.EMPTY),         # nothing to measure
])
def test_shares_are_withheld_when_any_part_is_small(numerator, denominator, state):
    figure = RULES.share(numerator, denominator)
    assert figure.state is state
    if state is S.SHOWN:
        assert figure.value == pytest.approx(numerator / denominator)
    else:
        assert figure.value is None


def test_medians_and_averages_need_enough_cases():
    assert RULES.statistic(2.5, 4).state is S.WITHHELD
    assert RULES.statistic(2.5, 5).value == 2.5
    assert RULES.statistic(None, 0).state is S.EMPTY


def test_a_larger_threshold_is_respected():
    rules = Suppression(10)
    assert rules.count(9).state is S.SMALL and rules.count(10).state is S.SHOWN
    assert rules.count(9).note(10) == "fewer than 10"


def _derivable(values, figures, lines):
    """Whether any hidden non-zero count equals a shown total minus its shown parts (one unknown in a line)."""
    for line in lines:
        hidden = [k for k in line if not figures[k].shown]
        if len(hidden) == 1 and values[hidden[0]] > 0:
            return True
    return False


def test_a_lone_small_part_is_protected_by_withholding_the_next_smallest():
    table = CountTable(RULES)
    for key, value in {"open": 3, "closed": 20, "received": 23}.items():
        table.set_count(key, value)
    table.add_line(["open", "closed"], "received")
    figures = table.protect()
    assert figures["open"].state is S.SMALL
    assert figures["closed"].state is S.WITHHELD  # otherwise 23 - 20 gives the 3 away
    assert figures["received"].value == 23


def test_secondary_suppression_reaches_across_rows_and_columns():
    # Two bodies by (open, closed), with their totals and the overall totals.
    values = {("a", "open"): 2, ("a", "closed"): 30, ("a", "received"): 32,
              ("b", "open"): 40, ("b", "closed"): 50, ("b", "received"): 90,
              ("all", "open"): 42, ("all", "closed"): 80, ("all", "received"): 122}
    lines = [[(b, "open"), (b, "closed"), (b, "received")] for b in ("a", "b", "all")]
    lines += [[("a", m), ("b", m), ("all", m)] for m in ("open", "closed", "received")]
    table = CountTable(RULES)
    for key, value in values.items():
        table.set_count(key, value)
    for line in lines:
        table.add_line(line[:-1], line[-1])
    figures = table.protect()
    assert figures[("a", "open")].state is S.SMALL
    assert not _derivable(values, figures, lines)
    assert figures[("all", "received")].value == 122


@pytest.mark.parametrize("seed", range(25))
def test_no_line_ever_gives_a_small_count_away(seed):
    """Random tables of small and large counts: after protection no hidden count is one subtraction away."""
    import random

    rng = random.Random(seed)
    rows, columns = rng.randint(1, 6), rng.randint(1, 5)
    values = {(r, c): rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 13, 40]) for r, c in itertools.product(range(rows), range(columns))}
    for r in range(rows):
        values[(r, "total")] = sum(values[(r, c)] for c in range(columns))
    for c in list(range(columns)) + ["total"]:
        values[("total", c)] = sum(values[(r, c)] for r in range(rows))
    lines = [[(r, c) for c in range(columns)] + [(r, "total")] for r in list(range(rows)) + ["total"]]
    lines += [[(r, c) for r in range(rows)] + [("total", c)] for c in list(range(columns)) + ["total"]]
    table = CountTable(RULES)
    for key, value in values.items():
        table.set_count(key, value)
    for line in lines:
        table.add_line(line[:-1], line[-1])
    figures = table.protect()
    assert not _derivable(values, figures, lines)
    for key, value in values.items():
        if 0 < value < 5:
            assert not figures[key].shown, key
        if figures[key].shown:
            assert figures[key].value == value


def test_median_bucket():
    assert median_bucket({}) is None
    assert median_bucket({3: 1}) == 3
    assert median_bucket({1: 2, 5: 1}) == 1
    assert median_bucket({1: 1, 2: 1, 9: 1, 10: 1}) == 9  # the upper middle of an even count
