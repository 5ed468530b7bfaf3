"""What the coordinators' forms share: hour and minute choices, the amount they make,
and the member and organisation accounts of the bank to choose from (always checked to
be in the bank)."""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from timebank.amounts import minutes_from_parts
from timebank.extensions import db
from timebank.ids import parse_id
from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    AccountKind,
    Organisation,
    TimeBank,
)


def hour_choices(time_bank: TimeBank, blank: str | None = None) -> list[SelectChoice]:
    top = max(time_bank.max_minutes_per_transfer // 60, 1)
    return _blank_first(blank, _hours_up_to(top, str(get_locale())))


def minute_choices(time_bank: TimeBank, blank: str | None = None) -> list[SelectChoice]:
    return _blank_first(blank, _minutes_by(time_bank.minute_step or 15, str(get_locale())))


# The choices are the same for every form of a bank in a language: kept (WTForms only
# reads them), rather than translated again for every hour on every view.
@lru_cache(maxsize=64)
def _hours_up_to(top: int, _language: str) -> tuple[SelectChoice, ...]:
    return tuple(SelectChoice(str(h), _("%(hours)s h", hours=h)) for h in range(0, top + 1))


@lru_cache(maxsize=64)
def _minutes_by(step: int, _language: str) -> tuple[SelectChoice, ...]:
    return tuple(SelectChoice(str(m), _("%(minutes)s min", minutes=m)) for m in range(0, 60, step))


def _blank_first(blank: str | None, choices: tuple[SelectChoice, ...]) -> list[SelectChoice]:
    return [SelectChoice("", blank), *choices] if blank else list(choices)


def to_minutes(hours: str | None, minutes: str | None) -> int:
    """The time chosen; 0 (refused by the ledger at the hours) when a part is not one
    of the lists' numbers."""
    return minutes_from_parts(hours, minutes) or 0


_ACTIVE_ORGANISATION_ACCOUNTS = (
    sa.select(Account.id, Organisation.name)
    .join(Organisation, Organisation.id == Account.organisation_id)
    .where(Account.time_bank_id == sa.bindparam("bank_id"), Organisation.active.is_(True))
    .order_by(Organisation.name)
)


def active_organisation_accounts(time_bank_id: int) -> list[tuple[int, str]]:
    """The active organisations' accounts and names, by name (for a form's choices:
    read before anything is written)."""
    rows = read_rows(db.session(), _ACTIVE_ORGANISATION_ACCOUNTS, {"bank_id": time_bank_id})
    return [(row.id, row.name) for row in rows]


def account_in_bank(account_id: object, time_bank_id: int, kinds: tuple[AccountKind, ...]):
    """The account with this id if it is of this bank and kind, else None."""
    number = parse_id(account_id)  # a number past any id would break the query
    account = db.session.get(Account, number) if number is not None else None
    if account is None or account.time_bank_id != time_bank_id or account.kind not in kinds:
        return None
    return account
