"""The geometry of the report's charts, drawn as SVG by the templates (no script; the
Content Security Policy allows no inline style, so sizes are SVG attributes).

- ``bars``: one horizontal bar per table row (kinds of help, balance groups); the
  labels and values are HTML beside the bars, so they stay readable on a phone.
- ``columns``: one column per month or quarter (trends), with the axis labels in SVG
  text that the stylesheet enlarges on narrow screens.
- ``flows``: the shared-roles diagram: who gave (left) to whom (right), one band per
  flow as thick as its hours, in four fixed rows so that HTML labels line up with it.

A suppressed or undefined value draws nothing: the chart says how many it leaves out
and the table beside it says why, in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from timebank.reports.reciprocity import Suppressed, Table, is_shown
from timebank.reports.reciprocity.model import Figure, Value


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: Value
    fraction: float | None  # 0..1 of the longest bar; None when nothing is drawn


def _number(value: Value) -> float | None:
    """The value as a number to draw, or None when it is not shown."""
    return float(value) if is_shown(value) else None


def bars(table: Table, column: int, label_of) -> list[Bar]:
    numbers = [_number(row.cells[column]) for row in table.rows]
    most = max((n for n in numbers if n is not None), default=0) or 1
    return [
        Bar(
            key=row.key,
            label=label_of(row),
            value=row.cells[column],
            fraction=round(number / most, 4) if number is not None else None,
        )
        for row, number in zip(table.rows, numbers, strict=True)
    ]


def hidden_count(values: list[Value]) -> int:
    return sum(1 for v in values if isinstance(v, Suppressed))


# Columns (trends) ------------------------------------------------------------------------

COLUMN_WIDTH, COLUMN_HEIGHT = 640, 300
COLUMN_BASE, COLUMN_TALLEST = 236, 200


class ColumnBar(NamedTuple):
    """One slot of a column chart (a tuple: a chart makes one for each month or quarter,
    and a frozen dataclass took three times as long to make)."""

    when: date
    value: Value
    x: float
    width: float
    height: float  # 0 when nothing is drawn
    y: float
    label: bool  # whether the axis names this slot
    year: bool  # whether the year is written under it (the first slot, and each January)
    hidden: bool  # suppressed: a marker in place of the bar


@dataclass(frozen=True)
class ColumnChart:
    bars: tuple[ColumnBar, ...]
    slot: float
    base: float
    width: float
    height: float
    hidden: int


def columns(points: list[tuple[date, Value]]) -> ColumnChart:
    """Columns for a series of (first day, value), at most ~12 axis labels whatever the
    length: a long custom period names January of each year, or every n-th slot."""
    count = max(len(points), 1)
    slot = (COLUMN_WIDTH - 20) / count
    # Each value's size, or None where it is not shown.
    sizes = [abs(float(v)) if is_shown(v) else None for _, v in points]
    most = max((size for size in sizes if size is not None), default=0) or 1
    every = max(1, math.ceil(count / 12))
    # The same for every slot: worked out once (a report draws eleven charts).
    width = round(min(slot * 0.7, 36), 1)
    few = count <= 12
    out = []
    for index, ((when, value), size) in enumerate(zip(points, sizes, strict=True)):
        height = round(size / most * COLUMN_TALLEST, 1) if size else 0.0
        label = few or index % every == 0
        out.append(
            ColumnBar(
                when,
                value,
                round(10 + index * slot + (slot - width) / 2, 1),
                width,
                height,
                round(COLUMN_BASE - height, 1),
                label,
                (index == 0 or when.month == 1) and label,
                isinstance(value, Suppressed),
            )
        )
    return ColumnChart(
        bars=tuple(out),
        slot=round(slot, 2),
        base=COLUMN_BASE,
        width=COLUMN_WIDTH,
        height=COLUMN_HEIGHT,
        hidden=hidden_count([v for _, v in points]),
    )


@dataclass(frozen=True)
class Trend:
    """A figure drawn month by month or quarter by quarter."""

    figure: Figure
    chart: ColumnChart


# Flows (shared roles) --------------------------------------------------------------------

FLOW_WIDTH = 200  # stretched to the column between the labels
SLOT = 80  # each role's row, in px (the labels' rows are as tall: see site.css)
SLOT_ROOM = 64  # the most a row's bands take up
NODE = 10  # the width of the bars at each side


@dataclass(frozen=True)
class Band:
    source: str
    target: str
    value: Value
    path: str


@dataclass(frozen=True)
class FlowSide:
    key: str
    label: str
    total: Value  # the row's or column's sum over shown cells, or suppressed
    y: float
    height: float


@dataclass(frozen=True)
class FlowChart:
    givers: tuple[FlowSide, ...]
    receivers: tuple[FlowSide, ...]
    bands: tuple[Band, ...]
    width: int
    height: int
    hidden: int


def _band_path(x0: float, y0: float, x1: float, y1: float, thickness: float) -> str:
    middle = (x0 + x1) / 2
    return (
        f"M{x0},{y0:.1f} C{middle},{y0:.1f} {middle},{y1:.1f} {x1},{y1:.1f}"
        f" L{x1},{y1 + thickness:.1f} C{middle},{y1 + thickness:.1f} {middle},"
        f"{y0 + thickness:.1f} {x0},{y0 + thickness:.1f} Z"
    )


def flows(table: Table, label_of) -> FlowChart:
    """The flows table (rows: who gave; columns: who received, in the same order) as
    bands from a left bar per giver to a right bar per receiver."""
    keys = [c.key for c in table.columns]
    cells = {(row.key, keys[j]): row.cells[j] for row in table.rows for j in range(len(keys))}

    def shown(value: Value) -> float:
        return float(value) if is_shown(value) and value else 0.0

    out_totals = {row.key: sum(shown(v) for v in row.cells) for row in table.rows}
    in_totals = {k: sum(shown(cells[(row.key, k)]) for row in table.rows) for k in keys}
    largest = max([*out_totals.values(), *in_totals.values(), 1.0])
    scale = SLOT_ROOM / largest
    # Bands leave each giver's bar in the order of the receivers, and enter each
    # receiver's bar in the order of the givers, so none cross inside a bar.
    out_used = dict.fromkeys(out_totals, 0.0)
    in_used = dict.fromkeys(keys, 0.0)
    bands = []
    for i, row in enumerate(table.rows):
        for j, key in enumerate(keys):
            minutes = shown(cells[(row.key, key)])
            if not minutes:
                continue
            thickness = max(minutes * scale, 1.0)
            y0 = i * SLOT + (SLOT - out_totals[row.key] * scale) / 2 + out_used[row.key]
            y1 = j * SLOT + (SLOT - in_totals[key] * scale) / 2 + in_used[key]
            out_used[row.key] += thickness
            in_used[key] += thickness
            bands.append(
                Band(
                    row.key,
                    key,
                    cells[(row.key, key)],
                    _band_path(NODE, y0, FLOW_WIDTH - NODE, y1, thickness),
                )
            )

    def side(key: str, label: str, index: int, total: float, values: list[Value]) -> FlowSide:
        height = max(total * scale, 1.0) if total else 0.0
        hidden = any(isinstance(v, Suppressed) for v in values)
        return FlowSide(
            key=key,
            label=label,
            total=total if not hidden else next(v for v in values if isinstance(v, Suppressed)),
            y=round(index * SLOT + (SLOT - height) / 2, 1),
            height=round(height, 1),
        )

    givers = tuple(
        side(row.key, label_of(row), i, out_totals[row.key], list(row.cells))
        for i, row in enumerate(table.rows)
    )
    receivers = tuple(
        side(
            key,
            label_of(table.rows[j]) if j < len(table.rows) else key,
            j,
            in_totals[key],
            [cells[(row.key, key)] for row in table.rows],
        )
        for j, key in enumerate(keys)
    )
    return FlowChart(
        givers=givers,
        receivers=receivers,
        bands=tuple(bands),
        width=FLOW_WIDTH,
        height=SLOT * max(len(table.rows), len(keys)),
        hidden=hidden_count([v for row in table.rows for v in row.cells]),
    )
