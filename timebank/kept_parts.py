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
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, request
from flask_babel import get_timezone
from markupsafe import Markup

from timebank import quick_gettext

KEPT = 128


class KeptRenders:
    """The last ``capacity`` templates rendered, by their key: the template, the
    reader's language and time zone, the application root, and what the caller adds. A
    key that names an object by its id holds that object beside what is kept
    (``holder``), so that the id cannot be reused by another while it is kept. Shared by
    a worker's threads."""

    # Every keeper made, so that all can be emptied at once (``forget_everywhere``).
    _every: weakref.WeakSet[KeptRenders] = weakref.WeakSet()

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[tuple, tuple[object, Markup]] = OrderedDict()
        self._lock = threading.Lock()
        KeptRenders._every.add(self)

    def render(
        self,
        template: str,
        key: tuple[Hashable, ...],
        context: Callable[[], dict],
        holder: object = None,
    ) -> Markup:
        """``template`` rendered with ``context()`` (called only when it is rendered),
        or as it was kept under the same key and ``holder``."""

        def rendered() -> Markup:
            html = current_app.jinja_env.get_template(template).render(**context())
            return Markup(html)  # noqa: S704 - rendered by the autoescaping template

        return self.draw(template, key, rendered, holder)

    def draw(
        self,
        name: str,
        key: tuple[Hashable, ...],
        drawn: Callable[[], Markup],
        holder: object = None,
    ) -> Markup:
        """The part called ``name`` as ``drawn()`` gives it (called only when it is
        drawn: a part written in Python rather than by a template), or as it was kept
        under the same key and ``holder``. The same rules as ``render``: what
        ``drawn`` shows must come from the key, the reader's language and time zone
        and the application root alone."""
        full_key = (
            name,
            str(quick_gettext.locale()),
            str(get_timezone()),
            request.script_root,
            *key,
        )
        with self._lock:
            found = self._kept.get(full_key)
            if found is not None and found[0] is holder:
                self._kept.move_to_end(full_key)
                return found[1]
        part = drawn()
        with self._lock:
            self._kept[full_key] = (holder, part)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)
        return part

    def forget_all(self) -> None:
        with self._lock:
            self._kept.clear()

    @classmethod
    def forget_everywhere(cls) -> None:
        """Empty every keeper: the next page is drawn as after a change to all it
        shows (the pages benchmark's "nothing kept" figures)."""
        for keeper in list(cls._every):
            keeper.forget_all()


_parts = KeptRenders(KEPT)


def kept_part(template: str, values: Hashable, context: Callable[[], dict]) -> Markup:
    """``template`` rendered with ``context()`` (called only when it is rendered), kept
    under ``values``: everything the context is made from."""
    return _parts.render(template, (values,), context)


def forget_all() -> None:
    """Drop every kept part (for tests)."""
    _parts.forget_all()
