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

import weakref
from collections.abc import Callable, Mapping, Sequence
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
        return self._beyond(sa.tuple_(*(sa.literal(v) for v in key)), reverse)

    def beyond_parameters(self, reverse: bool = False):
        """``beyond`` with the key as bind parameters, ``key_parameters`` gives their
        values."""
        bound = [
            sa.bindparam(f"keyset_key_{i}", type_=column.type)
            for i, column in enumerate(self.columns)
        ]
        return self._beyond(sa.tuple_(*bound), reverse)

    @staticmethod
    def key_parameters(key: Sequence[Any]) -> dict[str, Any]:
        return {f"keyset_key_{i}": value for i, value in enumerate(key)}

    def _beyond(self, bound, reverse: bool):
        row = sa.tuple_(*self.columns)
        down = self.descending != reverse
        return row < bound if down else row > bound


# A page's statements made from a list's query, kept for as long as the query is (the
# lists' queries are built once for each shape of their filters): building them anew
# for every page cost SQLAlchemy more than running them (about 0.3 ms for a list of
# entries with both sides' names). Bind parameters "keyset_row_id", "keyset_key_<i>"
# and "keyset_limit".
_KEY_STATEMENTS: weakref.WeakKeyDictionary[sa.Select, sa.Select] = weakref.WeakKeyDictionary()
_PAGE_STATEMENTS: weakref.WeakKeyDictionary[sa.Select, dict[tuple, sa.Select]] = (
    weakref.WeakKeyDictionary()
)
_ROW_ID = "keyset_row_id"
_LIMIT = "keyset_limit"


def _key_statement(key_of: sa.Select, row_id: Any) -> sa.Select:
    statement = _KEY_STATEMENTS.get(key_of)
    if statement is None:
        statement = key_of.where(row_id == sa.bindparam(_ROW_ID, type_=sa.Integer))
        _KEY_STATEMENTS[key_of] = statement
    return statement


def _page_statement(query: sa.Select, order: Order, keyed: bool, backwards: bool) -> sa.Select:
    made = _PAGE_STATEMENTS.setdefault(query, {})
    shape = (order, keyed, backwards)
    statement = made.get(shape)
    if statement is None:
        statement = query
        if keyed:
            statement = statement.where(order.beyond_parameters(reverse=backwards))
        statement = statement.order_by(*order.by(reverse=backwards)).limit(
            sa.bindparam(_LIMIT, type_=sa.Integer)
        )
        made[shape] = statement
    return statement


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
    parameters: Mapping[str, Any] | None = None,
) -> KeysetPage:
    """One page of ``query`` in ``order``, from ``cursor``.

    ``row_id`` is the column that identifies a row of the query (the id in the links);
    ``key_of`` selects the key columns and must already be limited to the rows a link
    may name (the time bank's); it is filtered by ``row_id`` here. ``ident`` gives a
    result row's id. One query for the
    cursor's key (none on the first page), one for the rows (``per_page + 1`` of them:
    the extra one says whether there is another page that way). ``plain``: the query
    selects columns only and needs no pending change of the session, so both are read
    with ``read_rows`` (without the ORM's per-statement work). ``parameters``: the
    values of the bind parameters of ``query`` and ``key_of``. The statements made from
    them are kept with them: build each once (for each shape of a list's filters), not
    for every page.
    """

    def execute(session: Session, statement: sa.Select, values: dict[str, Any]) -> sa.Result:
        if plain:
            return read_rows(session, statement, values)
        return session.execute(statement, values)

    mark = cursor.before if cursor.before is not None else cursor.after
    backwards = cursor.before is not None
    values = dict(parameters or {})
    key = None
    if mark is not None:
        key = execute(session, _key_statement(key_of, row_id), {**values, _ROW_ID: mark}).first()
    if key is None:
        backwards = False
    else:
        values.update(order.key_parameters(tuple(key)))
    values[_LIMIT] = per_page + 1
    result = execute(session, _page_statement(query, order, key is not None, backwards), values)
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
            parameters=parameters,
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


def _id_of(row: Any) -> int:
    return row.id


@dataclass(frozen=True, eq=False)
class KeysetList:
    """A list read as plain columns, each row with its ``id``, paged by keyset: what
    every page of it passes to ``page_of`` said once. ``order`` and ``row_id`` as
    there; ``key_of`` selects the key columns among the rows a link may name."""

    order: Order
    row_id: Any
    key_of: sa.Select

    def page(
        self,
        session: Session,
        query: sa.Select,
        *,
        cursor: Cursor | None,
        per_page: int,
        total: int,
        parameters: Mapping[str, Any],
    ) -> KeysetPage:
        """One page of ``query`` (the list's rows, as its filters have them) from
        ``cursor`` (the start if none)."""
        return page_of(
            session,
            query,
            order=self.order,
            row_id=self.row_id,
            key_of=self.key_of,
            cursor=cursor or Cursor(),
            per_page=per_page,
            total=total,
            ident=_id_of,
            plain=True,
            parameters=parameters,
        )
