"""Keyset paging: a page of a list is "the rows after (or before) this row" in the
list's order, never "skip N rows" (OFFSET reads and throws away every row it skips,
so the last page of a long list cost as much as reading the whole list).

A page is asked for by the id of a row, never by the values of its sort key (a name,
a date): a link to the next page carries ``after=<id of the last row shown>``, one to
the previous page ``before=<id of the first row shown>``. The row's key is read back
from the database, inside the same time bank, so a link holds no personal data and a
forged id outside the bank only gives the first page.

The order must end with the id, so that rows with the same key (two entries posted
in the same microsecond, two members with the same name) keep a fixed order and every
row is shown exactly once. Every key column runs the same way (all ascending or all
descending), which lets one row comparison ``(a, b) < (x, y)`` express "after" and
lets an index on the same columns serve it on both engines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.database import read_rows


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after one row, before one row, or at the start."""

    after: int | None = None
    before: int | None = None


@dataclass
class KeysetPage:
    """One page of rows, the ids for the links either side, and the list's total."""

    rows: list[Any]
    total: int
    per_page: int
    # Ids to put in the links: ``after=next_after``, ``before=previous_before``.
    next_after: int | None = None
    previous_before: int | None = None
    total_minutes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_after is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_before is not None

    @property
    def several(self) -> bool:
        """More than one page: the links are worth showing."""
        return self.has_next or self.has_previous


@dataclass(frozen=True)
class Order:
    """A list's order: key columns, the last one the row's id, all one way."""

    columns: Sequence[Any]
    descending: bool = False

    def by(self, reverse: bool = False) -> list[Any]:
        down = self.descending != reverse
        return [c.desc() if down else c.asc() for c in self.columns]

    def beyond(self, key: Sequence[Any], reverse: bool = False):
        """Rows that come after ``key`` in this order (before it with ``reverse``)."""
        row = sa.tuple_(*self.columns)
        bound = sa.tuple_(*(sa.literal(v) for v in key))
        down = self.descending != reverse
        return row < bound if down else row > bound


def page_of(
    session: Session,
    query: sa.Select,
    *,
    order: Order,
    row_id: Any,
    key_of: sa.Select,
    cursor: Cursor,
    per_page: int,
    total: int,
    ident: Callable[[Any], int],
    scalars: bool = False,
    plain: bool = False,
) -> KeysetPage:
    """One page of ``query`` in ``order``, from ``cursor``.

    ``row_id`` is the column that identifies a row of the query (the id in the links);
    ``key_of`` selects the key columns and must already be limited to the rows a link
    may name (the time bank's); it is filtered by ``row_id`` here. ``ident`` gives a
    result row's id. One query for the
    cursor's key (none on the first page), one for the rows (``per_page + 1`` of them:
    the extra one says whether there is another page that way). ``plain``: the query
    selects columns only and needs no pending change of the session, so both are read
    with ``read_rows`` (without the ORM's per-statement work).
    """

    def execute(session: Session, statement: sa.Select) -> sa.Result:
        return read_rows(session, statement) if plain else session.execute(statement)

    mark = cursor.before if cursor.before is not None else cursor.after
    backwards = cursor.before is not None
    key = None
    if mark is not None:
        key = execute(session, key_of.where(row_id == mark)).first()
    if key is None:
        backwards = False
    selected = query
    if key is not None:
        selected = selected.where(order.beyond(tuple(key), reverse=backwards))
    selected = selected.order_by(*order.by(reverse=backwards)).limit(per_page + 1)
    result = execute(session, selected)
    found = list(result.scalars().all() if scalars else result.all())
    more = len(found) > per_page
    found = found[:per_page]
    if backwards:
        found.reverse()
    if not found and key is not None:
        # Nothing that way any more (rows went, or an old link): the first page.
        return page_of(
            session,
            query,
            order=order,
            row_id=row_id,
            key_of=key_of,
            cursor=Cursor(),
            per_page=per_page,
            total=total,
            ident=ident,
            scalars=scalars,
            plain=plain,
        )
    page = KeysetPage(rows=found, total=total, per_page=per_page)
    if found:
        if backwards:
            page.previous_before = ident(found[0]) if more else None
            page.next_after = ident(found[-1])
        else:
            page.next_after = ident(found[-1]) if more else None
            page.previous_before = ident(found[0]) if key is not None else None
    return page
