"""The coordinators' lists of names as HTML (report_views/people_rows.py) are what
report_views/_coordinator_lists.html's loop drew, byte for byte, in English and Welsh,
for each of the four lists: names escaped, amounts, dates or "never", betweenness."""

from __future__ import annotations

from datetime import date

from flask import g, render_template_string

from timebank.report_views.graph import kind_words
from timebank.report_views.people_rows import people_rows, people_rows_drawer
from timebank.reports.reciprocity.model import NamedMember

# The list's body before people_rows (its tbody, from the template's loop).
ROWS_TEMPLATE = """<tbody role="rowgroup">{% set kind_word, received_word, last_word, betweenness_word, never_word = _('Kind'), _('Received'), _('Last exchange'), _('Betweenness'), _("never") %}{% set member_path = url_for('coordinators.member', membership_id=0)[:-1] %}
        {% for person in people %}
        <tr role="row">
          <th scope="row" role="rowheader"><a href="{{ member_path }}{{ person.membership_id }}">{{ person.name }}</a></th>
          <td role="cell" data-label="{{ kind_word }}">{{ kind_words.get(person.kind, person.kind) }}</td>
          {% if key == 'only-received' %}<td role="cell" data-label="{{ received_word }}">{{ (person.minutes or 0)|hours }}</td>{% endif %}
          {% if key == 'quiet' %}<td role="cell" data-label="{{ last_word }}">{% if person.last_exchange %}{{ person.last_exchange|long_date }}{% else %}{{ never_word }}{% endif %}</td>{% endif %}
          {% if key == 'brokers' %}<td role="cell" data-label="{{ betweenness_word }}">{{ (person.score or 0)|number(3) }}</td>{% endif %}
        </tr>
        {% endfor %}
      </tbody>"""  # noqa: E501

PEOPLE = (
    NamedMember(12, 'Ann <b>O\'Brien</b> & "Co"', "participant", 90, date(2026, 3, 4), 0.25),
    NamedMember(7, "Bea", "professional", None, None, None),
    NamedMember(3, "Cai", "someone <new>", 0, date(2025, 12, 31), 1234.5678),
)


def test_the_rows_are_the_templates_in_each_language(app):
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            kinds = kind_words()
            drawer = people_rows_drawer()  # as a render draws its four lists
            for key in ("only-received", "never-given", "quiet", "brokers"):
                for people in (PEOPLE, PEOPLE[1:], ()):
                    wanted = render_template_string(
                        ROWS_TEMPLATE, key=key, people=people, kind_words=kinds
                    )
                    drawn = people_rows(key, people, kinds)
                    assert wanted == f'<tbody role="rowgroup">{drawn}</tbody>'
                    assert drawer(key, people, kinds) == drawn
            drawn = people_rows("quiet", PEOPLE, kinds)
            assert "Ann &lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; &#34;Co&#34;" in drawn
            assert "someone &lt;new&gt;" in drawn
            assert ("March" in drawn) == (language == "en")
