"""The audit log's rows written in Python (coordinators/audit_rows.py) are what the
``_audit_entries.html`` template drew, byte for byte, in English and Welsh: entries by
a person and by the system, with no change, a change "was ..., now ...", a field
removed, a record created, amounts of time, dates, yes and no, names, and markup in
every value escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import g, render_template_string
from flask_babel import gettext
from markupsafe import Markup

from timebank.coordinators.audit import _PageWording, _row_words
from timebank.coordinators.audit_rows import audit_rows
from timebank.filters import date_time_writer
from timebank.ledger.models import AccountKind
from timebank.reports.audit_fields import Change
from timebank.reports.audit_log import AuditRow, EntryColumns, describe_entries, load_document
from timebank.reports.audit_names import Names

# The template before audit_rows (coordinators/_audit_entries.html), as it was.
OLD_TEMPLATE = """{% set system_word, details_word, no_fields_words = _("system"), _("Details"), _("No fields were recorded for this entry.") %}{% set when_word, who_word, what_word = _("When"), _("Who"), _("What") %}{% for row in rows %}
      <tr role="row">
        <td role="cell" data-label="{{ when_word }}"><time datetime="{{ row.created_at.isoformat() }}Z">{{ date_time(row.when) }}</time></td>
        <td role="cell" data-label="{{ who_word }}">{% if row.actor_id is none %}<span class="audit-system">{{ system_word }}</span>{% else %}{{ row.actor_name }}{% endif %}</td>
        <td role="cell" data-label="{{ what_word }}">{{ row.summary }}</td>
        <td role="cell">
          <details class="audit-details">
            <summary>{{ details_word }}<span class="visually-hidden"> {{ row_words.of_entry % {"number": row.seq} }}</span></summary>
            <p class="hint">{{ row_words.entry % {"number": row.seq} }} · {{ row.action }} · {{ row.entity }}</p>
            {% if row.changes %}
            <dl class="audit-changes">
              {% for change in row.changes %}
              <div>
                <dt>{{ change.label }}</dt>
                <dd>
                  {% if change.before is not none and change.after is not none %}
                  {{ row_words.was_now % {"before": change.before, "after": change.after} }}
                  {% elif change.before is not none %}
                  {{ row_words.was_removed % {"before": change.before} }}
                  {% else %}
                  {{ change.after }}
                  {% endif %}
                </dd>
              </div>
              {% endfor %}
            </dl>
            {% else %}
            <p>{{ no_fields_words }}</p>
            {% endif %}
          </details>
        </td>
      </tr>
      {% endfor %}"""  # noqa: E501


def _old_row_words() -> dict[str, Markup]:
    # As the view gave them to the template: our catalogue's words, filled by Markup's %.
    words = {
        "of_entry": gettext("of log entry %(number)s"),
        "entry": gettext("Log entry %(number)s"),
        "was_now": gettext(
            '<span class="audit-before">was %(before)s</span>,'
            ' <span class="audit-after">now %(after)s</span>'
        ),
        "was_removed": gettext('<span class="audit-before">was %(before)s</span>, now removed'),
    }
    return {name: Markup(text) for name, text in words.items()}  # noqa: S704 - our catalogue


MARKUP = "<b>\"Tŷ\" & 'co'</b>"
# Stored as naive UTC; the night the clocks go forward in London.
CREATED = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=UTC).replace(tzinfo=None)


def _entry(seq, action, entity_type, entity_id, before, after, actor_id=7, actor_name="Cora"):
    return EntryColumns(
        id=seq,
        seq=seq,
        created_at=CREATED,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=json.dumps(before) if before is not None else None,
        after=json.dumps(after) if after is not None else None,
        actor_name=actor_name,
    )


ENTRIES = [
    # A new exchange: amounts of time, names, a category with markup, a date, yes/no.
    _entry(
        9,
        "transfer.recorded",
        "transfer",
        40,
        None,
        {
            "kind": "exchange",
            "status": "pending",
            "debit_account_id": 1,
            "credit_account_id": 2,
            "minutes": 90,
            "service_date": "2026-03-28",
            "category_id": 3,
            "description": MARKUP,
            "needs_confirmation": True,
            "needs_approval": False,
        },
    ),
    # Approved by the system: a status and a person, was and now.
    _entry(
        8,
        "transfer.approved",
        "transfer",
        40,
        {"status": "pending", "approved_by_id": None, "minutes": 90},
        {"status": "posted", "approved_by_id": 5, "minutes": 90},
        actor_id=None,
        actor_name=None,
    ),
    # Settings: limits, no limit, a value removed, a field of no known name.
    _entry(
        7,
        "time_bank.policy_changed",
        "time_bank",
        1,
        {"floor_minutes": -600, "cap_minutes": None, "reason": MARKUP, "odd_field": [1, "<x>"]},
        {"floor_minutes": -1200, "cap_minutes": 3000, "odd_field": {"a": "<y>"}},
        actor_name=MARKUP,
    ),
    # Nothing recorded.
    _entry(6, "export.members", "time_bank", None, None, None),
    # A record removed (everything "was ..., now removed"), by a member no longer named.
    _entry(5, "listing.closed", "listing", 12, {"title": MARKUP, "area": "Tŷ Mawr"}, {}),
    # A membership: role and status words.
    _entry(
        4,
        "membership.role_changed",
        "membership",
        5,
        {"role": "member", "status": "active"},
        {"role": "coordinator", "status": "suspended", "status_reason": MARKUP},
        actor_name="O'Brien & Sons",
    ),
]
NAMES = dict(
    accounts={1: MARKUP, 2: "Ann Archer"},
    account_kinds={1: AccountKind.MEMBER, 2: AccountKind.MEMBER},
    memberships={5: "Cora <Coordinator>"},
    people={},
    categories={3: 'Garden & "yard"'},
    organisations={},
)

# Rows made by hand: values no entry puts into words, markup in each.
HAND_MADE = [
    AuditRow(
        id=1,
        seq=1,
        created_at=CREATED,
        when=CREATED,
        actor_id=3,
        actor_name=MARKUP,
        action="odd.<action>",
        entity_type="odd",
        entity_id=None,
        summary=MARKUP,
        changes=[
            Change("a", MARKUP, MARKUP, MARKUP),
            Change("b", "B", MARKUP, None),
            Change("c", "C", None, MARKUP),
            Change("d", "D", None, None),
            # Markup (a str of another type) is kept as it is, as Markup's % kept it.
            Change("e", "E", Markup("<i>kept</i>"), MARKUP),
            Change("f", "F", Markup("<i>kept</i>"), None),
            # The same text as text (escaped) and as Markup (as it is), in both orders.
            Change("g", "<em>G</em>", None, "<i>kept</i>"),
            Change("h", Markup("<em>G</em>"), None, Markup("<i>kept</i>")),
        ],
        entity=MARKUP,
    ),
    AuditRow(
        id=2,
        seq=2,
        created_at=CREATED,
        when=CREATED,
        actor_id=4,
        actor_name=Markup("<i>kept</i>"),
        action="odd.action",
        entity_type="odd",
        entity_id=2,
        summary=Markup("<i>kept</i>"),
        changes=[
            Change("h", Markup("<em>H</em>"), None, Markup("<u>kept</u>")),
            Change("g", "<em>H</em>", None, "<u>kept</u>"),
        ],
        entity="odd 2",
    ),
]


def test_the_rows_are_the_templates_in_each_language(app):
    for language in ("en", "cy"):
        g.pop("_flask_babel", None)  # as in a new request (see test_quick_gettext)
        with app.test_request_context("/", headers={"Accept-Language": language}):
            names = Names(**NAMES, wording=_PageWording())
            documents = [(load_document(e.before), load_document(e.after)) for e in ENTRIES]
            rows = describe_entries(ENTRIES, documents, names, "Europe/London") + HAND_MADE
            wanted = render_template_string(
                OLD_TEMPLATE, rows=rows, row_words=_old_row_words(), date_time=date_time_writer()
            )
            drawn = audit_rows(rows, _row_words(), date_time_writer())
            assert drawn == wanted
            assert isinstance(drawn, Markup)
            # What the rows show, so that the comparison is not of two empty pages.
            assert drawn.count('<tr role="row">') == len(rows)
            assert "&lt;b&gt;&#34;Tŷ&#34; &amp; &#39;co&#39;&lt;/b&gt;" in drawn
            assert "<b>" not in drawn
            # Markup shown as it is (the two "was" values, two in the second row, one
            # change of the first), the same text given as text escaped.
            assert drawn.count("<i>kept</i>") == 5
            assert drawn.count("&lt;i&gt;kept&lt;/i&gt;") == 1
            assert drawn.count("<u>kept</u>") == drawn.count("&lt;u&gt;kept&lt;/u&gt;") == 1
            assert drawn.count("<dt><em>G</em></dt>") == drawn.count("<dt><em>H</em></dt>") == 1
            assert ("now removed" in drawn) == (language == "en")
            assert ('data-label="When"' in drawn) == (language == "en")
            assert drawn.count('<span class="audit-system">') == 1
            assert drawn.count("<dl ") == len(rows) - 1
            assert ("1 h 30 min" in drawn) == (language == "en")


def test_no_rows_draw_nothing(app):
    with app.test_request_context("/"):
        assert audit_rows([], _row_words(), date_time_writer()) == ""
