"""One check for every ``next`` a page redirects to after a form.

Only a path on this site is followed. Browsers drop tabs and newlines from a Location
header and read a backslash as a slash, so ``/\\t/evil.example/`` would become
``//evil.example/``: any control character or backslash refuses the target outright.
"""

from __future__ import annotations

from typing import TypeGuard
from urllib.parse import urlsplit

from flask import url_for


def is_local_path(target: str | None) -> TypeGuard[str]:
    if not target or len(target) > 2000:
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str = "index") -> str:
    """``target`` if it is a path on this site, else the fallback endpoint's URL."""
    return target if is_local_path(target) else url_for(fallback)
