"""The dashboard's figures, the CSV statement and "My network" through the real app.

A member sees their own figures only; the number of database queries does not grow with
their history; the CSV cannot smuggle formulas into a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import timedelta

import pytest
from babel.dates import format_date
from flask_babel import force_locale, gettext
from sqlalchemy import event

from tests.factories import CoordinatorFactory, OrganisationFactory, TimeBankFactory
from tests.web.support import make_member, page_without_tokens, sign_in, table_rows
from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.models import Role
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import record_transfer
from timebank.members.statement import HEADER, safe_cell

DASHBOARD = "/members/"
STATEMENT = "/members/statement.csv"
NETWORK = "/members/network"


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(
        name="Riverside Time Bank",
        requires_confirmation=False,
        requires_approval=False,
        max_backdate_days=1000,
    )
    session.commit()
    return bank


@pytest.fixture
def today(bank):
    return today_in(bank.timezone)


@pytest.fixture
def people(session, bank):
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    carol = make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
    dave = make_member(session, email="dave@example.org", name="Dave Dlamini", bank=bank)
    return alice, bob, carol, dave


def give(session, giver, receiver, minutes, on, description="", today=None):
    return record_transfer(
        session,
        actor=giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=on,
        description=description,
        today=today or on,
    )


@contextmanager
def counting_queries():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def queries_for(client, path):
    """The statements one request runs, starting a fresh transaction with nothing
    loaded, as a real request does (the tests share the app context's session)."""
    db.session.commit()
    with counting_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def history(session, alice, bob, count, today, start=0):
    """``count`` exchanges spread over the last 400 days, each way in turn."""
    for i in range(start, start + count):
        on = today - timedelta(days=i % 400)
        if i % 2:
            give(session, bob, alice, 30, on, f"Help number {i}", today=today)
        else:
            give(session, alice, bob, 30, on, f"Help number {i}", today=today)
    session.commit()


# The dashboard ------------------------------------------------------------------------


def test_dashboard_shows_this_year_and_the_months(client, session, people, today):
    alice, bob, carol, dave = people
    give(session, alice, bob, 90, today, "Weeding the front garden")
    give(session, carol, alice, 45, today, "Fixing a bicycle puncture")
    give(session, carol, dave, 435, today, "Not Alice's business")
    session.commit()
    sign_in(client, "alice@example.org")

    page = client.get(DASHBOARD).get_data(as_text=True)

    assert f"This year ({today.year})" in page
    assert "<dt>Time you gave</dt><dd>1 h 30 min</dd>" in page
    assert "<dt>Time you received</dt><dd>45 min</dd>" in page
    assert "7 h 15 min" not in page  # Carol's gift to Dave is not Alice's
    assert 'href="/members/network"' in page
    assert 'href="/members/statement"' in page
    # The chart and its table are on the statement page, with the statement.
    page = client.get("/members/statement").get_data(as_text=True)
    assert 'role="img"' in page and 'aria-labelledby="months-svg-title months-svg-desc"' in page
    assert "Show as a table" in page
    this_month = today.strftime("%B %Y")
    assert [this_month, "1 h 30 min", "45 min"] in table_rows(page)
    assert "7 h 15 min" not in page
    assert "/members/statement.csv?from=" in page


def test_the_dashboards_year_is_the_statements_year(session, people, today):
    """The dashboard sums this year in one row (year_figures); the statement page folds
    the last twelve months day by day (member_figures): the same year, whatever the
    day, with time given, received, gifts to the pot and grants from it on both sides."""
    from datetime import date

    from timebank.reports.member_figures import member_figures, year_figures

    alice, bob, carol, _ = people
    for days_ago in (0, 1, 40, 200, 370, 400, 800):
        on = today - timedelta(days=days_ago)
        give(session, alice, bob, 15 * (1 + days_ago % 7), on, today=today)
        give(session, carol, alice, 30 * (1 + days_ago % 5), on, today=today)
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=30, today=today)
    session.commit()
    for day in (
        today,
        date(today.year, 1, 1),
        today - timedelta(days=45),
        today - timedelta(days=380),
    ):
        months = member_figures(session, alice.account, today=day)
        year = year_figures(session, alice.account, today=day)
        assert (year.year, year.year_given, year.year_received) == (
            months.year,
            months.year_given,
            months.year_received,
        )
    assert year_figures(session, alice.account, today=today).year_given > 0


def test_dashboard_shows_the_five_latest_and_leads_to_the_whole_history(
    client, session, people, today
):
    alice, bob, _, _ = people
    for number in range(7):
        give(session, alice, bob, 15, today, f"Errand number {number}")
    session.commit()
    sign_in(client, "alice@example.org")
    page = client.get(DASHBOARD).get_data(as_text=True)
    shown = [n for n in range(7) if f"Errand number {n}<" in page]
    assert shown == [2, 3, 4, 5, 6]  # newest recorded first, five of them
    assert '<a href="/members/statement">See all my exchanges</a>' in page
    statement = client.get("/members/statement").get_data(as_text=True)
    assert all(f"Errand number {n}" in statement for n in range(7))


