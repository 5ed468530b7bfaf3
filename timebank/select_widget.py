"""A select box drawn with the same HTML as WTForms' ``Select`` widget, at a fraction
of its cost.

WTForms draws each option through ``html_params`` (sorting a dict, escaping and
formatting a ``Markup`` per attribute): on the log-an-exchange form's thirty-odd
options that was a fifth of the page's time. Here an option without ``render_kw`` is
one escaped f-string, and the <select> tag's attributes are written as
``widget_attributes.html_params`` writes them; anything else (option groups, ``render_kw``)
goes to WTForms.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import Select

from timebank.widget_attributes import html_params


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
    kwargs.setdefault("id", field.id)
    if widget.multiple:
        kwargs["multiple"] = True
    flags = getattr(field, "flags", {})
    for name in dir(flags):
        if name in widget.validation_attrs and name not in kwargs:
            kwargs[name] = getattr(flags, name)
    return f"<select {html_params(name=field.name, **kwargs)}>"
