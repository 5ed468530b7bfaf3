"""Extract every translatable string into translations/messages.pot and merge it into
each language's catalogue (``make translations``).

Besides the usual gettext names, the ledger's error classes are keywords: the ledger
imports no Flask, so it raises ``errors.BelowFloorError("... %(floor)s ...", floor=...)``
with an English template that the web layer translates (``timebank.i18n``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import timebank.ledger  # noqa: E402
from timebank.ledger.errors import LedgerError  # noqa: E402


def error_classes() -> set[str]:
    for module in pkgutil.iter_modules(timebank.ledger.__path__):
        importlib.import_module(f"timebank.ledger.{module.name}")
    found: set[str] = set()
    pending = [LedgerError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def main() -> None:
    pot = ROOT / "translations" / "messages.pot"
    keywords = ["_", "gettext", "ngettext:1,2", "lazy_gettext", "_l", "lazy_ngettext:1,2"]
    keywords += sorted(error_classes())
    args = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--no-location"]
    args += ["--sort-output", "--no-wrap", "-o", str(pot), "--project", "timebank"]
    for keyword in keywords:
        args += ["-k", keyword]
    args.append(str(ROOT))
    CommandLineInterface().run(args)
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "update",
            "-i",
            str(pot),
            "-d",
            str(ROOT / "translations"),
            "--no-wrap",
            "--ignore-obsolete",
            "--no-fuzzy-matching",
        ]
    )


if __name__ == "__main__":
    main()