def test_dashboard_queries_do_not_grow_with_the_history(client, session, people, today):
    alice, bob, *_ = people
    history(session, alice, bob, 10, today)
    sign_in(client, "alice@example.org")
    client.get(DASHBOARD)  # anything done once per session happens here
    with_ten = queries_for(client, DASHBOARD)

    history(session, alice, bob, 990, today, start=10)
    with_a_thousand = queries_for(client, DASHBOARD)

    assert with_ten == with_a_thousand
    assert with_ten <= 12
    page = client.get(DASHBOARD).get_data(as_text=True)
    assert "Help number 999" in page or "Help number 998" in page


# The CSV statement --------------------------------------------------------------------


def rows_of(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a byte-order mark, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_statement_csv_has_my_exchanges_and_a_running_balance(client, session, people, today):
    alice, bob, carol, dave = people
    start = today.replace(month=1, day=1)
    give(session, alice, bob, 120, start - timedelta(days=1), "Last year's help")
    give(session, alice, bob, 90, start, "Weeding the front garden")
    give(session, carol, alice, 45, today, "Fixing a bicycle puncture")
    give(session, carol, dave, 600, today, "Carol helps Dave")
    session.commit()
    sign_in(client, "alice@example.org")

    rows = rows_of(client.get(STATEMENT))  # this year by default

    assert rows[0] == [
        "Date",
        "With whom",
        "What",
        "Category",
        "Time given (h)",
        "Time received (h)",
        "Other credits in or out (h)",
        "Running balance (h)",
    ]
    assert rows[1] == [start.isoformat(), "", "Balance at the start", "", "", "", "", "2.00"]
    body = rows[2:]
    assert body == [
        [start.isoformat(), "Bob Brennan", "Weeding the front garden", "", "1.50", "", "", "3.50"],
        [
            today.isoformat(),
            "Carol Cheung",
            "Fixing a bicycle puncture",
            "",
            "",
            "0.75",
            "",
            "2.75",
        ],
    ]
    assert "Carol helps Dave" not in str(rows)


def test_statement_csv_for_chosen_dates(client, session, people, today):
    alice, bob, *_ = people
    give(session, alice, bob, 60, today - timedelta(days=40), "Early", today=today)
    give(session, alice, bob, 30, today - timedelta(days=20), "Middle", today=today)
    give(session, bob, alice, 15, today - timedelta(days=1), "Late", today=today)
    session.commit()
    sign_in(client, "alice@example.org")
    start, end = today - timedelta(days=30), today - timedelta(days=10)

    response = client.get(f"{STATEMENT}?from={start.isoformat()}&to={end.isoformat()}")

    rows = rows_of(response)
    assert (
        f"{start.isoformat()}-to-{end.isoformat()}.csv" in response.headers["Content-Disposition"]
    )
    assert rows[1][2:] == ["Balance at the start", "", "", "", "", "1.00"]
    assert [r[2] for r in rows[2:]] == ["Middle"]
    assert rows[2][-1] == "1.50"


def test_statement_csv_cannot_carry_formulas(client, session, people, today):
    alice, bob, *_ = people
    for text in ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "Plain"]:
        give(session, alice, bob, 15, today, text)
    session.commit()
    sign_in(client, "alice@example.org")

    what = [row[2] for row in rows_of(client.get(STATEMENT))[2:]]

    assert what == [
        '\'=HYPERLINK("http://evil")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "Plain",
    ]


def test_cells_starting_with_a_tab_or_return_are_made_safe():
    # Descriptions are trimmed when recorded, but names and categories pass through here.
    assert safe_cell("\t=1+1") == "'\t=1+1"
    assert safe_cell("\r=1+1") == "'\r=1+1"
    assert safe_cell("Tea and a chat") == "Tea and a chat"
    assert safe_cell(None) == ""


def test_statement_names_are_made_safe_too(client, session, bank, people, today):
    alice = people[0]
    tricky = make_member(session, email="eq@example.org", name="=cmd|' /C calc'!A0", bank=bank)
    give(session, tricky, alice, 30, today, "A lift")
    session.commit()
    sign_in(client, "alice@example.org")

    rows = rows_of(client.get(STATEMENT))

    assert rows[2][1] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "Enter the date as day, month and year."),
        ("to=2025-13-01", "Enter the date as day, month and year."),
        ("from=2025-02-30", "Enter the date as day, month and year."),
        (
            "from=2025-06-01&to=2025-01-01",
            "The end date must be the same as or after the start date.",
        ),
    ],
)
@pytest.mark.parametrize("path", [STATEMENT, "/members/statement"])
def test_bad_dates_are_answered_at_the_field_and_kept(client, people, query, message, path):
    sign_in(client, "alice@example.org")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and message in page
    assert 'aria-invalid="true"' in page
    # What was typed is still in the form, to be put right.
    typed = query.split("&")[-1].split("=")[1]
    assert f'value="{typed}"' in page


