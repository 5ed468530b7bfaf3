"""A TimeOverflow bank in miniature, writing its two reports as TimeOverflow does.

The writing follows TimeOverflow's code (coopdevs/timeoverflow, the commits named in
timebank/importing/timeoverflow_words.py) line by line:

- ``ReportsController#user_list`` lists ``members.active`` ordered by member_uid, and
  ``#transfer_list`` ``all_transfers`` ordered by ``created_at DESC``;
- ``Report::MemberDecorator#rows``: member_uid, username, ``email_if_real`` ("" for a
  user@example.com placeholder address), phone, alt_phone, ``created_at.to_s``,
  ``last_sign_in_at.to_s`` ("" when never), locale, ``account_balance.to_s`` (seconds);
- ``Report::TransferDecorator#rows``: ``created_at.to_s``, ``accounts_from_movements``
  (movements sorted by amount: the paying side first; ``link_to_if(false, ...)``
  HTML-escapes a member's ``display_name_with_uid`` and an organisation's name; the
  inactive and deleted words are not escaped), ``post.to_s`` ("" without a post),
  ``seconds_to_hm(amount, 0)`` ("%d:%02d", seconds dropped);
- Ruby's ``CSV.generate`` with its defaults: "," and "\\n", a field quoted when it holds
  a comma, a quote or a line break, and an empty string written as ``""`` (nil as
  nothing).

The people, posts and organisations are TimeOverflow's own seed data (``db/seeds.rb``)
and fabricator values (``spec/fabricators/user_fabricator.rb``: last sign-in
2018-10-01, locale the default "es").
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from timebank.importing.timeoverflow_words import (
    DELETED_USER,
    INACTIVE_USER,
    MEMBER_HEADERS,
    TRANSFER_HEADERS,
)


@dataclass
class Member:
    uid: int
    username: str
    email: str
    phone: str | None = None
    alt_phone: str | None = None
    created_at: datetime = datetime(2016, 3, 1, 9, 30, tzinfo=UTC)
    last_sign_in_at: datetime | None = datetime(2018, 10, 1, tzinfo=UTC)
    locale: str = "es"
    active: bool = True
    deleted: bool = False

    @property
    def email_if_real(self) -> str:
        return "" if "example.com" in self.email else self.email


@dataclass
class Transfer:
    created_at: datetime
    source: Member | str  # a member, or the organisation's name
    destination: Member | str
    seconds: int
    post: str | None = None


@dataclass
class Bank:
    name: str
    members: list[Member] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)

    def member(self, uid: int) -> Member:
        return next(m for m in self.members if m.uid == uid)

    def balance(self, holder: Member | str) -> int:
        """Seconds, as TimeOverflow's Account#update_balance sums its movements."""
        total = 0
        for transfer in self.transfers:
            if transfer.source is holder:
                total -= transfer.seconds
            if transfer.destination is holder:
                total += transfer.seconds
        return total

    def members_report(self, path: Path, language: str) -> Path:
        headers = ["N", *(words[language] for words in MEMBER_HEADERS.values())]
        rows = [
            [
                str(m.uid),
                m.username,
                m.email_if_real,
                m.phone,
                m.alt_phone,
                _to_s(m.created_at),
                _to_s(m.last_sign_in_at),
                m.locale,
                str(self.balance(m)),
            ]
            for m in sorted(self.members, key=lambda m: m.uid)
            if m.active and not m.deleted
        ]
        return _write(path, headers, rows)

    def transfers_report(self, path: Path, language: str) -> Path:
        headers = [words[language] for words in TRANSFER_HEADERS.values()]
        rows = [
            [
                _to_s(t.created_at),
                self._side(t.source, language),
                self._side(t.destination, language),
                t.post or "",
                _seconds_to_hm(t.seconds),
            ]
            for t in sorted(self.transfers, key=lambda t: t.created_at, reverse=True)
        ]
        return _write(path, headers, rows)

    def _side(self, holder: Member | str, language: str) -> str:
        if isinstance(holder, str):
            return html.escape(holder, quote=True).replace("&#x27;", "&#39;")
        if holder.deleted:
            return DELETED_USER[language]
        if not holder.active:
            return INACTIVE_USER[language]
        name = f"{holder.username} ({holder.uid})"
        return html.escape(name, quote=True).replace("&#x27;", "&#39;")


