"""Small-number suppression, primary and secondary, over a whole report at once.

Every additive figure of a report is a *cell*: a whole number with the people it
describes (one count, or one per side for time flowing between two groups). Equations
say which cells add up to which (hours = the months' hours; hours = the flow table's
cells + the hours of members who did not consent, a *hidden* cell never shown). A cell
is *small* when any of its people counts is between 1 and threshold - 1; small and
hidden cells are not shown.

Secondary suppression: while some small cell can be solved for exactly from the shown
cells (its unit vector lies in the row space of the equations restricted to the cells
not shown), the smallest shown part of an equation it is in is suppressed too (a
non-zero part first; the equation's total when no part is left). Each round hides one
more cell, so it ends; at the end no small cell can be worked out by any linear
combination of what is shown, across every table of the report. Exact arithmetic
(fractions), so no rounding can hide a solution.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from timebank.reports.reciprocity.model import DERIVABLE, SMALL, Suppressed

Key = Hashable


@dataclass
class _Cell:
    value: int
    people: tuple[int, ...]
    hidden: bool


class Disclosure:
    """Cells and equations of one report; :meth:`decide` says which are suppressed."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._cells: dict[Key, _Cell] = {}
        self._order: dict[Key, int] = {}
        self._equations: list[tuple[Key, tuple[Key, ...]]] = []
        self._forced: set[Key] = set()

    def cell(
        self,
        key: Key,
        value: int,
        people: int | Sequence[int] | None = None,
        *,
        hidden: bool = False,
    ) -> None:
        """A figure. ``people``: the people it describes (None: not about people, such
        as organisations' hours; a sequence: one count per side). ``hidden``: never
        shown (the remainder of members who did not consent)."""
        if key in self._cells:
            raise ValueError(f"cell {key!r} added twice")
        if people is None:
            counts: tuple[int, ...] = ()
        elif isinstance(people, int):
            counts = (people,)
        else:
            counts = tuple(people)
        self._order[key] = len(self._order)
        self._cells[key] = _Cell(int(value), counts, hidden)

    def equation(self, total: Key, parts: Iterable[Key]) -> None:
        """``total`` is the sum of ``parts``."""
        parts = tuple(parts)
        for key in (total, *parts):
            if key not in self._cells:
                raise KeyError(key)
        self._equations.append((total, parts))

    def suppress(self, key: Key) -> None:
        """Hide a cell whatever its size (for example, because a figure it is paired
        with is hidden)."""
        self._forced.add(key)

    def is_small(self, key: Key) -> bool:
        return any(1 <= n < self.threshold for n in self._cells[key].people)

    def decide(self) -> dict[Key, Suppressed | None]:
        """For every cell: None (shown), ``SMALL`` or ``DERIVABLE``."""
        small = {k for k in self._cells if self.is_small(k)}
        hidden = small | {k for k, c in self._cells.items() if c.hidden} | self._forced
        while True:
            solvable = [k for k in self._solvable(hidden) if k in small]
            if not solvable:
                break
            hidden.add(self._complement_for(solvable[0], hidden))
        return {
            k: (SMALL if k in small else DERIVABLE if k in hidden else None) for k in self._cells
        }

    def _solvable(self, hidden: set[Key]) -> list[Key]:
        """The hidden cells that the shown cells determine, in the order they were added."""
        unknowns = sorted(hidden, key=self._order.__getitem__)
        index = {k: i for i, k in enumerate(unknowns)}
        rows = []
        for total, parts in self._equations:
            row: dict[int, Fraction] = {}
            for key, sign in ((total, 1), *((p, -1) for p in parts)):
                if key in index:
                    row[index[key]] = row.get(index[key], Fraction(0)) + sign
            row = {i: v for i, v in row.items() if v}
            if row:
                rows.append(row)
        basis = _row_reduce(rows)
        return [k for k in unknowns if _in_span(basis, index[k])]

    def _complement_for(self, key: Key, hidden: set[Key]) -> Key:
        """The next cell to hide so that ``key`` cannot be solved for.

        The shown parts of the equations holding ``key`` come first, smallest first
        (zeros last): the first that alone makes ``key`` unsolvable, else the smallest
        (the next round goes on from there). Totals are hidden only when no part of
        those equations is left to hide; failing both, the search moves out to the
        equations linked to them through hidden cells."""
        reach = {key}
        seen: set[int] = set()
        frontier = [key]
        while frontier:
            near = [
                (i, total, parts)
                for i, (total, parts) in enumerate(self._equations)
                if i not in seen and any(k in (total, *parts) for k in frontier)
            ]
            seen.update(i for i, _, _ in near)
            parts_shown = {p for _, _, parts in near for p in parts if p not in hidden}
            totals_shown = {t for _, t, _ in near if t not in hidden} - parts_shown
            for group in (parts_shown, totals_shown):
                if not group:
                    continue
                ordered = sorted(group, key=self._smallest_first)
                for candidate in ordered:
                    if key not in self._solvable(hidden | {candidate}):
                        return candidate
                return ordered[0]
            frontier = [k for _, t, parts in near for k in (t, *parts) if k not in reach]
            reach.update(frontier)
        raise AssertionError(f"{key!r} is solvable but nothing around it is shown")

    def _smallest_first(self, key: Key) -> tuple[bool, int, int]:
        value = self._cells[key].value
        return (value == 0, abs(value), self._order[key])


def _row_reduce(rows: list[dict[int, Fraction]]) -> dict[int, dict[int, Fraction]]:
    """Reduced row echelon form of sparse rows, as {pivot column: row with 1 there}."""
    basis: dict[int, dict[int, Fraction]] = {}
    for row in rows:
        row = _reduce(basis, row)
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {i: v / scale for i, v in row.items()}
        for other_pivot, other in basis.items():
            factor = other.get(pivot)
            if factor:
                merged = dict(other)
                for i, v in row.items():
                    merged[i] = merged.get(i, Fraction(0)) - factor * v
                basis[other_pivot] = {i: v for i, v in merged.items() if v}
        basis[pivot] = row
    return basis


def _reduce(basis: dict[int, dict[int, Fraction]], row: dict[int, Fraction]) -> dict[int, Fraction]:
    row = dict(row)
    for pivot, base in basis.items():
        factor = row.get(pivot)
        if factor:
            for i, v in base.items():
                row[i] = row.get(i, Fraction(0)) - factor * v
            row = {i: v for i, v in row.items() if v}
    return row


def _in_span(basis: dict[int, dict[int, Fraction]], column: int) -> bool:
    """Whether the unit vector of ``column`` is a combination of the basis rows."""
    return not _reduce(basis, {column: Fraction(1)})