def test_the_statement_page_shows_my_lines_with_the_balance_after_each(
    client, session, people, today
):
    alice, bob, *_ = people
    start = today.replace(month=1, day=1)
    give(session, alice, bob, 120, start - timedelta(days=1), "Last year's help")
    give(session, alice, bob, 90, start, "Weeding the front garden")
    session.commit()
    sign_in(client, "alice@example.org")

    page = client.get("/members/statement").get_data(as_text=True)

    rows = table_rows(page)
    assert [
        start.strftime("%-d %b %Y"),
        "Bob Brennan",
        "Weeding the front garden",
        "Gave 1 h 30 min",
        "3 h 30 min",
    ] in rows
    assert "Last year's help" not in page
    assert "<dt>Balance at the start</dt><dd>2 h</dd>" in page


def test_statement_and_network_need_sign_in(client):
    for path in (STATEMENT, NETWORK):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/sign-in" in response.headers["Location"]


def test_statement_is_always_my_own(client, session, people, today):
    """There is no way to ask for someone else's statement: extra parameters are ignored."""
    _alice, _bob, carol, dave = people
    give(session, carol, dave, 60, today, "Carol helps Dave")
    session.commit()
    sign_in(client, "alice@example.org")
    rows = rows_of(client.get(f"{STATEMENT}?account={dave.account.id}&member={dave.id}"))
    assert rows[2:] == []


def test_dashboard_and_statement_follow_the_readers_language(app, client, session, people, today):
    """Month names come from the locale; the CSV's headings and words follow the reader's
    language while its figures stay machine-readable (ISO dates, decimal hours with a
    dot), whatever the language."""
    alice, bob, *_ = people
    alice.person.preferred_locale = "cy"
    give(session, alice, bob, 90, today, "Weeding the front garden")
    give(session, bob, alice, 45, today)
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=15)
    session.commit()
    sign_in(client, "alice@example.org")

    page = client.get("/members/statement").get_data(as_text=True)

    this_month = today.replace(day=1)
    welsh_month = format_date(this_month, "LLLL y", locale="cy")
    rows = table_rows(page)
    assert [welsh_month, "1 awr 30 mun", "45 mun"] in rows
    assert f">{format_date(this_month, 'LLL', locale='cy')}</text>" in page
    assert today.strftime("%B %Y") not in page
    assert "1 h 30 min" not in page

    rows = rows_of(client.get(STATEMENT))

    with app.test_request_context("/"), force_locale("cy"):
        headings = [str(heading) for heading in HEADER]
        start_words = gettext("Balance at the start")
        pot = gettext("Community pot")
        donation = gettext("Donation to the pot")
        exchange = gettext("Exchange")
    assert rows[0] == headings
    assert rows[1][2] == start_words
    assert rows[1][-1] == "0.00"
    body = {(row[1], row[2], row[4], row[5], row[6]) for row in rows[2:]}
    # The donation is credits out, never time received.
    assert body == {
        ("Bob Brennan", "Weeding the front garden", "1.50", "", ""),
        ("Bob Brennan", exchange, "", "0.75", ""),
        (pot, donation, "", "", "-0.25"),
    }


# My network ---------------------------------------------------------------------------


def test_network_lists_people_and_organisations_and_the_pot_apart(
    client, session, bank, people, today
):
    alice, bob, carol, dave = people
    coordinator = CoordinatorFactory(bank=bank)
    health = OrganisationFactory(bank=bank, name="Community Health Team")
    give(session, alice, bob, 90, today)
    give(session, bob, alice, 30, today)
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=15)
    record_transfer(
        session,
        actor=coordinator,
        giver=health.account,
        receiver=alice.account,
        minutes=120,
        service_date=today,
    )
    give(session, carol, dave, 45, today, "Carol helps Dave")
    session.commit()
    sign_in(client, "alice@example.org")

    page = client.get(NETWORK).get_data(as_text=True)

    rows = table_rows(page)
    assert ["Bob Brennan", "1 h 30 min", "30 min", "2"] in rows
    assert "Community Health Team" in page and "Organisation</span>" in page
    # The pot moved credits, not time: it is named apart, never as someone I gave time.
    assert "Community pot" not in str(rows)
    assert "You donated 15 min to the community pot." in page
    assert "Carol Cheung" not in page and "Dave Dlamini" not in page
    assert 'role="img"' in page and 'viewBox="0 0 760 560"' in page
    assert ">Bob Brennan</text>" in page


