"""The one rule for a person's name on a form: spaces at the ends removed, then 1 to
120 characters (``community.people.checked_name`` keeps the same rule in the domain).
Only the words differ, as the person themselves or a coordinator is the one typing."""

from __future__ import annotations

from flask_babel import LazyString
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from timebank.community.people import MAX_NAME_LENGTH


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def name_field(
    label: LazyString,
    *,
    description: LazyString,
    when_empty: LazyString,
    when_too_long: LazyString,
) -> StringField:
    return StringField(
        label,
        description=description,
        validators=[
            DataRequired(when_empty),
            Length(max=MAX_NAME_LENGTH, message=when_too_long),
        ],
        filters=[_stripped],
        render_kw={"autocomplete": "name"},
    )
