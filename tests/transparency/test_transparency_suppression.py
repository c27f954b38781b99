"""The suppression rules on their own: primary, derived figures, and secondary suppression by lines."""
import numpy as np
import pytest

from civicwatch.transparency.suppression import (
    SHOWN_CODE,
    SMALL_CODE,
    WITHHELD_CODE,
    FigureState,
    Suppression,
    median_bucket,
    protect_counts,
)

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


def _protect(values, lines=()):
    return protect_counts(np.array(values, dtype=np.int64), RULES, lines)


def _lines(values, extra=()):
    """Every line of an array protected by protect_counts: along each dimension (the last position is the
    total), and the lines between counts of a cell, as tuples of index tuples (parts, then the total)."""
    shape = values.shape
    for axis in range(values.ndim - 1):
        for index in np.ndindex(*(shape[:axis] + shape[axis + 1:])):
            yield tuple(index[:axis] + (i,) + index[axis:] for i in range(shape[axis]))
    for index in np.ndindex(*shape[:-1]):
        for parts, total in extra:
            yield tuple(index + (m,) for m in (*parts, total))


def _given_away(values, states, lines):
    """Lines that give a hidden count away: exactly one hidden, or a shown total leaving its hidden parts
    fewer than the threshold together."""
    for line in lines:
        hidden = [key for key in line if states[key] != SHOWN_CODE]
        hidden_parts = sum(values[key] for key in line[:-1] if states[key] != SHOWN_CODE)
        if len(hidden) == 1 or (states[line[-1]] == SHOWN_CODE and 0 < hidden_parts < 5):
            yield line


def test_a_lone_small_part_is_protected_by_withholding_the_next_smallest():
    states = _protect([[3, 20, 23]], [((0, 1), 2)])  # open, closed, received
    assert states.tolist() == [[SMALL_CODE, WITHHELD_CODE, SHOWN_CODE]]  # otherwise 23 - 20 gives the 3 away


def test_two_hidden_parts_that_add_up_to_a_small_count_are_not_enough():
    # 1 + 2 hidden, 30 shown, 33 shown: 33 - 30 = 3 would say that the two hidden parts have 3 cases.
    states = _protect([[1], [2], [30], [33]])
    assert states[:, 0].tolist() == [SMALL_CODE, SMALL_CODE, WITHHELD_CODE, SHOWN_CODE]


def test_secondary_suppression_reaches_across_rows_and_columns():
    # Two bodies (a, b) by (open, closed, received), with the totals as the last row.
    values = np.array([[[2], [30], [32]], [[40], [50], [90]], [[42], [80], [122]]])
    states = protect_counts(values, RULES)
    assert states[0, 0, 0] == SMALL_CODE
    assert not list(_given_away(values, states, _lines(values)))
    assert states[2, 2, 0] == SHOWN_CODE  # the grand total stays


@pytest.mark.parametrize("seed", range(40))
def test_no_line_ever_gives_a_small_count_away(seed):
    """Random tables of small and large counts, in two or three dimensions and with lines between the
    counts of a cell: after protection no hidden count is one subtraction away."""
    rng = np.random.default_rng(seed)
    dimensions = [int(n) for n in rng.integers(1, 6, size=rng.integers(1, 4))]
    parts = rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 13, 40], size=(*dimensions, 3))
    parts[..., 2] = parts[..., 0] + parts[..., 1]  # a line between counts: 0 + 1 = 2
    values = parts
    for axis in range(len(dimensions)):  # append the totals
        values = np.concatenate([values, values.sum(axis=axis, keepdims=True)], axis=axis)
    states = protect_counts(values, RULES, [((0, 1), 2)])
    assert not list(_given_away(values, states, _lines(values, [((0, 1), 2)])))
    assert ((states == SMALL_CODE) == ((values > 0) & (values < 5))).all()
    assert (values[states == WITHHELD_CODE] >= 5).all()  # only what could give a small count away


def test_median_bucket():
    assert median_bucket({}) is None
    assert median_bucket({3: 1}) == 3
    assert median_bucket({1: 2, 5: 1}) == 1
    assert median_bucket({1: 1, 2: 1, 9: 1, 10: 1}) == 9  # the upper middle of an even count
