"""Widgets' attributes written byte for byte as WTForms' own ``html_params`` writes
them, whatever the names and values hold."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    Form,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import Input
from wtforms.widgets.core import html_params as wtforms_html_params

from timebank.widget_attributes import TextArea, html_params

AWKWARD = [
    {},
    {"name": "plain", "id": "plain", "type": "text", "value": ""},
    {"value": 'say "hi" & <b>bye</b>', "title": "O'Brien"},
    {"value": Markup('already <i>"marked"</i> up')},
    {"checked": True, "disabled": False, "required": True},
    {"class_": "wide", "for_": "x", "data_user_name": "a_b", "aria_described_by": "h"},
    {"aria-describedby": "code-hint code-error", "aria-invalid": "true"},
    {"maxlength": 40, "step": 0.25, "size": None},
    {"placeholder": "Ffenestri — ŵ ŷ", "zeta": "last", "alpha": "first"},
]


@pytest.mark.parametrize("attributes", AWKWARD)
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    ours = html_params(**attributes)
    assert ours == wtforms_html_params(**attributes)
    assert isinstance(ours, Markup)


def test_lazy_words_are_written_as_wtforms_writes_them(app):
    with app.test_request_context("/", headers={"Accept-Language": "cy"}):
        attributes = {"placeholder": lazy_gettext("Name"), "value": "x"}
        assert html_params(**attributes) == wtforms_html_params(**attributes)


class _Fields(Form):
    name = StringField(
        "Name", validators=[InputRequired(), Length(max=40)], render_kw={"autocomplete": "off"}
    )
    secret = PasswordField("Secret")
    agreed = BooleanField("Agreed", default=True)
    day = DateField("Day", validators=[InputRequired()])
    choice = RadioField(
        "Choice", choices=[SelectChoice("a", 'A "one"'), SelectChoice("b", "B & two")], default="b"
    )


def _drawn(form: _Fields) -> str:
    radios = "".join(str(option()) for option in form.choice)
    return (
        f"{form.name(**{'aria-describedby': 'name-hint'})}{form.secret()}"
        f"{form.agreed()}{form.day(min='2020-01-01')}{form.choice()}{radios}"
    )


def test_the_apps_widgets_draw_what_wtforms_draws(app):
    # The app sets html_params on WTForms' Input; WTForms' own writer, set back for a
    # moment, draws every kind of field the same.
    ours = _drawn(_Fields(data={"name": 'Jo "the <b>" O\'Brien'}))
    assert Input.html_params is not wtforms_html_params
    saved = Input.__dict__["html_params"]
    Input.html_params = staticmethod(wtforms_html_params)
    try:
        theirs = _drawn(_Fields(data={"name": 'Jo "the <b>" O\'Brien'}))
    finally:
        Input.html_params = saved
    assert ours == theirs
    assert 'maxlength="40"' in ours and " required" in ours and "checked" in ours


class _Notes(Form):
    notes = TextAreaField("Notes", validators=[InputRequired(), Length(min=2, max=400)])
    plain = TextAreaField("Plain", render_kw={"rows": 3})


def _areas(form: _Notes) -> str:
    return f"{form.notes(**{'aria-describedby': 'notes-hint', 'class_': 'wide'})}{form.plain()}"


@pytest.mark.parametrize(
    "value", ["", 'say "hi" & <b>bye</b>\nO\'Brien', Markup("<i>already</i>"), "Ffenestri — ŵ"]
)
def test_the_apps_text_areas_draw_what_wtforms_draws(app, value):
    # Every TextAreaField is drawn by widget_attributes.TextArea; WTForms' own, given
    # to the fields for a moment, draws the same.
    form = _Notes(data={"notes": value, "plain": value})
    ours = _areas(form)
    assert isinstance(TextAreaField.widget, TextArea)
    for field in (form.notes, form.plain):
        field.widget = widgets.TextArea()
    assert ours == _areas(form)
    assert 'maxlength="400"' in ours and 'minlength="2"' in ours and " required" in ours
