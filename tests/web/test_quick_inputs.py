"""The quick input widgets draw text, date and tick boxes byte for byte as WTForms' own
widgets do (they only write the attributes faster), whatever the values hold."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, Form, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, DateInput, TextInput, html_params

from timebank import quick_inputs
from timebank.quick_inputs import QuickCheckboxInput, QuickDateInput, QuickTextInput

AWKWARD = ['say "hi"', "O'Brien & <Sons>", "", "Ffenestri a drysau — ŵ ŷ", "  spaced  "]


@pytest.mark.parametrize(
    "attributes",
    [
        {"name": "a", "id": "a", "type": "text", "value": "", "maxlength": 120},
        {"checked": True, "readonly": False, "name": "t", "abc": "hello"},
        {"class_": "wide", "data_person_id": "7", "aria_describedby": "a-hint b-error"},
        {"value": None, "min": 0, "step": 1.5, "required": True, "disabled": False},
        {"title": Markup('already "marked" <b>'), "placeholder": "<\"&'>"},
    ],
)
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    assert quick_inputs.html_params(**attributes) == html_params(**attributes)


def _both(quick_field, plain_field, data=None, **render):
    class QuickForm(Form):
        field = quick_field

    class PlainForm(Form):
        field = plain_field

    formdata = MultiDict({"field": data}) if data is not None else None
    quick, plain = QuickForm(formdata), PlainForm(formdata)
    quick.validate()
    plain.validate()
    return str(quick.field(**render)), str(plain.field(**render))


@pytest.mark.parametrize("data", [None, *AWKWARD])
def test_text_boxes_are_drawn_as_wtforms_draws_them(data):
    validators = [Optional(), Length(max=120)]
    quick, plain = _both(
        StringField(validators=validators, widget=QuickTextInput()),
        StringField(validators=validators, widget=TextInput()),
        data,
        aria_describedby="field-hint",
        aria_invalid="true",
    )
    assert quick == plain
    assert 'maxlength="120"' in quick


@pytest.mark.parametrize("data", [None, "", "2026-12-07", "not a date", "9999-12-31"])
def test_date_boxes_are_drawn_as_wtforms_draws_them(data):
    quick, plain = _both(
        DateField(validators=[DataRequired()], widget=QuickDateInput()),
        DateField(validators=[DataRequired()], widget=DateInput()),
        data,
        min=date(2020, 1, 1),
        class_="short",
    )
    assert quick == plain
    assert " required" in quick


@pytest.mark.parametrize("data", [None, "", "y", "false"])
def test_tick_boxes_are_drawn_as_wtforms_draws_them(data):
    quick, plain = _both(
        BooleanField(widget=QuickCheckboxInput()),
        BooleanField(widget=CheckboxInput()),
        data,
        aria_describedby="field-hint",
    )
    assert quick == plain
