"""Putting reports into words without Flask: English by default, or through the
reader's language when the web layer passes its own :class:`Wording`."""

from __future__ import annotations

from datetime import date
from typing import Any

from timebank.ledger.rules import format_minutes


class Wording:
    """How a report is put into words. This one writes English; the web layer passes a
    subclass whose ``gettext`` translates each template into the reader's language and
    whose ``minutes`` and ``day`` follow the reader's locale.

    Every sentence is one %-template with named parameters, so that a translation can
    put the words in its own order; the catalogue tools extract the templates of the
    ``gettext`` calls below."""

    def gettext(self, template: str, **params: Any) -> str:
        return template % params if params else template

    def minutes(self, value: int) -> str:
        return format_minutes(value)

    def day(self, value: date) -> str:
        return value.strftime("%-d %b %Y")


ENGLISH = Wording()
