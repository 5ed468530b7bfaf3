"""A select box drawn with the same HTML as WTForms' ``Select`` widget, at a fraction
of its cost.

WTForms draws each option through ``html_params`` (sorting a dict, escaping and
formatting a ``Markup`` per attribute): on the log-an-exchange form's thirty-odd
options that was a fifth of the page's time. Here an option without ``render_kw`` is
one escaped f-string; anything else (option groups, ``render_kw``) goes to WTForms.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import Select


class QuickSelect(Select):
    """``Select``, byte for byte; plain options drawn without ``html_params``."""

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        choices = list(field._iter_choices_normalized())
        if any(choice.render_kw for choice in choices):
            return super().__call__(field, **kwargs)
        html = [opening_tag(self, field, **kwargs)]
        for choice in choices:
            value = choice.value
            if isinstance(value, bool):
                value = str(value)
            # escape() already turns '"' into '&#34;', as html_params does.
            selected = "selected " if choice.selected else ""
            label = escape(choice.label or choice.value)
            html.append(f'<option {selected}value="{escape(value)}">{label}</option>')
        html.append("</select>")
        return Markup("".join(html))  # noqa: S704 (every value and label escaped above)


def opening_tag(widget: Select, field, **kwargs) -> str:
    """The <select> tag itself as ``widget`` (WTForms' ``Select``) draws it: the
    field's name and id, its validation flags and ``kwargs``, attributes sorted."""
    return Select.__call__(widget, _NoChoices(field), **kwargs)[: -len("</select>")]


class _NoChoices:
    """The field as ``Select`` sees it when drawing only the <select> tag."""

    def __init__(self, field):
        self._field = field

    def __getattr__(self, name):
        return getattr(self._field, name)

    def has_groups(self) -> bool:
        return False

    def _iter_choices_normalized(self):
        return iter(())
