"""The per-request translation look-up gives exactly what Flask-Babel gives, follows
``force_locale``, and templates escape and format as Jinja's own i18n extension does."""

from __future__ import annotations

import flask_babel
from flask import g, render_template_string
from jinja2 import Environment
from markupsafe import Markup

from timebank import quick_gettext


def fresh_request(app, language: str):
    # The test's app context outlives each request context, and Flask-Babel keeps the
    # chosen language on ``g``: start each request without it, as a real one does.
    g.pop("_flask_babel", None)
    return app.test_request_context("/", headers={"Accept-Language": language})


def test_the_same_words_as_flask_babel_in_each_language(app):
    for language in ("en", "cy"):
        with fresh_request(app, language):
            for text in ("Sign in", "Your balance", "Not a phrase in the catalogue"):
                assert quick_gettext.gettext(text) == flask_babel.gettext(text)
            assert quick_gettext.ngettext(
                "%(num)s person", "%(num)s people", 3
            ) == flask_babel.ngettext("%(num)s person", "%(num)s people", 3)
    with fresh_request(app, "cy"):
        assert quick_gettext.gettext("Sign in") != "Sign in"


def test_lazy_words_are_flask_babels_lazy_words_in_each_language(app):
    lazy = quick_gettext.lazy_gettext("Sign in")
    with_values = quick_gettext.lazy_gettext("Settings for %(bank)s", bank="Tŷ & <Co>")
    assert isinstance(lazy, flask_babel.speaklater.LazyString)
    for language in ("en", "cy"):
        with fresh_request(app, language):
            assert str(lazy) == str(flask_babel.lazy_gettext("Sign in"))
            assert lazy.__html__() == flask_babel.lazy_gettext("Sign in").__html__()
            assert str(with_values) == str(
                flask_babel.lazy_gettext("Settings for %(bank)s", bank="Tŷ & <Co>")
            )
            with flask_babel.force_locale("cy"):
                assert str(lazy) == flask_babel.gettext("Sign in") != "Sign in"
    with fresh_request(app, "cy"):
        assert str(lazy) != "Sign in"


def test_follows_force_locale_and_comes_back(app):
    with fresh_request(app, "en"):
        assert quick_gettext.gettext("Sign in") == "Sign in"
        with flask_babel.force_locale("cy"):
            welsh = quick_gettext.gettext("Sign in")
            assert welsh == flask_babel.gettext("Sign in") != "Sign in"
        assert quick_gettext.gettext("Sign in") == "Sign in"


def test_outside_an_application_the_words_stay_english():
    assert quick_gettext.gettext("Sign in") == "Sign in"


def test_templates_escape_variables_and_format_as_jinja_does(app):
    with fresh_request(app, "en"):
        page = render_template_string(
            "{{ _('Hello %(name)s', name=name) }}|{{ _('100%%') }}|"
            "{{ ngettext('%(num)d hour', '%(num)d hours', 2) }}",
            name="<b>Jo</b>",
        )
        assert page == "Hello &lt;b&gt;Jo&lt;/b&gt;|100%|2 hours"
        # What Jinja's own extension gives for the same template, for comparison.
        plain = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        plain.install_null_translations(newstyle=True)
        expected = plain.from_string(
            "{{ _('Hello %(name)s', name=name) }}|{{ _('100%%') }}|"
            "{{ ngettext('%(num)d hour', '%(num)d hours', 2) }}"
        ).render(name="<b>Jo</b>")
        assert page == expected


def test_template_words_without_variables_follow_the_language_of_each_request(app):
    # Kept once per catalogue: the same template in English, then Welsh, then English.
    template = "{{ _('Sign in') }}|{{ _('100%%') }}"
    pages = {}
    for language in ("en", "cy", "en"):
        with fresh_request(app, language):
            pages.setdefault(language, set()).add(render_template_string(template))
            assert render_template_string(template) == (f"{flask_babel.gettext('Sign in')}|100%")
    assert pages["en"] == {"Sign in|100%"}
    assert pages["cy"] != pages["en"]


def test_the_locale_is_flask_babels_and_follows_force_locale(app):
    with fresh_request(app, "cy"):
        assert quick_gettext.locale() == flask_babel.get_locale()
        assert str(quick_gettext.locale()) == "cy"
        with flask_babel.force_locale("en"):
            assert str(quick_gettext.locale()) == "en"
        assert str(quick_gettext.locale()) == "cy"


def test_outside_an_application_there_is_no_locale():
    assert quick_gettext.locale() is None


def test_fill_fills_in_as_markup_does():
    values = [
        {"text": 'Tŷ & <Co> "quoted"', "number": 12},
        {"text": Markup("<em>kept</em>"), "number": 2.5},
        {"text": None, "number": True},  # not plain text or numbers: Markup's own %
    ]
    for template in ("%(text)s was %(number)s", '<span class="x">%(text)s</span>'):
        for filled in values:
            wanted = Markup(template) % filled  # noqa: S704 - a test's own words
            got = quick_gettext.fill(template, filled)
            assert got == wanted
            assert isinstance(got, Markup)


def test_one_locale_object_for_each_language_across_requests(app):
    """The filters' caches are keyed on the locale: each request's locale is the same
    object as the last one in that language, equal to the one Flask-Babel chose, and
    follows force_locale."""
    seen = {}
    for language in ("en", "cy", "en", "cy"):
        with fresh_request(app, language):
            found = quick_gettext.locale()
            assert found == flask_babel.get_locale() and str(found) == language
            assert seen.setdefault(language, found) is found
            with flask_babel.force_locale("cy" if language == "en" else "en"):
                assert str(quick_gettext.locale()) != language
            assert quick_gettext.locale() is found
    assert seen["cy"] is not seen["en"]


def test_a_renders_page_words_are_the_templates_words_in_each_language(app):
    """``page_words``, passed to a render as ``_``, gives what the templates' ``_``
    gives: translated, variables escaped, "%%" as "%", with and without variables."""
    template = (
        "{{ _('Sign in') }}|{{ _('100%%') }}|{{ _('Hello %(name)s', name=name) }}|"
        "{{ _('%(start)s to %(end)s', start=name, end=3) }}|{{ _('Show as a table') }}"
    )
    for language in ("en", "cy"):
        with fresh_request(app, language):
            wanted = render_template_string(template, name="<b>Jo</b> & 'Al'")
            drawn = render_template_string(
                template, name="<b>Jo</b> & 'Al'", _=quick_gettext.page_words()
            )
            assert drawn == wanted
            assert "&lt;b&gt;Jo&lt;/b&gt; &amp; &#39;Al&#39;" in drawn
            assert ("Show as a table" in drawn) == (language == "en")
