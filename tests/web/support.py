"""Helpers for request tests (shared by the web and coordinator tests)."""

import re
from html.parser import HTMLParser

from tests.web.test_auth import (  # noqa: F401
    PASSWORD,
    csrf_token_from,
    location_path,
    make_member,
    sign_in,
)


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """Every table row on the page as the texts of its cells (headers included), so a
    test reads a table as a person does, whatever the markup around the text."""
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def without_tokens(html: str) -> str:
    """HTML without its CSRF tokens (signed with the second they were made), to compare
    two answers."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def page_without_tokens(client, path: str) -> str:
    return without_tokens(client.get(path).get_data(as_text=True))
