"""WTForms' own words in the reader's language (the label it derives for a field given
none, its validators' default messages), with its catalogue read once per language.

Flask-WTF loads WTForms' catalogue from disk (``Translations.load``: a search for the
file, then parsing it) on every request that asks for one such word; a form with an
unlabelled hidden field asks on every view. The catalogue is a file shipped with
WTForms that never changes while the app runs, so it is kept per language.
"""

from __future__ import annotations

from functools import lru_cache

from babel import support
from flask import current_app, has_request_context
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from timebank import quick_gettext


@lru_cache(maxsize=8)
def _catalogue(language: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


def _current() -> support.NullTranslations | None:
    # As Flask-WTF: words in English (as written) outside a request.
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    return _catalogue(str(quick_gettext.locale()))


class _WTFormsWords:
    """The object WTForms asks for its words (``gettext`` and ``ngettext``)."""

    def gettext(self, string: str) -> str:
        catalogue = _current()
        return string if catalogue is None else catalogue.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalogue = _current()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ungettext(singular, plural, n)


WORDS = _WTFormsWords()


def _get_translations(self, form):
    return WORDS


def init_form_messages() -> None:
    """Every form finds WTForms' words through the kept catalogue (idempotent)."""
    FlaskForm.Meta.get_translations = _get_translations  # type: ignore[method-assign]
