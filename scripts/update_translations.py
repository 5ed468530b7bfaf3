"""Extract every translatable string into timebank/translations/messages.pot and merge
it into each language's catalogue (``make translations``).

Besides the usual gettext names, the domain's error classes are keywords: the domain
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

import timebank.community  # noqa: E402
import timebank.ledger  # noqa: E402
import timebank.reports  # noqa: E402
from timebank.ledger.errors import LedgerError  # noqa: E402

DOMAIN = (timebank.ledger, timebank.community, timebank.reports)


def error_classes() -> set[str]:
    """Every domain error class, wherever in the domain's rooms it is defined."""
    for room in DOMAIN:
        for module in pkgutil.walk_packages(room.__path__, room.__name__ + "."):
            importlib.import_module(module.name)
    found: set[str] = set()
    pending = [LedgerError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def main() -> None:
    pot = ROOT / "timebank" / "translations" / "messages.pot"
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
            str(ROOT / "timebank" / "translations"),
            "--no-wrap",
            "--ignore-obsolete",
            "--no-fuzzy-matching",
        ]
    )


if __name__ == "__main__":
    main()
