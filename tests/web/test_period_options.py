"""The period chooser's radio buttons (report_views/period_options.py) are what the
chooser's loop over ``form.period`` drew, byte for byte, in English and Welsh: the
default, each choice asked for, a choice that is not one, and with dates in error."""

from __future__ import annotations

from datetime import date

from flask import g, render_template_string
from werkzeug.datastructures import MultiDict

from timebank.report_views.periods import period_from

# The chooser's loop before period_options (report_views/_period.html).
OPTIONS_TEMPLATE = """<div class="period-options">
    {% for option in form.period %}
    <div class="choice">
      {{ option() }}
      <label for="{{ option.id }}">{{ option.label.text }}</label>
    </div>
    {% endfor %}
    </div>"""

ASKED = [
    {},
    {"period": "this-quarter"},
    {"period": "last-quarter"},
    {"period": "last-12-months"},
    {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"},
    {"period": "custom", "start": "", "end": "1999-01-01"},
    {"period": "<b>nonsense</b>"},
]


def test_the_buttons_are_the_loops_in_each_language(app):
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            drawn_any = []
            for asked in ASKED:
                form, _chosen = period_from(MultiDict(asked), date(2026, 6, 15))
                wanted = render_template_string(OPTIONS_TEMPLATE, form=form)
                drawn = form.radio_buttons()
                assert wanted == f'<div class="period-options">{drawn}</div>'
                drawn_any.append(drawn)
            assert drawn_any[0].count(" checked ") == 1  # the default
            assert " checked " not in drawn_any[-1]  # not a choice: none checked
            assert ("Last quarter" in drawn_any[0]) == (language == "en")
