"""The period chooser's radio buttons as HTML: each choice's button and its label, as
the chooser's loop over ``form.period`` drew them (report_views/_period.html). Going
through the field made a WTForms field for each choice on every page; the chooser is on
every report page, and was a fifth of the page around a report's body.

The chooser's choices have no validators (so no ``required`` or ``disabled`` flag) and
no extra attributes (``render_kw``): each button has exactly WTForms' attributes for a
radio button, written by ``widget_attributes.html_params`` as WTForms' widget writes
them. The rest of the chooser is still drawn by the template.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import RadioField

from timebank.widget_attributes import html_params

# Each choice, at the indentation of the chooser's loop.
_OPTION = (
    '\n    <div class="choice">'
    "\n      <input {attributes}>"
    '\n      <label for="{id}">{label}</label>'
    "\n    </div>"
    "\n    "
)


def radio_buttons(field: RadioField) -> Markup:
    """What goes between ``<div class="period-options">`` and its ``</div>``."""
    if field.validators or field.render_kw:
        raise ValueError("drawn for choices without validators or extra attributes")
    html = ["\n    "]
    for index, choice in enumerate(field.iter_choices()):
        option_id = f"{field.id}-{index}"
        attributes = html_params(
            checked=bool(choice.selected),
            id=option_id,
            name=field.name,
            type="radio",
            value=str(choice.value),
        )
        label = choice.label or choice.value
        html.append(
            _OPTION.format(attributes=attributes, id=escape(option_id), label=escape(label))
        )
    html.append("\n    ")
    return Markup("".join(html))  # noqa: S704 - every value escaped above
