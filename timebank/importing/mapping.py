"""Which column of a file holds which field of a layout, when the file's header does not
name its columns as the layout does ("Full name", "E-mail").

A mapping is a plain dict, field name -> the column's position (0 for the first
column), kept with the import run (JSON) and passed to the reader, which then reads
each field from its column and takes the first row as a header whatever it says.
Fields left out of the mapping are not in the file. Only this app's own layouts (with
a header row) can be mapped; TimeOverflow's files have fixed columns.

``guess_mapping`` proposes one from the header (the exact name, the name in any case
or spacing, or a known other name), ``mapping_problems`` says what is wrong with one,
field by field; no Flask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timebank.importing.rows import (
    MEMBER_COLUMNS,
    MEMBER_OPTIONAL,
    TRANSFER_COLUMNS_OPTIONAL,
    TRANSFER_REQUIRED,
    BadFile,
    Layout,
    read_records,
)
from timebank.importing.words import Text, _l

Mapping = dict[str, int]

MAPPABLE = (Layout.MEMBERS, Layout.TRANSFERS)


@dataclass(frozen=True)
class Field:
    """One field of a layout: ``choices`` are the fields of which the file needs one
    (the field alone, or a pair such as giver or giver_email); () when optional."""

    name: str
    label: Text
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.choices)


LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "external_ref": _l("Number or id in the old software"),
    "kind": _l("Kind (participant or professional)"),
    "role": _l("Role (member, coordinator or partner)"),
    "opening_balance_hours": _l("Opening balance in hours"),
    "joined_on": _l("Date joined"),
    "giver": _l("Giver (number or id)"),
    "giver_email": _l("Giver's email"),
    "receiver": _l("Receiver (number or id)"),
    "receiver_email": _l("Receiver's email"),
    "hours": _l("Hours"),
    "minutes": _l("Minutes"),
    "date": _l("Date"),
    "category": _l("Category"),
    "description": _l("Description"),
    "transfer_id": _l("Exchange id in the old software"),
}

_FIELD_ORDER = list(LABELS)

# Other names a column is often given, compared as ``_folded`` leaves them. English and
# Welsh, and the words of spreadsheets exported from other software.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "full name",
        "fullname",
        "member name",
        "display name",
        "your name",
        "enw",
        "enw llawn",
    ),
    "email": (
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "e-bost",
        "ebost",
        "cyfeiriad e-bost",
    ),
    "external_ref": (
        "id",
        "ref",
        "reference",
        "member id",
        "member number",
        "membership number",
        "number",
        "rhif",
    ),
    "kind": ("type", "member type", "math"),
    "role": ("rol",),
    "opening_balance_hours": ("balance", "opening balance", "hours balance", "balans"),
    "joined_on": ("joined", "date joined", "join date", "member since", "start date"),
    "giver": ("from", "giver id", "provider", "gave"),
    "giver_email": ("from email", "giver e-mail", "provider email"),
    "receiver": ("to", "receiver id", "recipient", "received"),
    "receiver_email": ("to email", "receiver e-mail", "recipient email"),
    "hours": ("hrs", "duration", "amount", "oriau"),
    "minutes": ("mins", "duration in minutes"),
    "date": ("day", "when", "date of exchange", "service date", "dyddiad"),
    "category": ("categories", "service", "skill", "categori"),
    "description": ("details", "what was done", "notes", "note", "disgrifiad"),
    "transfer_id": ("exchange id", "transaction id", "post id"),
}


def fields_of(layout: Layout) -> list[Field]:
    """The fields of a layout that can be mapped, the needed ones first."""
    if layout == Layout.MEMBERS:
        return [Field(name, LABELS[name], (name,)) for name in MEMBER_COLUMNS] + [
            Field(name, LABELS[name]) for name in MEMBER_OPTIONAL
        ]
    if layout == Layout.TRANSFERS:
        needed = [
            Field(name, LABELS[name], choices)
            for choices in TRANSFER_REQUIRED
            for name in sorted(choices, key=_FIELD_ORDER.index)
        ]
        return needed + [Field(name, LABELS[name]) for name in TRANSFER_COLUMNS_OPTIONAL]
    raise ValueError(f"the layout {layout} has fixed columns")


def _folded(text: str) -> str:
    """Letters and digits only, in lower case: "E-mail" and "e_mail " are one name."""
    return re.sub(r"[\W_]+", "", text.casefold())


def read_header_cells(path: Path) -> list[str] | None:
    """The cells of the file's first row, or None when it has none or cannot be read
    (the dry run then says why)."""
    try:
        for _line, cells in read_records(path):
            return [cell.strip() for cell in cells]
    except (BadFile, UnicodeDecodeError, OSError):
        return None
    return None


def header_matches(layout: Layout, header: list[str]) -> bool:
    """Whether the reader can take the header as it is: each needed field named (in any
    case), no name twice, and not both hours and minutes."""
    names = [cell.strip().lower() for cell in header]
    if len(set(names)) != len(names):
        return False
    if layout == Layout.TRANSFERS and "hours" in names and "minutes" in names:
        return False
    return all(any(choice in names for choice in choices) for choices in _needed(layout))


def _needed(layout: Layout) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(field.choices for field in fields_of(layout) if field.required))


def guess_mapping(layout: Layout, header: list[str]) -> Mapping:
    """The likeliest column for each field: its exact name first, then the name in any
    case or spacing, then a known other name; never one column for two fields, and
    only one of hours and minutes."""
    fields = fields_of(layout)
    mapping: Mapping = {}
    used: set[int] = set()
    tests = (
        lambda field, cell: cell == field.name,
        lambda field, cell: cell.lower() == field.name,
        lambda field, cell: _folded(cell) == _folded(field.name),
        lambda field, cell: _folded(cell) in {_folded(s) for s in SYNONYMS.get(field.name, ())},
    )
    for test in tests:
        for field in fields:
            if field.name in mapping:
                continue
            for position, cell in enumerate(header):
                if position not in used and cell and test(field, cell):
                    mapping[field.name] = position
                    used.add(position)
                    break
    if "hours" in mapping and "minutes" in mapping:
        del mapping["minutes"]
    return {field.name: mapping[field.name] for field in fields if field.name in mapping}


def mapping_problems(layout: Layout, mapping: Mapping, columns: int) -> dict[str, Text]:
    """What is wrong with a mapping, by field (empty when nothing is): a column that is
    not in the file, a column chosen for two fields, a needed field without a column,
    hours and minutes both."""
    fields = fields_of(layout)
    known = {field.name: field for field in fields}
    problems: dict[str, Text] = {}
    taken: dict[int, str] = {}
    for field in fields:
        if field.name not in mapping:
            continue
        position = mapping[field.name]
        if not _is_column(position, columns):
            problems[field.name] = _l("Choose one of the file's columns.")
        elif position in taken:
            problems[field.name] = _l(
                "Column %(number)s is already chosen for %(field)s: choose each column once.",
                number=position + 1,
                field=known[taken[position]].label,
            )
        else:
            taken[position] = field.name
    for name in mapping:
        if name not in known:
            problems.setdefault(name, _l("This layout has no such field."))
    for choices in _needed(layout):
        if any(choice in mapping for choice in choices):
            continue
        if len(choices) == 1:
            problems.setdefault(
                choices[0],
                _l("Choose the column that holds: %(field)s.", field=known[choices[0]].label),
            )
        else:
            first, second = sorted(choices, key=_FIELD_ORDER.index)
            problems.setdefault(
                first,
                _l(
                    "Choose the column that holds %(first)s, or the one that holds %(second)s.",
                    first=known[first].label,
                    second=known[second].label,
                ),
            )
    if "hours" in mapping and "minutes" in mapping:
        problems.setdefault("minutes", _l("Choose a column for hours or for minutes, not both."))
    return problems


def _is_column(position: object, columns: int) -> bool:
    return isinstance(position, int) and not isinstance(position, bool) and 0 <= position < columns


def mapping_from_json(value: Any) -> Mapping | None:
    """A mapping as the import run kept it, or None (no mapping, or not a valid one)."""
    if not isinstance(value, dict):
        return None
    mapping: Mapping = {}
    for name, position in value.items():
        if not isinstance(name, str) or not isinstance(position, int) or isinstance(position, bool):
            return None
        mapping[name] = position
    return mapping
