"""What a new password must be (OWASP ASVS 5.0, V6.2): at least ``MIN_PASSWORD_LENGTH``
characters, at most ``MAX_PASSWORD_LENGTH`` (so 64 and far more fit), no rules about
kinds of characters, not one of the 40,101 common and breached passwords shipped in
``auth/data/common-passwords.txt.gz`` (see the NOTICE there; no network), and not made
of a word that anyone could guess from the context: the app's name, the person's name
or email address.

The password is compared exactly as typed (never trimmed or truncated); only the
comparisons with the lists ignore case.
"""

from __future__ import annotations

import enum
import gzip
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from wtforms import Field
from wtforms.form import BaseForm
from wtforms.validators import ValidationError

from timebank.auth.passwords import MIN_PASSWORD_LENGTH
from timebank.quick_gettext import lazy_gettext as _l

MAX_PASSWORD_LENGTH = 1024
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
# Words everyone knows about this site, in both languages. A password made of one of
# them (with digits or signs around it: "Timebank-2026!") is refused.
SITE_WORDS = ("timebank", "timebanking", "bancamser", "password", "cyfrinair", "letmein")


class PasswordProblem(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    GUESSABLE = "guessable"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once per process (about 40,000 lines, ~20 ms)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def context_words(*, email: str | None = None, name: str | None = None) -> set[str]:
    """The guessable words for one person: the site's words, the part of their email
    address before the @ and each part of their name, as letters only (four or more)."""
    words = set(_SITE_LETTERS)
    if email:
        local = email.split("@", 1)[0]
        words.add(_letters(local))
        words.update(_letters(part) for part in re.split(r"[._+\-]", local))
    if name:
        words.add(_letters(name))
        words.update(_letters(part) for part in name.split())
    return {word for word in words if len(word) >= 4}


_SITE_LETTERS = frozenset(_letters(word) for word in SITE_WORDS)


def password_problem(password: str, words: Iterable[str] = ()) -> PasswordProblem | None:
    """Why this password may not be chosen, or None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem.TOO_LONG
    if password.lower() in common_passwords() or password.strip().lower() in common_passwords():
        return PasswordProblem.COMMON
    letters = _letters(password)
    if letters and (letters in _SITE_LETTERS or letters in set(words)):
        return PasswordProblem.GUESSABLE
    return None


MESSAGES = {
    PasswordProblem.TOO_SHORT: _l("Use at least %(min)d characters."),
    PasswordProblem.TOO_LONG: _l("Use no more than %(max)d characters."),
    PasswordProblem.COMMON: _l(
        "That password is on a list of common passwords that people try first when they"
        " break into accounts. Choose another: three or four words you will remember work"
        " well."
    ),
    PasswordProblem.GUESSABLE: _l(
        "That password is too easy to guess from your name, your email address or the"
        " name of this site. Choose another."
    ),
}


def problem_message(problem: PasswordProblem) -> str:
    return str(MESSAGES[problem]) % {"min": MIN_PASSWORD_LENGTH, "max": MAX_PASSWORD_LENGTH}


class NewPassword:
    """WTForms validator for every field where someone chooses a password. It reads the
    person's email and name from the form's ``email`` and ``display_name`` fields when
    it has them, or from ``form.password_context`` (set by the view for a person who
    already has an account)."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        context = dict(getattr(form, "password_context", None) or {})
        for name in ("email", "display_name"):
            if name in form._fields and form._fields[name].data:
                context[name] = form._fields[name].data
        words = context_words(email=context.get("email"), name=context.get("display_name"))
        problem = password_problem(field.data or "", words)
        if problem is not None:
            raise ValidationError(problem_message(problem))
