"""Languages: English and Welsh (Cymraeg), with Flask-Babel.

The language of a page is, in order: the one a signed-in person chose (kept on their
record, so it follows them to another phone), the one chosen on this browser (a
cookie), the best match for the browser's own languages, English. Times are shown in
the time bank's time zone.

Messages from the ledger (which imports no Flask) are English templates with named
parameters; ``ledger_message`` translates them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, abort, current_app, redirect, request
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from timebank import quick_gettext
from timebank.extensions import db
from timebank.filters import hours, long_date, short_date
from timebank.ledger.errors import AboveCapError, BelowFloorError, LedgerError, LimitError
from timebank.ledger.rules import Minutes
from timebank.quick_gettext import gettext
from timebank.reports.wording import Wording
from timebank.safe_redirect import safe_next

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "timebank_language"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()
bp = Blueprint("language", __name__)


def _api_request() -> bool:
    # The API reads no cookie and no session: its language is the Accept-Language
    # header's alone. (Its documentation page is a page like any other.)
    return request.path.startswith("/api/") and request.endpoint != "api_docs.page"


def select_locale() -> str:
    if _api_request():
        return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE
    if current_user.is_authenticated and current_user.person.preferred_locale in LANGUAGES:
        return current_user.person.preferred_locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE


def select_timezone() -> str | None:
    if _api_request():
        return None
    if current_user.is_authenticated:
        membership = current_user.current_membership()
        if membership is None and current_user.partner_memberships():
            # A partner's pages are in the time of the banks they read.
            membership = current_user.partner_memberships()[0]
        if membership is not None:
            return membership.time_bank.timezone
    return None


def current_language() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


# A limit reached on the reader's own account, said to them: what they can still do, and
# why, with the entries that are still waiting (they count before they are done).
OWN_LIMIT = {
    (BelowFloorError, True): _l(
        "You can receive up to %(room)s more just now. Your balance is %(balance)s, and"
        " %(waiting)s you have received is still waiting to be confirmed or approved; the time"
        " bank lets balances go down to %(floor)s."
    ),
    (BelowFloorError, False): _l(
        "You can receive up to %(room)s more just now: your balance is %(balance)s and the"
        " time bank lets balances go down to %(floor)s. Give some time first, then you can"
        " receive more."
    ),
    (AboveCapError, True): _l(
        "You can be credited up to %(room)s more just now. Your balance is %(balance)s, and"
        " %(waiting)s you have given is still waiting to be confirmed or approved; the time"
        " bank's upper limit is %(cap)s."
    ),
    (AboveCapError, False): _l(
        "You can be credited up to %(room)s more just now: your balance is %(balance)s and"
        " the time bank's upper limit is %(cap)s. You could receive time or donate hours to"
        " the community pot first."
    ),
}


def ledger_message(error: LedgerError, *, own_account_id: int | None = None) -> str:
    """The error's message in the reader's language (English if not translated):
    minutes and dates among its parameters follow the reader's locale too. A limit of
    the reader's own account (``own_account_id``) is said to them in the second person."""
    params = {}
    for name, value in error.params.items():
        if isinstance(value, Minutes):
            value = hours(int(value))
        elif isinstance(value, date):
            value = long_date(value)
        params[name] = value
    if (
        own_account_id is not None
        and isinstance(error, LimitError)
        and error.account_id == own_account_id
    ):
        own = OWN_LIMIT.get((type(error), bool(error.params.get("waiting"))))
        if own is not None:
            return str(own) % params
    return gettext(error.template, **params) if params else gettext(error.template)


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    """Compile each ``messages.po`` into the ``.mo`` Flask-Babel reads, when the ``.po``
    is newer (``make run`` and the test suite call this, so nobody compiles by hand)."""
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalogue)
        tmp.replace(mo_path)


@bp.post("/language")
def choose_language():
    """Remember the language chosen with the switcher: on the person's record when
    signed in, and in a cookie for this browser either way."""
    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        abort(400)
    if current_user.is_authenticated:
        current_user.person.preferred_locale = chosen
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(
        LOCALE_COOKIE,
        chosen,
        max_age=60 * 60 * 24 * 365,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    try:
        compile_catalogues()
    except OSError as error:  # a read-only install: use the .mo files shipped with it
        app.logger.warning("could not compile the translations: %s", type(error).__name__)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    quick_gettext.install(app)
    app.register_blueprint(bp)

    @app.context_processor
    def languages():
        return {"languages": LANGUAGES, "current_language": current_language()}


class ReadersWording(Wording):
    """Reports and the audit log in the reader's language: each template through
    Flask-Babel, times and dates as the reader's locale writes them."""

    def gettext(self, template: str, **params: Any) -> str:
        return gettext(template, **params)

    def minutes(self, value: int) -> str:
        return hours(value)

    def day(self, value: date) -> str:
        return short_date(value)


Key = TypeVar("Key")


def labels_now(labels: Mapping[Key, Any]) -> dict[Key, Markup]:
    """Lazily translated labels (``_l``) translated once for this request, so that a
    list's rows look each one up rather than translating it again (Flask-Babel finds
    its catalogue anew for every lazy string shown). Markup, as a lazy string shows
    (its ``__html__`` is its text, unescaped), so the page is the same."""
    return {key: Markup(str(label)) for key, label in labels.items()}  # noqa: S704