def _to_s(moment: datetime | None) -> str:
    """ActiveSupport::TimeWithZone#to_s in UTC (TimeOverflow sets no time zone)."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds_to_hm(seconds: int) -> str:
    if seconds == 0:
        return "0"
    minutes = abs(seconds) // 60
    return f"{'-' if seconds < 0 else ''}{minutes // 60}:{minutes % 60:02d}"


def _field(value: str | None) -> str:
    if value is None:
        return ""
    if value == "" or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write(path: Path, headers: list[str], rows: list[list[str | None]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for row in [headers, *rows]:
            handle.write(",".join(_field(v) for v in row) + "\n")
    return path


ORGANISATION = "Banco de Tiempo Local"


def seed_bank() -> Bank:
    """TimeOverflow's seed bank, with a history of exchanges between its people."""
    bank = Bank(ORGANISATION)
    manuel = Member(1, "Manuel Administrador", "admin@timeoverflow.org", "652212383", "656312313")
    josep = Member(2, "Josep Maria Calastruc", "user@timeoverflow.org", "712554871", "932101846")
    anna = Member(3, "Anna Laparra", "anna@timeoverflow.org", "610568452", last_sign_in_at=None)
    julia = Member(4, "Julia Alonso", "julia@timeoverflow.org", "682456987", active=False)
    antonia = Member(5, "Antonia Maria Sala", "admin2@timeoverflow.org", "610568452")
    esperanza = Member(6, "Esperanza Andana", "user2@timeoverflow.org", deleted=True)
    # A member added without an email: TimeOverflow gives them user<id>@example.com.
    ramon = Member(7, 'Ramon "Moncho" O\'Brien', "user7@example.com", "934574538")
    couple = Member(8, "Núria & Pau", "nuria.pau@timeoverflow.org", locale="ca")
    bank.members = [manuel, josep, anna, julia, antonia, esperanza, ramon, couple]
    start = datetime(2019, 1, 14, 10, 0, tzinfo=UTC)

    def at(days: int, minutes: int = 0) -> datetime:
        return start + timedelta(days=days, minutes=minutes)

    bank.transfers = [
        Transfer(at(0), ORGANISATION, manuel, 3600),
        Transfer(at(3), josep, manuel, 5400, "Ruby on Rails nivel principiante"),
        Transfer(at(9), anna, josep, 1800, "Yoga para principiantes"),
        Transfer(at(15), julia, anna, 2700, "Pequeñas reparaciones de casa"),
        Transfer(at(21), anna, esperanza, 3600, "Cocina low cost"),
        Transfer(at(30), couple, ORGANISATION, 900),
        Transfer(at(41), julia, esperanza, 1200, "Ayuda a organizarme con los tupper"),
        Transfer(at(50), ramon, manuel, 4500, "English conversation"),
        # Two exchanges recorded in the same second (a double click on "give time"):
        # identical rows, and TimeOverflow counts both.
        Transfer(at(62), josep, antonia, 3600, "Yoga para principiantes"),
        Transfer(at(62), josep, antonia, 3600, "Yoga para principiantes"),
        Transfer(at(70), antonia, couple, 7200, "Pequeñas reparaciones de casa"),
        Transfer(at(75), ORGANISATION, ramon, 2 * 3600 + 900),
    ]
    return bank


def later(bank: Bank) -> Bank:
    """The same bank a few weeks on: two more exchanges (a newer export holds all)."""
    last = max(t.created_at for t in bank.transfers)
    manuel, anna = bank.member(1), bank.member(3)
    bank.transfers += [
        Transfer(last + timedelta(days=7), manuel, anna, 2700, "Cocina low cost"),
        Transfer(last + timedelta(days=9), anna, ORGANISATION, 600),
    ]
    return bank
