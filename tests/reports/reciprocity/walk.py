"""Walking every field of a report object, for the privacy checks."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from typing import Any

from timebank.reports.reciprocity.model import (
    Figure,
    Graph,
    QuarterPoint,
    Suppressed,
    Table,
    TrendPoint,
    Unit,
)


def every_value(obj: Any, path: str = "report") -> Iterator[tuple[str, Any]]:
    """Every leaf of the report (numbers, strings, dates...), with where it is."""
    if isinstance(obj, enum.Enum | Suppressed) or obj is None:
        yield path, obj
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from every_value(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, tuple | list):
        for i, item in enumerate(obj):
            yield from every_value(item, f"{path}[{i}]")
    else:
        yield path, obj


def every_dataclass(obj: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        yield obj
        for f in dataclasses.fields(obj):
            yield from every_dataclass(getattr(obj, f.name))
    elif isinstance(obj, tuple | list):
        for item in obj:
            yield from every_dataclass(item)


def people_counts(report) -> Iterator[tuple[str, Any]]:
    """Every value that counts people: figures and table columns in people, the
    registered and active members of each month, the people of each quarter."""
    for item in every_dataclass(report):
        if isinstance(item, Figure) and item.unit == Unit.PEOPLE:
            yield f"figure {item.key}", item.value
            yield f"figure {item.key} (previous)", item.previous
            yield f"figure {item.key} (change)", item.change
        elif isinstance(item, Table):
            for i, column in enumerate(item.columns):
                if column.unit == Unit.PEOPLE:
                    for row in (*item.rows, *((item.total,) if item.total else ())):
                        yield f"table {item.key} {row.key}", row.cells[i]
        elif isinstance(item, TrendPoint):
            yield f"month {item.month.start}", item.registered
            yield f"month {item.month.start}", item.active
        elif isinstance(item, QuarterPoint):
            yield f"quarter {item.quarter.start}", item.people


def small_counts(report, threshold: int) -> list[tuple[str, Any]]:
    """People counts from 1 to threshold - 1 that a report shows."""
    return [
        (where, value)
        for where, value in people_counts(report)
        if not isinstance(value, Suppressed)
        and value is not None
        and "(change)" not in where
        and 1 <= value < threshold
    ]


def graph_of(report) -> Graph | None:
    graph = report.network.graph
    return graph if isinstance(graph, Graph) else None
