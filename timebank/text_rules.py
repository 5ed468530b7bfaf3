"""One rule for every text field of every form and of the API: no control characters,
and no text made only of invisible characters.

A NUL byte gave a 500 on PostgreSQL and was stored on SQLite; a name made of zero-width
spaces shows as nothing. ``text_problem`` is the rule; it reaches every field by the one
hook each library offers for that, so no form or schema can forget it:

- WTForms: every ``StringField`` and ``TextAreaField`` (emails included, passwords not:
  a password may hold any character) gets ``visible_text`` when a form is built
  (``Meta.bind_field``, installed by ``init_text_rules``);
- marshmallow (the API): every ``String`` field of a request schema gets
  ``visible_api_text`` when the schema is built (``on_bind_field`` of
  ``timebank.api.schemas.StrictSchema``).
"""

from __future__ import annotations

import unicodedata

from flask_babel import LazyString
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import PasswordField, StringField
from wtforms.validators import StopValidation

from timebank.quick_gettext import lazy_gettext as _l

ALLOWED_CONTROLS = {"\t", "\n", "\r"}
CONTROL_MESSAGE = _l("Remove the invisible control characters from this text.")
INVISIBLE_MESSAGE = _l("Type some text that can be seen, or leave this empty.")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in ALLOWED_CONTROLS for c in text)


def is_only_invisible(text: str) -> bool:
    """Not empty, yet nothing in it shows: spaces, format characters (zero-width
    spaces and joiners, direction marks), and the like."""
    return bool(text) and all(
        c.isspace() or unicodedata.category(c) in ("Cf", "Zs", "Zl", "Zp", "Mn") for c in text
    )


def text_problem(value: object) -> LazyString | None:
    """What is wrong with this text under the rule (a message to show), or None. Empty
    text and text of plain spaces pass: whether a field may be empty is its own rule."""
    if not isinstance(value, str) or not value:
        return None
    if has_control_characters(value):
        return CONTROL_MESSAGE
    if is_only_invisible(value) and value.strip():
        return INVISIBLE_MESSAGE
    return None


def visible_text(form, field) -> None:
    """The validator added to every text field of every form."""
    problem = text_problem(field.data)
    if problem is not None:
        raise StopValidation(str(problem))


def visible_api_text(value: object) -> None:
    """The same rule as a marshmallow validator (every text field of the API)."""
    problem = text_problem(value)
    if problem is not None:
        raise ValidationError(str(problem))


def _bind_field(self, form, unbound_field, options):
    field = unbound_field.bind(form=form, **options)
    if isinstance(field, StringField) and not isinstance(field, PasswordField):
        # First, so that no other check (or the ledger) sees such text.
        field.validators = [visible_text, *field.validators]
    return field


def init_text_rules() -> None:
    """Install the rule on every form (idempotent)."""
    FlaskForm.Meta.bind_field = _bind_field  # type: ignore[method-assign]
