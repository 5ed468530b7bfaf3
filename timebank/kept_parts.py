"""Parts of a page kept by the plain values they are drawn from.

A part (a statement's rows, the months chart) is a template rendered from immutable
values (frozen dataclasses, tuples, dates, numbers) and nothing else but the reader's
language and time zone and the application root its links are made under. Kept under
all of those as its key, a part cannot go stale: different values are a different key,
and equal values draw the same HTML. The key holds the values themselves, not their
ids, so they are compared, never trusted. Only the last ``KEPT`` parts are kept.

Use it only for a part whose template reads nothing from the request, the person or
the clock (no ``current_user``, no form, no CSRF token, no "now").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, request
from flask_babel import get_timezone
from markupsafe import Markup

from timebank import quick_gettext

KEPT = 128

_kept: OrderedDict[tuple, Markup] = OrderedDict()
_lock = threading.Lock()


def kept_part(template: str, values: Hashable, context: Callable[[], dict]) -> Markup:
    """``template`` rendered with ``context()`` (called only when it is rendered), kept
    under ``values``: everything the context is made from."""
    key = (
        template,
        str(quick_gettext.locale()),
        str(get_timezone()),
        request.script_root,
        values,
    )
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    html = current_app.jinja_env.get_template(template).render(**context())
    part = Markup(html)  # noqa: S704 - rendered by the autoescaping template
    with _lock:
        _kept[key] = part
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return part


def forget_all() -> None:
    """Drop every kept part (for tests)."""
    with _lock:
        _kept.clear()
