"""Checking an import against the balances the old software reported.

TimeOverflow's members report ends with each member's balance (in seconds). After the
import each member's balance here should be the same, to the minute: the balance they
had here before, plus every new row of the transfers report that names them. A
difference means the two reports were not downloaded at the same moment, or a row was
left out (an amount under a minute); the dry run and the outcome say which members
differ and by how much. A difference does not stop the import: the rows are the
history, the balances a check on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from timebank.importing.rows import TransferRow
from timebank.importing.timeoverflow_reports import ExpectedBalance

# How many differences a report keeps to show; the count is always exact.
KEEP_DIFFERENCES = 1_000


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    line: int
    number: str
    name: str
    expected_seconds: int  # what TimeOverflow's members report says
    minutes: int  # what the balance here will be

    @property
    def difference_seconds(self) -> int:
        return self.minutes * 60 - self.expected_seconds

    def as_json(self) -> list:
        return [self.line, self.number, self.name, self.expected_seconds, self.minutes]

    @classmethod
    def from_json(cls, value: list) -> BalanceDifference:
        line, number, name, expected, minutes = value
        return cls(int(line), str(number), str(name), int(expected), int(minutes))


class BalanceCheck:
    """Collects the expected balances and the new rows; memory grows with the members,
    never with the rows."""

    def __init__(self) -> None:
        self.expected: dict[str, ExpectedBalance] = {}
        self.net: dict[str, int] = {}

    def expect(self, item: ExpectedBalance) -> None:
        self.expected[item.key] = item

    def add(self, row: TransferRow) -> None:
        """A row that will be posted (not one already imported)."""
        if row.debit_key is not None:
            self.net[row.debit_key] = self.net.get(row.debit_key, 0) - row.minutes
        if row.credit_key is not None:
            self.net[row.credit_key] = self.net.get(row.credit_key, 0) + row.minutes

    @property
    def checked(self) -> int:
        return len(self.expected)

    def differences(self) -> list[BalanceDifference]:
        found = []
        for key, item in self.expected.items():
            minutes = item.start_minutes + self.net.get(key, 0)
            if minutes * 60 != item.seconds:
                found.append(
                    BalanceDifference(item.line, item.number, item.name, item.seconds, minutes)
                )
        return found


def hours_and_minutes(seconds: int) -> str:
    """As TimeOverflow writes an amount: "1:30", "-0:45"; seconds under a minute are
    dropped, and shown as such when that is all there is ("0:00:20")."""
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(abs(seconds), 60)
    text = f"{sign}{minutes // 60}:{minutes % 60:02d}"
    return f"{text}:{rest:02d}" if rest else text
