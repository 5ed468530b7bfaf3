"""Small-number suppression on its own (no database): hand-worked tables, then random
tables checked with an independent method (numpy's rank: a hidden cell can be worked
out exactly when dropping its column lowers the rank of the equations on hidden cells).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from timebank.reports.reciprocity.disclosure import Disclosure
from timebank.reports.reciprocity.model import DERIVABLE, SMALL


def shown(decisions):
    return {k for k, v in decisions.items() if v is None}


def test_a_small_cell_and_the_next_smallest_part_of_its_row():
    d = Disclosure(5)
    d.cell("total", 20, 20)
    d.cell("a", 2, 3)  # 3 people: small
    d.cell("b", 10, 10)
    d.cell("c", 8, 7)
    d.equation("total", ["a", "b", "c"])
    assert d.decide() == {"total": None, "a": SMALL, "b": None, "c": DERIVABLE}


def test_zero_cells_are_hidden_last():
    d = Disclosure(3)
    d.cell("total", 10, 8)
    d.cell("a", 3, 2)
    d.cell("zero", 0, 0)
    d.cell("b", 7, 6)
    d.equation("total", ["a", "zero", "b"])
    assert d.decide() == {"total": None, "a": SMALL, "zero": None, "b": DERIVABLE}


def test_zero_and_threshold_are_not_small():
    d = Disclosure(5)
    d.cell("none", 0, 0)
    d.cell("five", 50, 5)
    d.cell("four", 40, 4)
    d.cell("orgs", 30)  # about no people
    assert d.decide() == {"none": None, "five": None, "four": SMALL, "orgs": None}


def test_either_side_of_a_flow_can_make_it_small():
    d = Disclosure(5)
    d.cell("many_to_few", 100, (12, 2))
    d.cell("many_to_many", 100, (12, 9))
    d.cell("orgs_to_many", 100, (0, 9))
    assert d.decide()["many_to_few"] == SMALL
    assert d.decide()["many_to_many"] is None
    assert d.decide()["orgs_to_many"] is None


def test_a_hidden_remainder_shared_by_two_tables():
    # hours = flows + R = categories + R, with R (3 people who did not consent) small:
    # one flow and one category must go, the smallest of each; the hours stay.
    d = Disclosure(5)
    d.cell("hours", 100, (10, 10))
    d.cell("R", 5, 3, hidden=True)
    for name, value in (("f0", 40), ("f1", 30), ("f2", 25)):
        d.cell(name, value, (6, 6))
    for name, value in (("c0", 50), ("c1", 45)):
        d.cell(name, value, (6, 6))
    d.equation("hours", ["f0", "f1", "f2", "R"])
    d.equation("hours", ["c0", "c1", "R"])
    hidden = {k for k, v in d.decide().items() if v is not None}
    assert hidden == {"R", "f2", "c1"}


def test_a_hidden_remainder_of_zero_or_enough_people_needs_nothing_more():
    for people in (0, 5):
        d = Disclosure(5)
        d.cell("hours", 100, (10, 10))
        d.cell("R", 10 if people else 0, people, hidden=True)
        d.cell("f0", 60, (6, 6))
        d.cell("f1", 40 - (10 if people else 0), (6, 6))
        d.equation("hours", ["f0", "f1", "R"])
        assert shown(d.decide()) == {"hours", "f0", "f1"}


def test_the_total_goes_when_no_part_is_left():
    # T = a + b and b = c: a is small; hiding b is not enough (b = c is shown), and
    # then nothing but T is left in a's equation.
    d = Disclosure(5)
    d.cell("T", 30, 12)
    d.cell("a", 4, 2)
    d.cell("b", 26, 10)
    d.cell("c", 26, 10)
    d.equation("T", ["a", "b"])
    d.equation("b", ["c"])
    decisions = d.decide()
    assert decisions["a"] == SMALL
    assert decisions["T"] == DERIVABLE
    assert not solvable_small(d, decisions)


def test_forced_cells_are_hidden():
    d = Disclosure(5)
    d.cell("x", 10, 10)
    d.suppress("x")
    assert d.decide() == {"x": DERIVABLE}


def solvable_small(d: Disclosure, decisions) -> list:
    """The small cells an attacker could work out, by numpy's rank (independent of
    the module's own elimination)."""
    hidden = [k for k, v in decisions.items() if v is not None]
    if not hidden:
        return []
    column = {k: i for i, k in enumerate(hidden)}
    rows = []
    for total, parts in d._equations:
        row = np.zeros(len(hidden))
        for key, sign in ((total, 1), *((p, -1) for p in parts)):
            if key in column:
                row[column[key]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return []
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for key in hidden:
        if decisions[key] != SMALL:
            continue
        without = np.delete(matrix, column[key], axis=1)
        if np.linalg.matrix_rank(without) < rank:
            found.append(key)
    return found


@st.composite
def tables(draw):
    """A table of cells with row, column and grand totals, and sometimes a hidden
    remainder on the grand total (members who did not consent)."""
    threshold = draw(st.integers(3, 6))
    rows = draw(st.integers(1, 4))
    columns = draw(st.integers(1, 4))
    d = Disclosure(threshold)
    cells = {}
    for r in range(rows):
        for c in range(columns):
            people = draw(st.integers(0, 9))
            value = draw(st.integers(1, 40)) if people else draw(st.sampled_from([0, 0, 7]))
            cells[(r, c)] = (value, people)
            d.cell(("cell", r, c), value, people)
    row_people = draw(st.lists(st.integers(0, 20), min_size=rows, max_size=rows))
    for r in range(rows):
        d.cell(("row", r), sum(cells[(r, c)][0] for c in range(columns)), row_people[r])
        d.equation(("row", r), [("cell", r, c) for c in range(columns)])
    for c in range(columns):
        d.cell(("col", c), sum(cells[(r, c)][0] for r in range(rows)), draw(st.integers(0, 20)))
        d.equation(("col", c), [("cell", r, c) for r in range(rows)])
    grand = sum(v for v, _ in cells.values())
    d.cell("grand", grand, draw(st.integers(0, 30)))
    d.equation("grand", [("row", r) for r in range(rows)])
    d.equation("grand", [("col", c) for c in range(columns)])
    if draw(st.booleans()):
        remainder_people = draw(st.integers(0, 9))
        remainder = draw(st.integers(1, 20)) if remainder_people else 0
        d.cell("whole", grand + remainder, 40)
        d.cell("remainder", remainder, remainder_people, hidden=True)
        d.equation("whole", ["grand", "remainder"])
    return d


@settings(max_examples=300, deadline=None)
@given(d=tables())
def test_no_small_cell_can_be_worked_out(d):
    decisions = d.decide()
    for key, decision in decisions.items():
        if d.is_small(key):
            assert decision == SMALL
    assert solvable_small(d, decisions) == []
    # With nothing small to protect, everything but the hidden remainders is shown.
    if not any(d.is_small(k) for k in decisions):
        assert all(decisions[k] is None for k in decisions if not d._cells[k].hidden)