def test_network_with_nobody_yet(client, people):
    sign_in(client, "alice@example.org")
    page = client.get(NETWORK).get_data(as_text=True)
    assert "You have not exchanged time with anyone yet" in page
    assert "<svg" not in page


def test_network_queries_do_not_grow_with_the_people(client, session, bank, people, today):
    alice, bob, *_ = people
    give(session, alice, bob, 30, today)
    session.commit()
    sign_in(client, "alice@example.org")
    client.get(NETWORK)
    with_one = queries_for(client, NETWORK)

    for n in range(20):
        other = make_member(session, email=f"n{n}@example.org", name=f"Neighbour {n}", bank=bank)
        give(session, other, alice, 15, today)
        give(session, alice, other, 15, today)
    session.commit()
    with_twenty_one = queries_for(client, NETWORK)

    assert with_one == with_twenty_one
    page = client.get(NETWORK).get_data(as_text=True)
    assert "Neighbour 19" in page
    assert "The picture shows the 12 you have exchanged the most time with" in page


# Pot entries read as what they were ----------------------------------------------------


def test_pot_entries_read_as_what_they_were_on_every_page(client, session, bank, people, today):
    """A donation is never time received nor a grant time given: the member's dashboard
    and the coordinators' lists each say what happened."""
    alice, bob, *_ = people
    coordinator = make_member(
        session, email="cora@example.org", name="Cora Coordinator", bank=bank, role=Role.COORDINATOR
    )
    give(session, alice, bob, 60, today)
    donation = donate_to_pot(session, actor=alice, donor=alice.account, minutes=15)
    grant = grant_from_pot(
        session, actor=coordinator, recipient=bob.account, minutes=15, reason="Unwell"
    )
    session.commit()

    sign_in(client, "alice@example.org")
    alice_rows = table_rows(client.get(DASHBOARD).get_data(as_text=True))
    assert any("Donated 15 min to the community pot" in cell for row in alice_rows for cell in row)
    assert not any("Received 15 min" in cell for row in alice_rows for cell in row)

    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    bob_rows = table_rows(client.get(DASHBOARD).get_data(as_text=True))
    assert any("Granted 15 min from the community pot" in cell for row in bob_rows for cell in row)
    assert not any("Gave 15 min" in cell for row in bob_rows for cell in row)

    client.post("/auth/sign-out")
    sign_in(client, "cora@example.org")
    posted = client.get("/coordinators/transfers").get_data(as_text=True)
    assert "Alice Ashdown donated to the community pot" in posted
    assert "Grant to Bob Brennan from the community pot" in posted
    detail = client.get(f"/coordinators/approvals/{donation.id}").get_data(as_text=True)
    assert "Alice Ashdown donated 15 min to the community pot" in detail
    detail = client.get(f"/coordinators/approvals/{grant.id}").get_data(as_text=True)
    assert "Bob Brennan was granted 15 min from the community pot" in detail


def test_the_statement_page_shows_a_new_entry_at_once_in_the_readers_language(
    client, session, people, today
):
    """The statement's rows and months chart are kept by the values they show
    (timebank/kept_parts.py): an entry posted since, another member's statement, the
    other language and a name changed each draw what they should, never what was kept."""
    from timebank.kept_parts import forget_all

    alice, bob, *_ = people
    give(session, alice, bob, 90, today, "Weeding the front garden")
    session.commit()
    sign_in(client, "alice@example.org")
    first = page_without_tokens(client, "/members/statement")
    assert page_without_tokens(client, "/members/statement") == first
    assert "Weeding the front garden" in first and "Mending a fence" not in first
    this_month = today.strftime("%B %Y")
    assert [this_month, "1 h 30 min", "0 min"] in table_rows(first)

    give(session, bob, alice, 45, today, "Mending a fence")
    session.commit()
    after = page_without_tokens(client, "/members/statement")
    assert "Mending a fence" in after
    assert [this_month, "1 h 30 min", "45 min"] in table_rows(after)

    bob.person.display_name = "Robert Brennan"  # the same entries, a name changed
    session.commit()
    renamed = page_without_tokens(client, "/members/statement")
    assert "Robert Brennan" in renamed and "Bob Brennan" not in renamed

    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page_without_tokens(client, "/members/statement")
    with force_locale("cy"):
        assert f'data-label="{gettext("Balance after")}"' in welsh
        assert f">{gettext('Show as a table')}</summary>" in welsh
    assert 'data-label="Balance after"' not in welsh
    forget_all()
    assert page_without_tokens(client, "/members/statement") == welsh

    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    bobs = page_without_tokens(client, "/members/statement")
    assert "Alice Ashdown" in bobs and "Robert Brennan" not in bobs
