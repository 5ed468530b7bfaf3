"""The coordinators' overview (issue 10 item 14): a coordinator lands there after
signing in, and it shows the bank: what waits (entries, applications), this month's
time against last month's, and who has only received lately or gone quiet."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import location_path, make_member, page_without_tokens, sign_in
from timebank.ledger.models import MembershipStatus, Role
from timebank.ledger.transfers import confirm_transfer, record_transfer, reverse_transfer

TODAY = bank_today()
LAST_MONTH_DAY = TODAY.replace(day=1) - timedelta(days=3)


def text(response) -> str:
    return re.sub(
        r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    )


@pytest.fixture
def riverside(session):
    bank = TimeBankFactory(name="Riverside Time Bank", floor_minutes=-1200, max_backdate_days=400)
    coordinator = make_member(
        session, email="cora@example.org", name="Cora Coordinator", bank=bank, role=Role.COORDINATOR
    )
    names = ("Alice Ashdown", "Bob Brennan", "Carol Cheung", "Dev Quietly")
    people = {
        name.split()[0].lower(): make_member(
            session, email=f"{name.split()[0].lower()}@example.org", name=name, bank=bank
        )
        for name in names
    }
    applicant = make_member(
        session,
        email="ellen@example.org",
        name="Ellen Applicant",
        bank=bank,
        status=MembershipStatus.APPLIED,
    )
    applicant.joined_at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC).replace(tzinfo=None)

    def posted(giver, receiver, minutes, day):
        record_transfer(
            session,
            actor=coordinator,
            giver=people[giver].account,
            receiver=people[receiver].account,
            minutes=minutes,
            service_date=day,
            today=day,
        )

    posted("alice", "bob", 120, TODAY)  # this month: 2 h, one exchange, two people
    posted("alice", "bob", 60, LAST_MONTH_DAY)  # last month: 1 h 30 min in two
    posted("carol", "alice", 30, LAST_MONTH_DAY)
    posted("dev", "carol", 45, TODAY - timedelta(days=150))  # Dev: quiet since then
    # Waiting for approval, recorded ten days ago.
    waiting = record_transfer(
        session,
        actor=people["bob"],
        giver=people["bob"].account,
        receiver=people["carol"].account,
        minutes=60,
        service_date=TODAY,
    )
    confirm_transfer(session, actor=people["carol"], transfer_id=waiting.id)
    waiting.recorded_at = datetime.combine(TODAY - timedelta(days=10), datetime.min.time())
    session.commit()
    return {"bank": bank, "coordinator": coordinator, **people}


def test_a_coordinator_lands_on_the_overview_and_a_member_on_my_time(client, riverside):
    response = sign_in(client, "cora@example.org")
    assert location_path(response) == "/coordinators/"
    assert location_path(client.get("/")) == "/coordinators/"
    assert location_path(client.get("/auth/sign-in")) == "/coordinators/"
    client.post("/auth/sign-out")

    response = sign_in(client, "alice@example.org")
    assert location_path(response) == "/members/"
    assert location_path(client.get("/")) == "/members/"
    # A coordinator still reaches their own page, and another page asked for first.
    client.post("/auth/sign-out")
    response = sign_in(client, "cora@example.org", query_string={"next": "/members/"})
    assert location_path(response) == "/members/"


def test_the_overview_shows_what_waits_this_months_time_and_who_needs_a_call(client, riverside):
    sign_in(client, "cora@example.org")
    page = text(client.get("/coordinators/"))
    ten_days_ago = TODAY - timedelta(days=10)

    assert "Entries to approve 1" in page
    assert f"The oldest has waited since {ten_days_ago.day} " in page
    assert "Applications to join 1" in page
    assert "Ellen Applicant : applied 5 January 2026" in page

    # This month's time against last month's, from the same figures as the report.
    assert re.search(r"Hours exchanged 2 h 1 h 30 min", page), page
    assert re.search(r"Exchanges 1 2 ", page)
    assert re.search(r"Members who gave or received time 2 3 ", page)

    # Bob has only received in the last three months; Dev has gone quiet.
    only_received = page[page.index("Only received time") : page.index("Gone quiet")]
    assert "Bob Brennan : received 3 h" in only_received
    assert "Alice" not in only_received and "Carol" not in only_received
    quiet = page[page.index("Gone quiet") : page.index("to grant to members")]
    assert "Dev Quietly" in quiet and "Alice" not in quiet


def test_the_overview_is_for_coordinators_only(client, riverside):
    sign_in(client, "alice@example.org")
    assert client.get("/coordinators/").status_code == 403


def test_the_overview_counts_as_the_coordinators_report_does(session, riverside):
    """The overview reads the report's facts without the network: its figures and names
    are the Report page's for the same periods."""
    from timebank.reports.coordinator_overview import (
        last_month,
        lately,
        month_time,
        people_to_call,
        this_month,
    )
    from timebank.reports.reciprocity import Audience, BankSelection, build_report

    bank = riverside["bank"]
    for period in (this_month(TODAY), last_month(TODAY)):
        report = build_report(session, BankSelection.one(bank.id), period, Audience.COORDINATOR)
        found = month_time(session, bank.id, period)
        assert found.minutes == report.headline.hours.value
        assert found.exchanges == report.headline.exchanges.value
        assert found.active == report.headline.active.value
    recent = lately(TODAY)
    report = build_report(session, BankSelection.one(bank.id), recent, Audience.COORDINATOR)
    lists = people_to_call(session, bank.id, recent)
    assert lists.only_received == report.coordinator.only_received
    assert lists.quiet == report.coordinator.quiet
    assert [m.name for m in lists.quiet] == ["Dev Quietly"]
    assert lists.brokers == () and lists.never_given == ()  # not shown, not read


