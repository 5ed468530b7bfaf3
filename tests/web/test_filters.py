"""The filters keep Babel's formatting per value, pattern and locale: each gives what
Flask-Babel's own function gives, in each language, and follows ``force_locale``."""

from __future__ import annotations

from datetime import UTC, date, datetime

import flask_babel
import pytz
from flask import g

from timebank import filters


def fresh_request(app, language: str):
    g.pop("_flask_babel", None)
    return app.test_request_context("/", headers={"Accept-Language": language})


def test_numbers_and_dates_as_flask_babel_formats_them_in_each_language(app):
    day = date(2026, 3, 14)
    moment = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    for language in ("en", "cy", "en"):
        with fresh_request(app, language):
            for value in (0, 7, 1234, 1234.5, 1234567):
                assert filters.number(value) == flask_babel.format_decimal(value, "#,##0")
                assert filters.number(value, 1) == flask_babel.format_decimal(value, "#,##0.0")
            assert filters.format_percent(0.375, "#,##0%") == flask_babel.format_percent(
                0.375, "#,##0%"
            )
            for pattern in ("d MMMM y", "d MMM y", "LLLL y", "LLL"):
                assert filters.format_date(day, pattern) == flask_babel.format_date(day, pattern)
                # A moment is put in the reader's time zone first, as Flask-Babel does.
                assert filters.format_date(moment, pattern) == flask_babel.format_date(
                    moment, pattern
                )


def test_an_int_and_an_equal_float_are_kept_apart(app):
    with fresh_request(app, "en"):
        assert filters.format_decimal(2, "#,##0.##") == flask_babel.format_decimal(2, "#,##0.##")
        assert filters.format_decimal(2.0, "#,##0.##") == flask_babel.format_decimal(
            2.0, "#,##0.##"
        )


def test_hours_in_each_language_and_under_force_locale(app):
    with fresh_request(app, "en"):
        english = [filters.hours(m) for m in (0, 5, 60, 90, 61 * 60, -90)]
        assert english == ["0 min", "5 min", "1 h", "1 h 30 min", "61 h", "-1 h 30 min"]
        with flask_babel.force_locale("cy"):
            welsh = filters.hours(90)
            assert welsh == flask_babel.gettext(
                "%(hours)s h %(minutes)s min", hours="1", minutes=30
            )
            assert welsh != "1 h 30 min"
        assert filters.hours(90) == "1 h 30 min"
    with fresh_request(app, "cy"):
        assert filters.hours(90) == welsh


def test_a_moment_in_the_readers_zone_as_flask_babel_writes_it(app):
    # date_time_writer: the same, with the zone and locale found once for many moments.
    moments = [
        datetime(2026, 7, 1, 23, 30, 59, 999, tzinfo=UTC),  # the next day in London
        datetime(2026, 1, 1, 23, 30),  # noqa: DTZ001 - naive, as SQLite gives them: UTC
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # an hour before London's clocks go on
    ]
    for zone in ("UTC", "Europe/London", "Pacific/Auckland", "UTC"):
        for language in ("en", "cy"):
            with fresh_request(app, language):
                flask_babel.get_locale()  # makes Flask-Babel's context for the request
                g._flask_babel.babel_tzinfo = pytz.timezone(zone)
                write = filters.date_time_writer()
                for moment in moments:
                    assert filters.date_time(moment) == flask_babel.format_datetime(
                        moment, "d MMM y, HH:mm"
                    )
                    assert write(moment) == filters.date_time(moment)
    with fresh_request(app, "en"):
        flask_babel.get_locale()
        g._flask_babel.babel_tzinfo = pytz.timezone("Europe/London")
        assert filters.date_time(moments[0]) == "2 Jul 2026, 00:30"
        g._flask_babel.babel_tzinfo = pytz.timezone("UTC")
        assert filters.date_time(moments[0]) == "1 Jul 2026, 23:30"
