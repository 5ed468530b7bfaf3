"""The SQL building blocks of the reciprocity report: which transfers are time, who is
on each side of them, and who counts as a member.

- Time: posted exchanges and group exchanges that no posted reversal has undone.
  Donations, grants, reversals and opening balances move credits, not time.
- A *party* is an account with what the report needs of its holder: the role it plays
  (participant, professional, organisation, pot), the person behind it, whether the
  member is *counted* (not a partner, active or suspended now) and whether it may
  appear in a partner's breakdowns (*reportable*: organisations and the pot always; a
  member only when counted and with ``consent_reporting``).
- Registered at a date (``members.py``): counted, and joined or first exchanged time
  by then. So every active member of a period is registered at its end.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Role,
    Transfer,
    TransferKind,
    TransferStatus,
)

TIME_KINDS = (TransferKind.EXCHANGE, TransferKind.GROUP)
POT_KINDS = (TransferKind.DONATION, TransferKind.GRANT)
COUNTED_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED)


# A lightweight copy of the transfer table with just what the report reads: aliasing
# the mapped table copies every column with its events, which costs more than the
# queries themselves.
TRANSFER = sa.table(
    Transfer.__tablename__,
    sa.column("id", sa.Integer),
    sa.column("time_bank_id", sa.Integer),
    sa.column("credit_account_id", sa.Integer),
    sa.column("debit_account_id", sa.Integer),
    sa.column("minutes", sa.Integer),
    sa.column("service_date", sa.Date),
    sa.column("category_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("reverses_id", sa.Integer),
)


def not_reversed(transfer, bank_ids: tuple[int, ...]) -> sa.ColumnElement[bool]:
    """No posted reversal undoes ``transfer`` (a table alias of transfer).

    Written as NOT IN the banks' (few) reversals rather than NOT EXISTS: PostgreSQL
    then hashes the reversals once and reads the transfers by bank, where an anti-join
    led it to walk the whole table in id order."""
    reversal = TRANSFER.alias("reversal")
    return transfer.c.id.not_in(
        sa.select(reversal.c.reverses_id).where(
            reversal.c.reverses_id.is_not(None),
            reversal.c.time_bank_id.in_(bank_ids),
            reversal.c.kind == TransferKind.REVERSAL.value,
            reversal.c.status == TransferStatus.POSTED.value,
        )
    )


def transfers(
    bank_ids: tuple[int, ...],
    start: date | None,
    end: date,
    kinds: tuple[TransferKind, ...] = TIME_KINDS,
) -> sa.Select:
    """Posted, unreversed transfers of ``kinds`` with service dates in [start, end]
    (from the beginning when ``start`` is None). Columns: bank_id, giver (the credited
    account), receiver (the debited one), minutes, service_date, category_id, kind."""
    t = TRANSFER.alias("t")
    conditions = [
        t.c.time_bank_id.in_(bank_ids),
        t.c.status == TransferStatus.POSTED.value,
        t.c.kind.in_([k.value for k in kinds]),
        t.c.service_date <= end,
        not_reversed(t, bank_ids),
    ]
    if start is not None:
        conditions.append(t.c.service_date >= start)
    return sa.select(
        t.c.time_bank_id.label("bank_id"),
        t.c.credit_account_id.label("giver"),
        t.c.debit_account_id.label("receiver"),
        t.c.minutes.label("minutes"),
        t.c.service_date.label("service_date"),
        t.c.category_id.label("category_id"),
        t.c.kind.label("kind"),
    ).where(*conditions)


def counted(membership) -> sa.ColumnElement[bool]:
    """A member or coordinator (not a partner), active or suspended now."""
    return sa.and_(
        membership.role != Role.PARTNER,
        membership.status.in_(COUNTED_STATUSES),
    )


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.case((condition, 1), else_=0)


def parties(bank_ids: tuple[int, ...], *, consenting: bool = False) -> sa.Subquery:
    """Every account of the banks with: account_id, bank_id, person_id (None for an
    organisation or the pot), membership_id, role, reportable (1/0), counted (1/0).
    ``consenting``: only reportable accounts (a plain condition rather than a test of
    the flag, so the planner can estimate it)."""
    role = sa.case(
        (Account.kind == AccountKind.MEMBER, Membership.kind),
        else_=Account.kind,
    )
    # In a partner's breakdowns: organisations, the pot, and members who are counted
    # (not partners, active or suspended) and agreed to reporting.
    reportable = sa.or_(
        Account.kind != AccountKind.MEMBER,
        sa.and_(Membership.consent_reporting.is_(True), counted(Membership)),
    )
    query = (
        sa.select(
            Account.id.label("account_id"),
            Account.time_bank_id.label("bank_id"),
            Membership.person_id.label("person_id"),
            Membership.id.label("membership_id"),
            sa.cast(role, sa.String(24)).label("role"),
            _flag(reportable).label("reportable"),
            _flag(sa.and_(Account.kind == AccountKind.MEMBER, counted(Membership))).label(
                "counted"
            ),
        )
        .outerjoin(Membership, Membership.id == Account.membership_id)
        .where(Account.time_bank_id.in_(bank_ids))
    )
    if consenting:
        query = query.where(reportable)
    return query.subquery()


# Two rows, 1 and 2 (SQLite cannot name the columns of a VALUES list).
SIDE = sa.union_all(
    sa.select(sa.literal(1, sa.Integer).label("side")),
    sa.select(sa.literal(2, sa.Integer).label("side")),
).subquery("side")


def sides(transfers_sq: sa.Subquery, *extra: str) -> sa.Subquery:
    """Each transfer twice: once for the giver (given = minutes) and once for the
    receiver (received = minutes). Columns: account_id, given, received, and ``extra``
    columns of the transfers carried along. (A join with two rows, so the transfers
    are read once, where a UNION ALL read them twice.)"""
    t = transfers_sq.c
    giving = SIDE.c.side == 1
    return (
        sa.select(
            sa.case((giving, t.giver), else_=t.receiver).label("account_id"),
            sa.case((giving, t.minutes), else_=0).label("given"),
            sa.case((giving, 0), else_=t.minutes).label("received"),
            *[t[name] for name in extra],
        )
        .select_from(transfers_sq)
        .join(SIDE, sa.true())
        .subquery()
    )


def side_sums(sides_sq: sa.Subquery) -> list[sa.ColumnElement[int]]:
    """Sums over rows of :func:`sides`: "given", "received", and "gifts" (each transfer
    has one giving side, so counting those counts the transfers)."""
    s = sides_sq.c
    return [
        sa.func.sum(s.given).label("given"),
        sa.func.sum(s.received).label("received"),
        sa.func.sum(sa.case((s.given > 0, 1), else_=0)).label("gifts"),
    ]


def bucket(column, ends: list[date]) -> sa.ColumnElement[int]:
    """The index of the first of ``ends`` (sorted) on or after the date in ``column``;
    len(ends) when after them all."""
    return sa.case(*[(column <= end, i) for i, end in enumerate(ends)], else_=len(ends))