def test_gone_quiet_reads_the_last_exchange_that_is_time_as_the_report_does(session, riverside):
    """The overview finds each member's last exchange by index probes (newest entry
    first); an entry reversed, one still waiting, a donation, and one dated after the
    period do not count, exactly as in the report."""
    from timebank.ledger.pot import donate_to_pot
    from timebank.reports.coordinator_overview import lately, people_to_call
    from timebank.reports.reciprocity import Audience, BankSelection, build_report

    bank, dev, carol = riverside["bank"], riverside["dev"], riverside["carol"]
    cora = riverside["coordinator"]
    later = record_transfer(
        session,
        actor=cora,
        giver=dev.account,
        receiver=carol.account,
        minutes=30,
        service_date=TODAY - timedelta(days=120),
        today=TODAY - timedelta(days=120),
    )
    reverse_transfer(session, actor=cora, transfer_id=later.id, reason="Recorded twice")
    record_transfer(  # waits for Carol to confirm
        session,
        actor=dev,
        giver=dev.account,
        receiver=carol.account,
        minutes=30,
        service_date=TODAY - timedelta(days=100),
    )
    donate_to_pot(session, actor=cora, donor=dev.account, minutes=15)
    session.commit()
    recent = lately(TODAY)
    report = build_report(session, BankSelection.one(bank.id), recent, Audience.COORDINATOR)
    lists = people_to_call(session, bank.id, recent)
    assert lists.quiet == report.coordinator.quiet
    assert [(m.name, m.last_exchange) for m in lists.quiet] == [
        ("Dev Quietly", TODAY - timedelta(days=150))
    ]
    # A period that ended before Dev's exchange: nobody had gone quiet then.
    earlier = lately(TODAY - timedelta(days=151))
    report = build_report(session, BankSelection.one(bank.id), earlier, Audience.COORDINATOR)
    assert people_to_call(session, bank.id, earlier).quiet == report.coordinator.quiet


def test_the_overview_keeps_its_figures_until_the_bank_changes(client, session, riverside):
    """The second view reads the figures from the report cache (no period queries);
    an exchange posted since makes the next view work them out again."""
    from tests.reports.test_statements import count_queries

    sign_in(client, "cora@example.org")
    first = text(client.get("/coordinators/"))
    with count_queries(session.get_bind()) as again:
        second = text(client.get("/coordinators/"))
    assert second == first
    assert not any("sum(" in statement for statement in again)
    record_transfer(
        session,
        actor=riverside["coordinator"],
        giver=riverside["bob"].account,
        receiver=riverside["alice"].account,
        minutes=60,
        service_date=TODAY,
    )
    session.commit()
    after = text(client.get("/coordinators/"))
    assert "Bob Brennan : received" not in after  # Bob has given now
    assert after != first


def test_the_overview_is_drawn_afresh_for_a_posting_a_waiting_entry_and_the_language(
    client, session, riverside
):
    """The month figures and the people to call are kept by the figures and the day
    (timebank/kept_parts.py); what waits and the pot are read on every view. Each shows
    a change at once, and Welsh after English."""
    from flask_babel import force_locale, gettext

    from timebank.kept_parts import forget_all

    sign_in(client, "cora@example.org")
    first = text(client.get("/coordinators/"))
    assert text(client.get("/coordinators/")) == first
    assert "Entries to approve 1" in first
    record_transfer(  # waits for approval: the figures are the same
        session,
        actor=riverside["alice"],
        giver=riverside["alice"].account,
        receiver=riverside["carol"].account,
        minutes=30,
        service_date=TODAY,
    )
    session.commit()
    waiting = text(client.get("/coordinators/"))
    assert "Entries to approve 2" in waiting
    assert re.search(r"Hours exchanged 2 h 1 h 30 min", waiting)
    record_transfer(
        session,
        actor=riverside["coordinator"],
        giver=riverside["carol"].account,
        receiver=riverside["dev"].account,
        minutes=60,
        service_date=TODAY,
    )
    session.commit()
    posted = text(client.get("/coordinators/"))
    assert re.search(r"Hours exchanged 3 h 1 h 30 min", posted), posted
    quiet = posted[posted.index("Gone quiet") : posted.index("to grant to members")]
    assert "Dev Quietly" not in quiet

    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page_without_tokens(client, "/coordinators/")
    with force_locale("cy"):
        assert gettext("Time exchanged this month") in welsh
        assert gettext("People who may need a call") in welsh
    assert "Time exchanged this month" not in welsh
    forget_all()
    assert page_without_tokens(client, "/coordinators/") == welsh
