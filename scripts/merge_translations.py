"""Merge Welsh translation fragments (translations/fragments/*.json, written while
wrapping strings) into translations/cy/LC_MESSAGES/messages.po, then list what is
still untranslated. A fragment maps an English msgid to its msgstr, or a plural's
singular msgid to the list of its plural forms."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    known: dict[str, object] = {}
    for fragment in sorted((ROOT / "translations" / "fragments").glob("*.json")):
        known.update(json.loads(fragment.read_text(encoding="utf-8")))
    missing = []
    for message in catalogue:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        value = known.get(key)
        if isinstance(message.id, (list, tuple)):
            if isinstance(value, list) and len(value) == catalogue.num_plurals:
                message.string = tuple(value)
            elif isinstance(value, str):
                message.string = tuple([value] * catalogue.num_plurals)
        elif isinstance(value, str):
            message.string = value
        if message.fuzzy:
            message.flags.discard("fuzzy")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            missing.append(key)
    with PO.open("wb") as handle:
        write_po(handle, catalogue, width=0, omit_header=False, ignore_obsolete=True)
    for key in missing:
        print(f"untranslated: {key!r}", file=sys.stderr)
    print(f"{len(catalogue) - len(missing)} translated, {len(missing)} untranslated")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
