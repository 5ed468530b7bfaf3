"""The partners' report pages and downloads through the real app: what a partner reads
(aggregates, each with its meaning, suppressed numbers in words), what they never read
(names, members' words), the period chooser answered at the field, every view and
download in each bank's audit log (and in plain words on the coordinators' audit page),
and the coordinators' version with names."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import OrganisationFactory, TimeBankFactory, bank_today
from tests.web.support import make_member, page_without_tokens, sign_in
from timebank.ledger.banks import add_membership
from timebank.ledger.models import AuditEntry, MemberKind, Role
from timebank.ledger.transfers import record_transfer
from timebank.report_views.kept_body import forget_all
from timebank.report_views.periods import LAST_12_MONTHS, resolve
from timebank.reports.reciprocity import Period

TODAY = bank_today()
SECRET_WORDS = "Secret description of a visit"


def build_bank(session, slug: str, name: str, people: int, prefix: str):
    """A bank with a coordinator, ``people`` consenting members (every third a
    professional) and an organisation, where each member gives an hour to the next and
    two hours back to the one before: every tie returned."""
    bank = TimeBankFactory(slug=slug, name=name)
    coordinator = make_member(
        session,
        email=f"coord-{slug}@example.org",
        name=f"Cora {prefix}",
        bank=bank,
        role=Role.COORDINATOR,
    )
    members = [
        make_member(
            session,
            email=f"{prefix.lower()}{i}@example.org",
            name=f"{prefix}person Number{i}",
            bank=bank,
            kind=MemberKind.PROFESSIONAL if i % 3 == 0 else MemberKind.PARTICIPANT,
        )
        for i in range(people)
    ]
    organisation = OrganisationFactory(bank=bank, name=f"{prefix} Health Team")
    day = TODAY - timedelta(days=20)
    for i, giver in enumerate(members):
        receiver = members[(i + 1) % len(members)]
        for minutes in (60, 120):
            record_transfer(
                session,
                actor=coordinator,
                giver=giver.account,
                receiver=receiver.account,
                minutes=minutes,
                service_date=day,
                description=SECRET_WORDS,
                category="care",
            )
            giver, receiver = receiver, giver
    record_transfer(
        session,
        actor=coordinator,
        giver=organisation.account,
        receiver=members[0].account,
        minutes=60,
        service_date=day,
        category="learning",
    )
    session.commit()
    return bank, coordinator, members


@pytest.fixture
def world(session):
    bank_a, coord_a, members_a = build_bank(session, "bank-a", "Bank A", 9, "Alpha")
    bank_b, _, members_b = build_bank(session, "bank-b", "Bank B", 6, "Beta")
    # A tiny bank: every breakdown describes fewer than five people.
    bank_c, _, members_c = build_bank(session, "bank-c", "Bank C", 3, "Gamma")
    council = make_member(
        session, email="council@example.org", name="Cara Council", bank=bank_a, role=Role.PARTNER
    )
    for bank in (bank_b, bank_c):
        add_membership(session, actor=None, bank=bank, person=council.person, role=Role.PARTNER)
    session.commit()
    names = [m.person.display_name for m in members_a + members_b + members_c]
    return {
        "banks": {"a": bank_a.id, "b": bank_b.id, "c": bank_c.id},
        "names": names,
        "coordinator": coord_a,
        "members_a": members_a,
    }


def report_entries(session, bank_id: int) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.time_bank_id == bank_id, AuditEntry.action.like("report.%"))
            .order_by(AuditEntry.seq)
        )
    )


def assert_no_names(text: str, world) -> None:
    for name in world["names"]:
        assert name not in text, name
    assert SECRET_WORDS not in text


# The list and the pages ---------------------------------------------------------------


def test_the_partners_list_opens_each_bank_and_all_combined(client, world):
    sign_in(client, "council@example.org")
    html = client.get("/partners/").get_data(as_text=True)
    for slug in ("bank-a", "bank-b", "bank-c"):
        assert f"/partners/banks/{slug}/report?period=last-12-months" in html
    assert "/partners/all-banks/report?period=last-12-months" in html
    assert "All 3 time banks combined" in html


def test_a_partners_report_shows_aggregates_with_their_meanings_and_no_names(
    client, session, world
):
    sign_in(client, "council@example.org")
    response = client.get("/partners/banks/bank-a/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in (
        "In short",
        "Headline figures",
        "Mutuality",
        "Shared roles",
        "Assets",
        "Core economy",
        "Community pot",
        "Month by month",
    ):
        assert f">{heading}<" in html, heading
    assert "Hours exchanged" in html and "Two-way rate" in html
    # Each figure carries its sentence of meaning, and the core economy says what it is.
    assert "help as a two-way street" in html
    assert "a replacement cost, not a social return" in html
    assert "Replacement cost at £12.60 an hour" in html
    period = Period.last_months(TODAY, 12)
    assert f"{period.start.day} " in html and str(period.end.year) in html
    assert_no_names(html, world)
    # Every chart has its table.
    assert html.count('class="chart-table"') >= 8


def test_a_small_bank_shows_suppressed_numbers_in_words_not_as_zero(client, world):
    sign_in(client, "council@example.org")
    html = client.get("/partners/banks/bank-c/report").get_data(as_text=True)
    assert "Fewer than 5 people: not shown to protect privacy" in html
    two_way = html.split("Two-way rate", 1)[1].split("</li>", 1)[0]
    assert "not shown" in two_way.lower() and ">0%<" not in two_way


def test_the_combined_report_covers_every_bank(client, world):
    sign_in(client, "council@example.org")
    html = client.get("/partners/all-banks/report").get_data(as_text=True)
    assert "3 time banks combined" in html
    assert "Bank A, Bank B, Bank C" in html
    assert_no_names(html, world)


def test_the_network_view_for_a_partner_has_no_labels_and_a_text_alternative(client, world):
    sign_in(client, "council@example.org")
    html = client.get("/partners/banks/bank-a/network").get_data(as_text=True)
    data = json.loads(
        re.search(
            r'<script type="application/json" id="network-graph-data">(.*?)</script>', html, re.S
        )
        .group(1)
        .replace("\\u003c", "<")
    )
    assert data["pseudonymised"] is True
    assert data["nodes"] and data["edges"]
    assert all("label" not in node["data"] for node in data["nodes"])
    assert not any(re.fullmatch(r"a\d+", node["data"]["id"]) for node in data["nodes"])
    assert any(edge["data"]["reciprocated"] for edge in data["edges"])
    # The same structure as a table, with people by kind and number only.
    assert "Ties in the network, heaviest first" in html
    assert re.search(r"(Participant|Professional|Member) 1<", html)
    assert_no_names(html, world)
    # The picture's script comes from /static, never inline.
    assert '<script src="/static/vendor/cytoscape.min.js"' in html
    assert '<script src="/static/js/network-graph.js"' in html
    assert "<script>" not in html


def test_pseudonyms_change_from_one_view_to_the_next(client, world):
    sign_in(client, "council@example.org")

    def ids():
        html = client.get("/partners/banks/bank-a/network").get_data(as_text=True)
        return set(re.findall(r'"id": ?"([^"]+)", ?"kind"', html))

    first, second = ids(), ids()
    assert first and second and first.isdisjoint(second)


def test_a_small_bank_has_no_network_picture(client, world):
    sign_in(client, "council@example.org")
    html = client.get("/partners/banks/bank-c/network").get_data(as_text=True)
    assert "The picture is not drawn" in html
    assert "network-graph-data" not in html


# The period chooser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("period=custom&start=2025-06-01&end=2025-05-01", "end", "same as or after the first day"),
        ("period=custom&start=&end=2025-05-01", "start", "Enter the first day"),
        ("period=custom&start=2025-02-30&end=2025-05-01", "start", "Not a valid date"),
        (
            f"period=custom&start={(TODAY + timedelta(days=3)).isoformat()}&end="
            f"{(TODAY + timedelta(days=9)).isoformat()}",
            "start",
            "cannot be in the future",
        ),
        ("period=custom&start=1999-01-01&end=2025-05-01", "start", "from 2000 onwards"),
        ("period=next-year", "period", "Not a valid choice"),
    ],
)
def test_bad_dates_are_answered_at_the_field_and_nothing_is_read(
    client, session, world, query, field, message
):
    sign_in(client, "council@example.org")
    before = report_entries(session, world["banks"]["a"])
    response = client.get(f"/partners/banks/bank-a/report?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html or (field == "period" and "error-summary" in html)
    assert message.lower() in html.lower()
    assert "Headline figures" not in html
    assert report_entries(session, world["banks"]["a"]) == before
    for download in ("report.csv", "report.pdf"):
        assert client.get(f"/partners/banks/bank-a/{download}?{query}").status_code == 400


@pytest.mark.parametrize(
    ("choice", "start", "end"),
    [
        ("this-quarter", date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1), TODAY),
        ("last-12-months", Period.last_months(TODAY, 12).start, TODAY),
    ],
)
def test_each_choice_of_period(client, session, world, choice, start, end):
    sign_in(client, "council@example.org")
    assert client.get(f"/partners/banks/bank-a/report?period={choice}").status_code == 200
    entry = report_entries(session, world["banks"]["a"])[-1]
    after = json.loads(entry.after)
    assert after["date_from"] == start.isoformat() and after["date_to"] == end.isoformat()


def test_a_custom_period_is_kept_in_every_link(client, world):
    sign_in(client, "council@example.org")
    html = client.get(
        "/partners/banks/bank-a/report?period=custom&start=2026-01-01&end=2026-03-31"
    ).get_data(as_text=True)
    assert html.count("period=custom&amp;start=2026-01-01&amp;end=2026-03-31") >= 3


# The audit log ------------------------------------------------------------------------


def test_every_view_and_download_is_in_each_banks_audit_log(client, session, world):
    sign_in(client, "council@example.org")
    a, b = world["banks"]["a"], world["banks"]["b"]
    client.get("/partners/banks/bank-a/report")
    client.get("/partners/banks/bank-a/network")
    client.get("/partners/banks/bank-a/report.csv")
    client.get("/partners/banks/bank-a/report.pdf")
    client.get("/partners/all-banks/report")
    entries_a = report_entries(session, a)
    assert [e.action for e in entries_a] == [
        "report.viewed",
        "report.viewed",
        "report.downloaded",
        "report.downloaded",
        "report.viewed",
    ]
    assert [e.actor_id is not None for e in entries_a] == [True] * 5
    entries_b = report_entries(session, b)
    assert [e.action for e in entries_b] == ["report.viewed"]


def test_the_coordinators_audit_page_says_it_in_plain_words(client, session, world):
    sign_in(client, "council@example.org")
    client.get("/partners/banks/bank-a/report?period=custom&start=2026-01-01&end=2026-03-31")
    client.get("/partners/all-banks/report.pdf?period=custom&start=2026-01-01&end=2026-03-31")
    client.post("/auth/sign-out")
    sign_in(client, "coord-bank-a@example.org")
    html = client.get("/coordinators/audit?kind=report").get_data(as_text=True)
    assert "Cara Council" in html
    assert "Read the partners&#39; report for 1 Jan 2026 to 31 Mar 2026" in html
    assert (
        "Downloaded the partners&#39; report for 1 Jan 2026 to 31 Mar 2026 as PDF"
        " (one report over 3 time banks)" in html
    )


# Downloads ---------------------------------------------------------------------------


def test_the_csv_carries_the_period_the_banks_the_definitions_and_no_names(client, world):
    sign_in(client, "council@example.org")
    response = client.get(
        "/partners/all-banks/report.csv?period=custom&start=2026-01-01&end=2026-12-31"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        'filename="combined-reciprocity-2026-01-01-to-2026-12-31.csv"'
        in response.headers["Content-Disposition"]
    )
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert "2026-01-01" in text and "2026-12-31" in text
    assert "Bank A" in text and "Bank B" in text and "Bank C" in text
    assert "help as a two-way street" in text
    assert "Made" in text
    assert_no_names(text, world)


def test_the_pdf_is_a_pdf_and_its_page_carries_everything(app, client, world):
    sign_in(client, "council@example.org")
    response = client.get("/partners/banks/bank-c/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert len(response.data) > 5000
    assert 'filename="bank-c-reciprocity-' in response.headers["Content-Disposition"]


def test_the_print_page_behind_the_pdf(app, session, world):
    from timebank.report_views.downloads import render_print
    from timebank.reports.reciprocity import Audience, BankSelection, build_report

    report = build_report(
        session,
        BankSelection((world["banks"]["a"], world["banks"]["c"])),
        Period(date(2026, 1, 1), date(2026, 12, 31)),
        Audience.PARTNER,
    )
    with app.test_request_context("/"):
        html = render_print(report)
    assert "1 January 2026 to 31 December 2026" in html
    assert "Bank A, Bank C" in html
    assert "Privacy threshold" in html and "What it means" in html
    assert "help as a two-way street" in html
    assert "Fewer than 5 people: not shown to protect privacy" in html
    assert "Made on" in html
    assert_no_names(html, world)


# The coordinators' version -------------------------------------------------------------


NAME_CELL = r'<th scope="row" role="rowheader"><a href="[^"]+">([^<]+)</a>'


def test_each_list_of_names_shows_the_first_ones_and_points_to_the_csv_for_everyone(
    app, client, world
):
    """A big bank's "never given" list runs to thousands of names: the page shows the
    first ones of each list and says how many there are; the CSV has everyone."""
    sign_in(client, "coord-bank-a@example.org")
    html = client.get("/coordinators/report").get_data(as_text=True)
    assert "are shown." not in html  # a small bank: every name on the page
    lists = {
        key: re.findall(NAME_CELL, re.search(rf'id="{key}-title".*?</table>', html, re.S).group(0))
        for key in ("only-received", "never-given", "quiet")
        if re.search(rf'id="{key}-title".*?</table>', html, re.S)
    }
    key, everyone = max(lists.items(), key=lambda item: len(item[1]))
    assert len(everyone) >= 2

    app.config["REPORT_NAMES_SHOWN"] = 1
    html = client.get("/coordinators/report").get_data(as_text=True)
    part = re.search(rf'id="{key}-title".*?</div>\s*<p>(.*?)</p>', html, re.S)
    assert re.findall(NAME_CELL, part.group(0)) == everyone[:1]
    assert f"The first 1 of {len(everyone)} are shown." in part.group(1)
    assert 'href="/coordinators/report.csv?' in part.group(1)
    csv = client.get("/coordinators/report.csv").get_data(as_text=True)
    assert all(name in csv for name in everyone)


def test_the_coordinators_report_has_names_and_their_navigation_links_it(client, session, world):
    sign_in(client, "coord-bank-a@example.org")
    html = client.get("/coordinators/").get_data(as_text=True)
    assert 'href="/coordinators/report"' in html
    html = client.get("/coordinators/report").get_data(as_text=True)
    assert "People to get in touch with" in html
    assert "Brokers" in html and "Have never given time" in html
    network = client.get("/coordinators/report/network").get_data(as_text=True)
    data = json.loads(re.search(r'id="network-graph-data">(.*?)</script>', network, re.S).group(1))
    labels = {node["data"].get("label") for node in data["nodes"]}
    assert world["members_a"][0].person.display_name in labels
    assert any("broker" in node["data"] for node in data["nodes"])
    # Reading is not logged for coordinators; downloads are.
    assert report_entries(session, world["banks"]["a"]) == []
    csv = client.get("/coordinators/report.csv")
    assert csv.status_code == 200 and world["members_a"][0].person.display_name in csv.get_data(
        as_text=True
    )
    assert client.get("/coordinators/report.pdf").data.startswith(b"%PDF-")
    assert [e.action for e in report_entries(session, world["banks"]["a"])] == [
        "report.downloaded",
        "report.downloaded",
    ]


def _ties(html: str) -> list[str]:
    table = re.search(
        r'<caption id="ties-caption">.*?<tbody role="rowgroup">(.*?)</tbody>', html, re.S
    )
    return re.findall(r'<tr role="row">.*?</tr>', table.group(1))


def test_the_coordinators_network_picture_follows_the_ledger_and_the_language(
    client, session, world
):
    # The network body (the picture's data and its table) is kept per cached report and
    # language (report_views/kept_body.py): a new exchange makes a new report, and so a
    # new body.
    sign_in(client, "coord-bank-a@example.org")
    members = world["members_a"]
    before = client.get("/coordinators/report/network").get_data(as_text=True)
    assert page_without_tokens(client, "/coordinators/report/network") == page_without_tokens(
        client, "/coordinators/report/network"
    )
    giver, receiver = members[0].person.display_name, members[1].person.display_name

    def tie(html: str) -> list[str]:
        return [row for row in _ties(html) if f">{giver}</th>" in row and receiver in row]

    assert len(tie(before)) == 1 and ">1 h</td>" in tie(before)[0]
    # More time on a tie that was there: the same people, the same brokers.
    record_transfer(
        session,
        actor=world["coordinator"],
        giver=members[0].account,
        receiver=members[1].account,
        minutes=45,
        service_date=TODAY - timedelta(days=2),
        category="care",
    )
    session.commit()
    after = client.get("/coordinators/report/network").get_data(as_text=True)
    assert len(_ties(after)) == len(_ties(before))
    assert len(tie(after)) == 1 and ">1 h 45 min</td>" in tie(after)[0]
    data = json.loads(re.search(r'id="network-graph-data">(.*?)</script>', after, re.S).group(1))
    assert 105 in [edge["data"]["weight"] * 60 for edge in data["edges"]]
    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = client.get("/coordinators/report/network").get_data(as_text=True)
    assert 'data-label="Cafwyd"' in _ties(welsh)[0] and "Received" not in _ties(welsh)[0]
    assert len(_ties(welsh)) == len(_ties(after))


def _section(html: str, key: str) -> str:
    return re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)


def _headline_before_and_after_a_posting(client, session, world, path: str):
    """The report page before and after a posting of 45 min: the same page on a second
    view, and the new time in the headline at once."""
    members = world["members_a"]
    before = page_without_tokens(client, path)
    assert page_without_tokens(client, path) == before
    hours_before = re.search(r'<p class="figure">([^<]*)</p>', _section(before, "headline"))
    record_transfer(
        session,
        actor=world["coordinator"],
        giver=members[0].account,
        receiver=members[1].account,
        minutes=45,
        service_date=TODAY - timedelta(days=2),
        category="care",
    )
    session.commit()
    after = page_without_tokens(client, path)
    hours_after = re.search(r'<p class="figure">([^<]*)</p>', _section(after, "headline"))
    assert "45 min" in hours_after.group(1) and "45 min" not in hours_before.group(1)
    return before, after


def test_the_coordinators_report_follows_the_ledger_the_language_and_the_period(
    app, client, session, world
):
    # The report's body is kept per cached report, language and period query
    # (report_views/kept_body.py): a new posting makes a new report, so it shows at once.
    sign_in(client, "coord-bank-a@example.org")
    before, _ = _headline_before_and_after_a_posting(client, session, world, "/coordinators/report")
    assert "Up 45 min" not in before

    # The same dates asked for as a custom period: the same cached report, but the
    # body's own link to the CSV asks for them as they were asked for.
    app.config["REPORT_NAMES_SHOWN"] = 1
    default = page_without_tokens(client, "/coordinators/report")
    people = _section(default, "people")
    assert 'href="/coordinators/report.csv?period=last-12-months"' in people
    chosen = resolve(LAST_12_MONTHS, TODAY)
    query = f"period=custom&start={chosen.start.isoformat()}&end={chosen.end.isoformat()}"
    custom = page_without_tokens(client, f"/coordinators/report?{query}")
    people = _section(custom, "people")
    assert f'href="/coordinators/report.csv?{query.replace("&", "&amp;")}"' in people
    assert "period=last-12-months" not in people

    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page_without_tokens(client, "/coordinators/report")
    assert ">Y prif ffigurau</h2>" in welsh and "Headline figures" not in welsh
    # ... and what is kept is what would be drawn afresh.
    forget_all()
    assert page_without_tokens(client, "/coordinators/report") == welsh


@pytest.mark.both_engines
def test_a_coordinators_report_page_read_again_writes_nothing(client, session, world):
    """The first view builds the report and stores it; views after it read the cached
    report without a write transaction (no BEGIN IMMEDIATE on SQLite) and write
    nothing."""
    from tests.reports.test_statements import count_queries

    sign_in(client, "coord-bank-a@example.org")
    for path in ("/coordinators/report", "/coordinators/report/network", "/coordinators/"):
        client.get(path)
        session.rollback()  # the tests' requests share one session
        with count_queries(session.get_bind()) as statements:
            assert client.get(path).status_code == 200
        session.rollback()
        writes = [
            s
            for s in statements
            if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE"))
        ]
        assert writes == [], (path, writes)


def test_a_partners_report_follows_the_ledger_and_the_language_and_every_view_is_recorded(
    client, session, world
):
    # The partners' report body is kept per cached report it was finished from, language
    # and period (report_views/kept_body.py); each view is still in the audit log.
    sign_in(client, "council@example.org")
    path = "/partners/banks/bank-a/report"
    _, after = _headline_before_and_after_a_posting(client, session, world, path)
    assert_no_names(after, world)
    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page_without_tokens(client, path)
    assert ">Y prif ffigurau</h2>" in welsh and "Headline figures" not in welsh
    forget_all()
    assert page_without_tokens(client, path) == welsh
    views = [e for e in report_entries(session, world["banks"]["a"]) if e.action == "report.viewed"]
    assert len(views) == 5


def test_a_partners_network_measures_follow_the_ledger_and_the_language(client, session, world):
    # The measures and quarters under a partner's picture are kept per cached report
    # (report_views/kept_body.py); the picture has new pseudonyms on every view.
    sign_in(client, "council@example.org")
    path = "/partners/banks/bank-a/network"

    def sections(html: str) -> str:
        return _section(html, "measures") + _section(html, "quarters")

    first = client.get(path).get_data(as_text=True)
    again = client.get(path).get_data(as_text=True)
    assert sections(again) == sections(first)
    assert _section(again, "picture") != _section(first, "picture")  # new pseudonyms
    members = world["members_a"]
    # The tie the world has from the first member to the second, now returned.
    record_transfer(
        session,
        actor=world["coordinator"],
        giver=members[1].account,
        receiver=members[0].account,
        minutes=45,
        service_date=TODAY - timedelta(days=2),
        category="care",
    )
    session.commit()
    after = client.get(path).get_data(as_text=True)
    assert sections(after) != sections(first)
    forget_all()
    assert sections(client.get(path).get_data(as_text=True)) == sections(after)
    assert_no_names(after, world)
    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = sections(client.get(path).get_data(as_text=True))
    assert "How the web is knit" in sections(after) and "How the web is knit" not in welsh
    views = [e for e in report_entries(session, world["banks"]["a"]) if e.action == "report.viewed"]
    assert len(views) == 5
