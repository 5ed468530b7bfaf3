"""Every text field of every form follows the one text rule (issue 11, finding 5): the
form classes are found by walking the package, so a new form cannot miss it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField, PasswordField, StringField

import timebank
from tests.factories import bank_today
from timebank.text_rules import CONTROL_MESSAGE, INVISIBLE_MESSAGE

HOSTILE = {
    "\x00": CONTROL_MESSAGE,
    "Gardening\x00": CONTROL_MESSAGE,
    "\x1b[31mred": CONTROL_MESSAGE,
    "a\x7fb": CONTROL_MESSAGE,
    "\u200b\u200b": INVISIBLE_MESSAGE,
    "\u2060\u200d\u00a0": INVISIBLE_MESSAGE,
}


def every_form_class() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(timebank.__path__, "timebank."):
        if module.name.startswith(("timebank.migrations", "timebank.wsgi")):
            continue  # scripts, and the production entry point (refuses test settings)
        importlib.import_module(module.name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return sorted(set(below(FlaskForm)), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def build(form_class, formdata: MultiDict):
    extra = {}
    if "today" in inspect.signature(form_class.__init__).parameters:
        extra["today"] = bank_today()
    return form_class(formdata=formdata, **extra)


def text_fields(form):
    for field in form:
        if isinstance(field, FormField):
            yield from text_fields(field.form)
        elif isinstance(field, FieldList):
            yield from text_fields_in(field.entries)
        elif isinstance(field, StringField) and not isinstance(field, PasswordField):
            yield field


def text_fields_in(entries):
    for entry in entries:
        if isinstance(entry, StringField) and not isinstance(entry, PasswordField):
            yield entry


@pytest.fixture
def forms(app):
    with app.test_request_context(method="POST"):
        yield every_form_class()


def test_the_walk_finds_the_forms(forms):
    names = {cls.__name__ for cls in forms}
    assert {"LogExchangeForm", "ListingForm", "ApplyForm", "ProfileForm", "GroupExchangeForm"} <= (
        names
    )
    assert len(forms) > 40


@pytest.mark.parametrize(("value", "message"), HOSTILE.items())
def test_every_text_field_of_every_form_refuses_hidden_text(forms, value, message):
    checked = 0
    for form_class in forms:
        for name in [field.name for field in text_fields(build(form_class, MultiDict()))]:
            form = build(form_class, MultiDict({name: value}))
            field = next(f for f in text_fields(form) if f.name == name)
            field.validate(form)
            assert str(message) in field.errors, (form_class.__name__, name, field.errors)
            checked += 1
    assert checked > 40


def test_passwords_may_hold_any_character(forms):
    from timebank.auth.forms import SignInForm

    form = SignInForm(formdata=MultiDict({"email": "a@example.org", "password": "\u200b\x00"}))
    form.password.validate(form)
    assert form.password.errors == []
