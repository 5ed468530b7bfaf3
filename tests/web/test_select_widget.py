"""QuickSelect draws a select box byte for byte as WTForms' own Select widget does
(it only skips WTForms' per-option attribute machinery), whatever the choices hold."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.widgets import Select

from timebank.select_widget import QuickSelect

AWKWARD = [
    SelectChoice("", "Nothing in particular"),
    SelectChoice('say "hi"', 'Offer by O\'Brien & <Sons>: "quotes"'),
    SelectChoice("<b>", ""),  # no label: the value is shown
    SelectChoice("plain", "Ffenestri a drysau — ŵ ŷ"),
]


def _both(choices, data=None, coerce=str, validators=(), **render):
    class QuickForm(Form):
        field = SelectField(
            choices=choices, coerce=coerce, validators=list(validators), widget=QuickSelect()
        )

    class PlainForm(Form):
        field = SelectField(
            choices=choices, coerce=coerce, validators=list(validators), widget=Select()
        )

    formdata = MultiDict({"field": data}) if data is not None else None
    return str(QuickForm(formdata).field(**render)), str(PlainForm(formdata).field(**render))


@pytest.mark.parametrize("data", [None, "", 'say "hi"', "<b>", "plain", "not offered"])
def test_awkward_values_and_labels_are_drawn_as_wtforms_draws_them(data):
    quick, plain = _both(AWKWARD, data)
    assert quick == plain
    assert "&#34;" in quick  # the quotes really were escaped


def test_a_chosen_option_is_marked_selected_as_wtforms_marks_it():
    quick, plain = _both(AWKWARD, "plain")
    assert quick == plain
    assert '<option selected value="plain">' in quick


def test_numbers_attributes_and_flags_are_drawn_as_wtforms_draws_them():
    choices = [SelectChoice(1, "One"), SelectChoice(2, "Two"), SelectChoice(10, "Ten")]
    quick, plain = _both(
        choices,
        "2",
        coerce=int,
        validators=[DataRequired()],
        aria_describedby="field-hint",
        aria_invalid="true",
        class_="wide",
    )
    assert quick == plain
    assert " required" in quick


def test_true_and_false_values_are_drawn_as_wtforms_draws_them():
    quick, plain = _both([SelectChoice(True, "Yes"), SelectChoice(False, "No")], "True")
    assert quick == plain


def test_option_groups_and_option_attributes_are_left_to_wtforms():
    grouped = [
        SelectChoice("1", "Gardening", optgroup="Offers"),
        SelectChoice("2", "Lifts", optgroup="Requests"),
    ]
    quick, plain = _both(grouped, "2")
    assert quick == plain
    assert "<optgroup" in quick
    with_attributes = [
        SelectChoice("1", "One", render_kw={"disabled": True}),
        SelectChoice("2", "Two"),
    ]
    quick, plain = _both(with_attributes, "2")
    assert quick == plain
    assert "disabled" in quick


def test_no_choices_draws_an_empty_select_box():
    quick, plain = _both([], None)
    assert quick == plain


@pytest.mark.parametrize("current", ["Europe/London", "UTC", "US/Eastern"])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_time_zone_select_is_drawn_as_wtforms_draws_it(app, current, language):
    # The settings page's 500 time zones in their groups, drawn once per kept choices
    # and chosen value: the same HTML as WTForms' Select, chosen zone and all, on the
    # first view and the next; an old alias ("US/Eastern") in its group of its own.
    from timebank.coordinators.settings import ManyOptionsSelect, timezone_choices

    with app.test_request_context("/", headers={"Accept-Language": language}):
        choices = timezone_choices(current)
        assert timezone_choices(current) is choices

        def drawn(widget, data, **render):
            class ZoneForm(Form):
                zone = SelectField(choices=[], widget=widget)

            form = ZoneForm(MultiDict({"zone": data}))
            form.zone.choices = choices  # as the settings page gives them: the kept tuple
            return str(form.zone(**render))

        for data in (current, "Asia/Tokyo", "not a zone"):
            plain = drawn(Select(), data, **{"aria-invalid": "true"})
            assert drawn(ManyOptionsSelect(), data, **{"aria-invalid": "true"}) == plain
            assert drawn(ManyOptionsSelect(), data, **{"aria-invalid": "true"}) == plain
        chosen = drawn(ManyOptionsSelect(), current)
        assert chosen.count("selected") == 1
        assert f'selected value="{current}"' in chosen
