"""A report page's body (the report's sections under the heading: the charts, tables,
cards and lists; the coordinators' network view's picture, measures and quarters; or
the partners' network view's measures and quarters)
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
picture); the partners' network page keeps its measures and quarters the same way and
draws its picture afresh every time. Each partner view is still recorded in the audit
log, kept body or not.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from markupsafe import Markup

from timebank.kept_parts import KeptRenders
from timebank.reports.reciprocity import ReciprocityReport

KEPT = 16  # as many as codec.loads keeps: each body holds its report

_bodies = KeptRenders(KEPT)


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
    return _bodies.render(
        template, (id(source), depends_on), lambda: {"report": report, **context()}, source
    )


def forget_all() -> None:
    """Drop every kept body (for tests that change what the app is configured with)."""
    _bodies.forget_all()
