"""Translations looked up once per request and language, not once per string.

Flask-Babel's ``gettext`` finds the request's Babel context, domain, locale and
catalogue again on every call, through several context-local proxies: about 30 µs a
string on this machine against under 1 µs for the catalogue's own lookup. A page with a
few hundred strings (the dashboard, the network view's text alternative) spent most of
its time there. These functions keep the catalogue found for the request's current
locale on Flask-Babel's own request context and read it directly; they give exactly
what Flask-Babel's functions give, and follow ``force_locale`` (an email in its
recipient's language) and ``refresh`` because the cache is keyed by the locale object
Flask-Babel holds at the time of the call.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Flask, g
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape


def _babel_context() -> Any:
    try:
        return g.get("_flask_babel")
    except RuntimeError:  # outside an application context
        return None


@lru_cache(maxsize=64)
def _first_of_its_kind(chosen: Locale) -> Locale:
    # The first Locale object seen equal to ``chosen`` (Locale objects are not changed
    # once made): the one object for that locale from then on.
    return chosen


def locale() -> Locale | None:
    """Flask-Babel's ``get_locale()``, read from its request context once it has been
    chosen (the number and date filters ask for it hundreds of times on a report).

    Flask-Babel makes a new ``Locale`` for each request; an equal one is given here, the
    same object every time, so that the filters' caches, keyed on the locale, find their
    key by identity instead of by ``Locale.__eq__`` (ten attribute look-ups each time).
    """
    context = _babel_context()
    chosen = getattr(context, "babel_locale", None)
    if chosen is None:
        # First call of the request, or outside one: Flask-Babel chooses (and, in a
        # request, remembers the locale on its context).
        chosen = get_locale()
        if chosen is None:
            return None
        context = _babel_context()
    kept = getattr(context, "quick_locale", None)
    if kept is None or kept[0] is not chosen:
        kept = (chosen, _first_of_its_kind(chosen))
        if context is not None:
            context.quick_locale = kept
    return kept[1]


def translations():
    """The catalogue of the current request's language (Flask-Babel's own object)."""
    context = _babel_context()
    chosen = getattr(context, "babel_locale", None)
    if chosen is None:
        # First string of the request, or outside one: Flask-Babel chooses (and, in a
        # request, remembers the locale on its context for the next call).
        get_locale()
        return get_translations()
    cached = getattr(context, "quick_translations", None)
    if cached is not None and cached[0] is chosen:
        return cached[1]
    found = get_translations()
    context.quick_translations = (chosen, found)
    return found


def gettext(string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (its own ``LazyString``), translated by
    ``gettext`` above whenever it is shown: a form's labels and choices are lazy
    strings, each shown at about 15 µs through Flask-Babel's ``gettext``."""
    return LazyString(gettext, string, **variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def _template_text(context: Context, text: str, variables: dict[str, Any]) -> str:
    # As Jinja's own "newstyle" gettext: escaped where the template autoescapes, and
    # always formatted (so "%%" means "%" whether or not there are variables).
    if not context.eval_ctx.autoescape:
        return text % variables
    return fill(text, variables)


def fill(text: str, variables: dict[str, Any]) -> Markup:
    """Our catalogue's ``text`` (trusted, as Jinja trusts it) with ``variables``
    escaped, as ``Markup(text) % variables`` gives it.

    Markup's % wraps every value in a helper that escapes it; for the usual values
    (text and numbers) escaping the text first and formatting once gives the same
    markup in two thirds of the time (a page formats dozens of them)."""
    if all(type(value) in _PLAIN for value in variables.values()):
        escaped = {
            name: escape(value) if type(value) is str else value
            for name, value in variables.items()
        }
        return Markup(text % escaped)  # noqa: S704 - our catalogue, values escaped
    return Markup(text) % variables  # noqa: S704 - our catalogue, trusted as Jinja trusts it


_PLAIN = (str, int, float, Markup)


@lru_cache(maxsize=4096)
def _template_words(catalogue: Any, string: str, autoescape: bool) -> str:
    # A string without variables is the same text for every request in a language:
    # looked up and formatted once (a page has tens to hundreds of them).
    text = catalogue.ugettext(string)
    return Markup(text) % {} if autoescape else text % {}  # noqa: S704 - as _template_text


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    if not variables:
        return _template_words(translations(), string, context.eval_ctx.autoescape)
    return _template_text(context, translations().ugettext(string), variables)


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    return _template_text(context, translations().ungettext(singular, plural, num), variables)


@pass_context
def _template_pgettext(context: Context, message_context: str, string: str, **variables: Any):
    variables.setdefault("context", message_context)
    return _template_text(context, translations().upgettext(message_context, string), variables)


def page_words() -> Callable[..., str]:
    """The templates' ``_`` for one render of an autoescaping template, with the
    request's catalogue looked up once: the same markup as ``_`` gives there, without a
    look-up through Flask's context-locals for each string (a report's body has a
    hundred). Pass it in the render's context as ``_``; use it within the request only."""
    catalogue = translations()

    def words(string: str, **variables: Any) -> str:
        if not variables:
            return _template_words(catalogue, string, True)
        return fill(catalogue.ugettext(string), variables)

    return words


def install(app: Flask) -> None:
    """Templates' ``_``, ``gettext``, ``ngettext`` and ``pgettext`` through the request's
    catalogue, called directly (Jinja's i18n extension, which Flask-Babel installs, goes
    through two context calls and Flask-Babel's look-ups for each string)."""
    app.jinja_env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
    )
