"""WTForms' own words (its validators' default messages, the labels it derives) come in
the reader's language, from its catalogue read once per language."""

from __future__ import annotations

from babel import support
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired

from timebank import form_messages


class _Form(FlaskForm):
    class Meta:
        csrf = False

    nickname = StringField(validators=[DataRequired()])


def _error(app, language: str) -> str:
    with app.test_request_context("/", method="POST"), force_locale(language):
        form = _Form(formdata=MultiDict({"nickname": ""}))
        assert not form.validate()
        assert str(form.nickname.label.text) == "Nickname"  # derived, then looked up
        return form.nickname.errors[0]


def test_wtforms_messages_follow_the_readers_language(app):
    english = _error(app, "en")
    welsh = _error(app, "cy")
    assert english == "This field is required."
    expected = support.Translations.load(messages_path(), ["cy"], domain="wtforms")
    assert welsh == expected.ugettext("This field is required.") != english


def test_the_catalogue_is_read_once_per_language(app):
    form_messages._catalogue.cache_clear()
    for _ in range(3):
        _error(app, "cy")
        _error(app, "en")
    info = form_messages._catalogue.cache_info()
    assert info.misses == 2 and info.hits >= 4  # one read per language, then kept
