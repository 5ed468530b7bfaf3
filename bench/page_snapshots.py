"""Every page the ``pages`` benchmark measures, as HTML, to check that a speed-up changed
no page: ``python -m bench.page_snapshots write DIR`` on the old code and on the new
(each builds the demo afresh), then ``python -m bench.page_snapshots compare OLD NEW``.

Each role's pages are found as the benchmark finds them, fetched twice in English (the
first visit may mark something seen) and once in Welsh. What differs on every request
by design is put aside before writing: CSRF tokens, idempotency keys, the two-step
secret and its QR code, times of "now" (a session's start, a report's "Made on", how
long the audit chain check took, the time of day beside a date: the demo's recent
entries are seeded at "now"), and on the partners' network its per-request
pseudonyms, with the order and numbering they give (compared as a sorted multiset of
lines). Ages in days move at midnight of the seeded times: write both sides close
together.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from bench.pages import ROLES, _crawl, _demo_app
from timebank.demo import DEMO_PASSWORD

MASKED = [
    (re.compile(r'name="csrf_token" value="[^"]*"'), 'name="csrf_token" value="X"'),
    (re.compile(r'idempotency_key" type="hidden" value="[^"]*"'), 'idempotency_key" value="X"'),
    (re.compile(r'<time datetime="\d{4}-\d\d-\d\dT[^"]*">[^<]*</time>'), "<time>NOW</time>"),
    (re.compile(r'<div class="qr">.*?</div>', re.S), '<div class="qr">QR</div>'),
    (re.compile(r'id="setup-key">[^<]*<'), 'id="setup-key">KEY<'),
    (re.compile(r"secret=[A-Z2-7]+"), "secret=KEY"),
    (re.compile(r"(Made on|Gwnaed ar) [^<]*|\d+\.\d\d (seconds|eiliad)"), "NOW"),
    # The demo's recent entries are seeded at "now": their clock times move with it.
    (re.compile(r"(\d{4}), \d\d:\d\d"), r"\1, HH:MM"),
]
PSEUDONYMS = [
    (re.compile(r"n[0-9a-f]{16}"), "N"),
    (re.compile(r'"e\d+"'), '"e#"'),
    (re.compile(r"(\w+) \d+(</t[hd]>)"), r"\1 #\2"),
]


def _masked(text: str) -> str:
    for pattern, replacement in MASKED:
        text = pattern.sub(replacement, text)
    return text


def write(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    app = _demo_app(tempfile.mkdtemp(prefix="timebank-page-snapshots-"))
    count = 0
    for role, (email, start) in ROLES.items():
        client = app.test_client()
        if email:
            client.post("/auth/sign-in", data={"email": email, "password": DEMO_PASSWORD})
        pages = sorted(_crawl(app, client, start).items())
        for endpoint, path in pages:
            for visit in ("1", "2"):
                page = _masked(client.get(path).get_data(as_text=True))
                (directory / f"{role}.{endpoint}.{visit}.html").write_text(page)
        client.post("/language", data={"language": "cy", "next": "/"})
        for endpoint, path in pages:
            page = _masked(client.get(path).get_data(as_text=True))
            (directory / f"{role}.{endpoint}.cy.html").write_text(page)
        count += len(pages)
    return count


def _comparable(name: str, text: str) -> list[str]:
    if ".partners.network." not in name:
        return text.splitlines()
    for pattern, replacement in PSEUDONYMS:
        text = pattern.sub(replacement, text)
    return sorted(re.split(r"[\n{}]", text))


def compare(old: Path, new: Path) -> list[str]:
    names = sorted(p.name for p in old.glob("*.html"))
    if names != sorted(p.name for p in new.glob("*.html")):
        return ["the two directories hold different pages"]
    return [
        name
        for name in names
        if _comparable(name, (old / name).read_text())
        != _comparable(name, (new / name).read_text())
    ]


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "write":
        print(f"{write(Path(argv[1]))} pages written to {argv[1]}")
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        differ = compare(Path(argv[1]), Path(argv[2]))
        for name in differ:
            print(f"differs: {name}")
        print(f"{len(list(Path(argv[1]).glob('*.html')))} files compared, {len(differ)} differ")
        return 1 if differ else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
