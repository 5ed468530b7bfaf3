"""A report page's body (the report's sections under the heading: the charts, tables,
cards and lists; or the coordinators' network view's picture, measures and quarters)
rendered once and kept, keyed by everything it is drawn from:

- the cached report it comes from, by identity: ``reciprocity.cache.get_report_and_source``
  gives the same immutable decoded object (``codec.loads`` keeps the last few by their
  text) for as long as the banks' ledger generation is unchanged. Anything that changes
  a figure (a posting, a reversal, a member joining, a setting) appends an audit entry,
  so the next read builds a new report, a new object and a new key: a kept body is
  never shown for a report that is no longer current. That source is held beside its
  body so that its id cannot be reused by another object while the body is kept;
- the template, the reader's language and time zone (the words, numbers, dates and the
  report's "Made on" time), the application root the links are made under, and what
  the caller adds (the period's query string in the links, how many names a list
  shows, the brokers' node ids).

Nothing else reaches the body: no form, CSRF token, "now", navigation or person. The
heading with the period chooser and the page around it are drawn on every request.

A partner's report is finished from its source on every call with new pseudonyms for
the network picture: the partners' report page, which never shows the picture, keeps
its body under the source (drawn from the finished report, the same but for the
picture); the partners' network page is drawn afresh every time. Each partner view is
still recorded in the audit log, kept body or not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, request
from flask_babel import get_timezone
from markupsafe import Markup

from timebank import quick_gettext
from timebank.reports.reciprocity import ReciprocityReport

KEPT = 16  # as many as codec.loads keeps: each body holds its report

_kept: OrderedDict[tuple, tuple[ReciprocityReport, Markup]] = OrderedDict()
_lock = threading.Lock()


def kept_body(
    report: ReciprocityReport,
    source: ReciprocityReport,
    template: str,
    depends_on: tuple[Hashable, ...],
    context: Callable[[], dict],
) -> Markup:
    """The rendered ``template`` for ``report``: kept, or rendered with ``report`` and
    ``context()`` (called only when it is rendered) and kept under ``source``, the
    cached report ``report`` was finished from (``read_report_and_source``)."""
    key = (
        id(source),
        template,
        str(quick_gettext.locale()),
        str(get_timezone()),
        request.script_root,
        depends_on,
    )
    with _lock:
        found = _kept.get(key)
        if found is not None and found[0] is source:
            _kept.move_to_end(key)
            return found[1]
    html = current_app.jinja_env.get_template(template).render(report=report, **context())
    body = Markup(html)  # noqa: S704 - rendered by the autoescaping template
    with _lock:
        _kept[key] = (source, body)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return body


def forget_all() -> None:
    """Drop every kept body (for tests that change what the app is configured with)."""
    with _lock:
        _kept.clear()
