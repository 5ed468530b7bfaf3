"""A list filtered by part of a name, in statements built once: the text typed is a bind
parameter's value, not part of the statement.

SQLAlchemy's ``contains(text, autoescape=True)`` escapes the text's ``%``, ``_`` and
``/`` itself, but only for text written into the statement; ``contains_text`` is the
same condition (``LIKE '%' || :text || '%' ESCAPE '/'``) with the text as a parameter,
given by ``contained(text)``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

ESCAPE = "/"


def contains_text(column: Any, parameter: str) -> sa.ColumnElement[bool]:
    """``column`` (lowered) contains the value of the bind parameter ``parameter``,
    which ``contained`` gives."""
    return sa.func.lower(column).contains(sa.bindparam(parameter, type_=sa.String), escape=ESCAPE)


def contained(text: str) -> str:
    """What a person typed, lowered, as ``contains_text``'s parameter: the characters
    LIKE reads as wildcards escaped, as ``autoescape`` escapes them."""
    needle = text.strip().lower()
    needle = needle.replace(ESCAPE, ESCAPE + ESCAPE)
    return needle.replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
