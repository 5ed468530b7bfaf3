"""The audit log page through the real app: plain-language rows newest first, filters by
who, whom, kind and date, pages of 50, a readable before/after, whether the hash chain
verifies, and a fixed number of queries per page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.factories import TimeBankFactory
from tests.ledger.test_verify import tamper
from tests.web.support import make_member, sign_in
from timebank.community.listings import post_listing
from timebank.extensions import db
from timebank.ledger import audit as audit_module
from timebank.ledger import clock
from timebank.ledger.banks import update_policy
from timebank.ledger.clock import utcnow
from timebank.ledger.models import AuditEntry, Person, Role
from timebank.ledger.transfers import approve_transfer, record_transfer, reject_transfer
from timebank.reports.audit_chain_check import RECHECK_WHOLE_AFTER

AUDIT = "/coordinators/audit"


@pytest.fixture
def bank(session):
    """Riverside: Cora coordinates; Ann gives Bob 1 h 30 min (approved) and Carol offers
    Bob 45 min (rejected). Hillside is another bank with its own log."""
    riverside = TimeBankFactory(slug="riverside", name="Riverside Time Bank")
    update_policy(session, actor=None, bank=riverside, requires_confirmation=False)
    cora = make_member(
        session,
        email="cora@example.org",
        name="Cora Coordinator",
        bank=riverside,
        role=Role.COORDINATOR,
    )
    ann = make_member(session, email="ann@example.org", name="Ann Archer", bank=riverside)
    bob = make_member(session, email="bob@example.org", name="Bob Baker", bank=riverside)
    carol = make_member(session, email="carol@example.org", name="Carol Cole", bank=riverside)
    first = record_transfer(
        session,
        actor=ann,
        giver=ann.account,
        receiver=bob.account,
        minutes=90,
        service_date=utcnow().date(),
        description="Gardening",
    )
    approve_transfer(session, actor=cora, transfer_id=first.id)
    second = record_transfer(
        session,
        actor=carol,
        giver=carol.account,
        receiver=bob.account,
        minutes=45,
        service_date=utcnow().date(),
    )
    reject_transfer(session, actor=cora, transfer_id=second.id, reason="Recorded twice")
    update_policy(session, actor=cora, bank=riverside, floor_minutes=-1200)
    hillside = TimeBankFactory(slug="hillside", name="Hillside Time Bank")
    make_member(
        session,
        email="hilda@hillside.example",
        name="Hilda Hill",
        bank=hillside,
        role=Role.COORDINATOR,
    )
    session.commit()
    return {
        "bank": riverside,
        "cora": cora,
        "ann": ann,
        "bob": bob,
        "carol": carol,
        "hillside": hillside,
    }


def rows_of(html: str) -> list[str]:
    """The "What" cell of each row, in order."""
    table = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S)
    body = table.group(1) if table else ""
    cells = re.findall(
        r"<tr[^>]*>\s*<td[^>]*>.*?</td>\s*<td[^>]*>.*?</td>\s*<td[^>]*>(.*?)</td>", body, re.S
    )
    return [re.sub(r"\s+", " ", c).strip() for c in cells]


def who_of(html: str) -> list[str]:
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1)
    cells = re.findall(r"<tr[^>]*>\s*<td[^>]*>.*?</td>\s*<td[^>]*>(.*?)</td>", body, re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


def page(client, **params) -> str:
    response = client.get(AUDIT, query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_log_reads_in_plain_words_newest_first(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client)
    assert "<h1>Audit log</h1>" in html
    what = rows_of(html)
    assert what[0] == "Changed the time bank&#39;s settings: credit floor"
    assert what[1] == "Rejected 45 min from Carol Cole to Bob Baker. Reason: Recorded twice"
    assert what[3] == "Approved 1 h 30 min from Ann Archer to Bob Baker"
    assert what[4] == "Recorded 1 h 30 min from Ann Archer to Bob Baker; waiting"
    assert what[-1] == "Created the time bank Riverside Time Bank"
    assert "Added Cora Coordinator to the time bank as a coordinator" in what
    who = who_of(html)
    assert who[0] == "Cora Coordinator" and who[3] == "Cora Coordinator"
    assert who[4] == "Ann Archer" and who[-1] == "system"
    assert "Hilda Hill" not in html and "Hillside" not in html


def test_details_show_what_changed_before_and_after(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client, kind="time_bank")
    policy = html.split("<details", 1)[1].split("</details>", 1)[0]
    assert "<dt>Credit floor</dt>" in policy
    assert re.search(r"was -10 h</span>, <span class=\"audit-after\">now -20 h", policy)
    # Only the fields that changed are listed.
    assert "Credit cap" not in policy
    html = page(client, kind="transfer")
    rejected = html.split("<details", 1)[1].split("</details>", 1)[0]
    assert re.search(
        r"<dt>Status</dt>\s*<dd>\s*<span class=\"audit-before\">was waiting</span>,"
        r" <span class=\"audit-after\">now not accepted",
        rejected,
    )
    assert "now Cora Coordinator" in rejected and "now Recorded twice" in rejected


def test_the_chain_is_verified_on_the_page(client, session, bank):
    sign_in(client, "cora@example.org")
    count = session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.time_bank_id == bank["bank"].id)
    )
    html = page(client)
    assert re.search(rf"Verified {count} entries in \d+\.\d\d seconds", html)
    assert "tampered" not in html


def _alter_the_approval(session, bank) -> int:
    """The approval's entry says 900 minutes instead of 90, its hash left as it was; its id."""
    entry = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.time_bank_id == bank["bank"].id, AuditEntry.action == "transfer.approved"
        )
    ).one()
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET after = :after WHERE id = :id",
        after=entry.after.replace('"minutes":90', '"minutes":900'),
        id=entry.id,
    )
    return entry.id


def test_a_tampered_entry_is_reported(client, session, bank):
    altered = _alter_the_approval(session, bank)
    sign_in(client, "cora@example.org")
    html = page(client)
    assert "The log has been tampered with or damaged." in html
    assert f"audit entry {altered}: content does not match its hash" in html
    assert 'role="alert"' in html


def _entries(session, bank) -> int:
    return session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.time_bank_id == bank["bank"].id)
    )


def _two_more_entries(session, bank) -> None:
    ann, bob, cora = bank["ann"], bank["bob"], bank["cora"]
    t = record_transfer(
        session,
        actor=ann,
        giver=ann.account,
        receiver=bob.account,
        minutes=15,
        service_date=utcnow().date(),
    )
    approve_transfer(session, actor=cora, transfer_id=t.id)
    session.commit()


def test_later_views_check_what_was_written_since_the_whole_check(client, session, bank):
    sign_in(client, "cora@example.org")
    whole = _entries(session, bank)
    assert re.search(rf"Verified {whole} entries in \d+\.\d\d seconds", page(client))
    _two_more_entries(session, bank)
    html = page(client)
    assert f"<strong>Yes.</strong> The whole log, {whole} entries, was verified at <time" in html
    assert "The 2 entries written since were verified just now and link on from them" in html
    assert 'href="/coordinators/audit?check=1"' in html
    assert "checked again on the first view after 10 minutes" in html
    # Asked for, the whole log is checked again, and later views start from there.
    assert re.search(rf"Verified {whole + 2} entries in", page(client, check=1))
    html = page(client, kind="transfer")
    assert f"The whole log, {whole + 2} entries, was verified" in html
    assert "No entry has been written since" in html
    client.post("/language", data={"language": "cy", "next": "/"})
    assert "Gwiriwyd y log cyfan" in page(client)


def test_tampering_since_the_whole_check_is_reported_at_once(client, session, bank):
    sign_in(client, "cora@example.org")
    page(client)
    _two_more_entries(session, bank)
    newest = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank["bank"].id)
        .order_by(AuditEntry.seq.desc())
    ).first()
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET action = 'transfer.rejected' WHERE id = :id",
        id=newest.id,
    )
    html = page(client)
    # Found from the last whole check, then the whole log checked and reported.
    assert "The log has been tampered with or damaged." in html
    assert f"audit entry {newest.id}: content does not match its hash" in html
    assert re.search(r"Checked \d+ entries in", html)


def test_the_entry_the_whole_check_reached_altered_since_is_reported_at_once(client, session, bank):
    # The check since the last whole one starts from the entry that check reached: it
    # must still have its hash, even when nothing was written since.
    sign_in(client, "cora@example.org")
    page(client)
    newest = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank["bank"].id)
        .order_by(AuditEntry.seq.desc())
    ).first()
    tamper(
        session,
        "audit_entry",
        "UPDATE audit_entry SET action = 'transfer.rejected', hash = :hash WHERE id = :id",
        id=newest.id,
        hash="f" * 64,
    )
    html = page(client)
    assert "The log has been tampered with or damaged." in html
    assert f"audit entry {newest.id}: content does not match its hash" in html


def test_an_older_entry_altered_is_found_by_the_next_whole_check(client, session, bank):
    # What a check from the last whole one cannot see (the page says when the whole log
    # was checked): an older entry altered without re-hashing the chain. The next whole
    # check, after RECHECK_WHOLE_AFTER or when asked, reports it.
    sign_in(client, "cora@example.org")
    page(client)
    altered = _alter_the_approval(session, bank)
    assert "was verified at" in page(client)
    with clock.frozen_at(clock.now() + RECHECK_WHOLE_AFTER + timedelta(minutes=1)):
        html = page(client)
    assert f"audit entry {altered}: content does not match its hash" in html
    assert f"audit entry {altered}: content does not match its hash" in page(client, check=1)


def test_a_long_log_is_checked_when_asked(client, bank, monkeypatch):
    from timebank.coordinators import audit as view

    monkeypatch.setattr(view, "AUTO_VERIFY_MAX_ENTRIES", 5)
    sign_in(client, "cora@example.org")
    html = page(client, kind="transfer")
    assert "Verified" not in html
    assert "Check the whole log now" in html
    assert 'href="/coordinators/audit?check=1&amp;kind=transfer"' in html
    html = page(client, check=1, kind="transfer")
    assert re.search(r"Verified \d+ entries", html)


def test_filter_by_who_did_it(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client, actor=str(bank["cora"].id))
    assert set(who_of(html)) == {"Cora Coordinator"}
    assert len(rows_of(html)) == 3
    html = page(client, actor="system")
    assert set(who_of(html)) == {"system"}
    assert rows_of(html)[-1] == "Created the time bank Riverside Time Bank"


def test_filter_by_member_concerned(client, bank):
    sign_in(client, "cora@example.org")
    what = rows_of(page(client, member=str(bank["carol"].id)))
    assert what == [
        "Rejected 45 min from Carol Cole to Bob Baker. Reason: Recorded twice",
        "Recorded 45 min from Carol Cole to Bob Baker; waiting",
        "Added Carol Cole to the time bank",
    ]
    bob = rows_of(page(client, member=str(bank["bob"].id)))
    assert len(bob) == 5 and all("Bob Baker" in w for w in bob)


def test_a_typed_name_that_matches_one_member_filters_by_them(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client, member_name="carol")
    assert len(rows_of(html)) == 3 and all("Carol Cole" in w for w in rows_of(html))
    # The box now holds the name, and the links carry the id, never the name.
    assert 'value="Carol Cole"' in html
    assert f'name="member" value="{bank["carol"].id}"' in html
    entries = html.split('aria-labelledby="entries-title"', 1)[1]
    assert "member_name=" not in entries.split("</section>", 1)[0]


def test_a_typed_name_that_matches_several_lists_them_to_choose_from(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client, actor_name="c", kind="transfer")
    assert "Several members match" in html and "<tbody" not in html
    links = dict(
        (name, href) for href, name in re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', html)
    )
    assert {"Carol Cole", "Cora Coordinator"} <= set(links)
    chosen = links["Cora Coordinator"].replace("&amp;", "&")
    assert f"actor={bank['cora'].id}" in chosen and "kind=transfer" in chosen
    assert "Carol" not in chosen and "actor_name" not in chosen
    assert [w.split()[0] for w in rows_of(client.get(chosen).get_data(as_text=True))] == [
        "Rejected",
        "Approved",
    ]


def test_a_typed_name_that_matches_nobody_is_explained(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client, member_name="Hilda")  # a member of another bank only
    assert "name contains \u201cHilda\u201d." in html
    assert "<tbody" not in html


def test_the_search_answers_names_in_the_coordinators_bank_only(client, bank):
    sign_in(client, "cora@example.org")
    response = client.get("/coordinators/people/search", query_string={"q": "CO"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    names = [m["name"] for m in response.get_json()["matches"]]
    assert names == ["Carol Cole", "Cora Coordinator"]
    assert client.get("/coordinators/people/search?q=hilda").get_json()["matches"] == []
    assert client.get("/coordinators/people/search?q=").get_json() == {"matches": [], "more": False}
    cross = client.get("/coordinators/people/search?q=co", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403


def test_the_search_is_for_coordinators(client, bank):
    assert client.get("/coordinators/people/search?q=co").status_code == 302
    sign_in(client, "ann@example.org")
    assert client.get("/coordinators/people/search?q=co").status_code == 403


def test_filter_by_kind_and_combined(client, bank):
    sign_in(client, "cora@example.org")
    what = rows_of(page(client, kind="membership"))
    assert len(what) == 4 and all(w.startswith("Added ") for w in what)
    what = rows_of(page(client, kind="transfer", actor=str(bank["cora"].id)))
    assert [w.split()[0] for w in what] == ["Rejected", "Approved"]
    assert "No entries match these filters." in page(client, kind="import")


def test_filter_by_date(client, session, bank, monkeypatch):
    # An entry appended "three days ago" (the audit clock moved back for one append).
    three_days_ago = utcnow() - timedelta(days=3)
    monkeypatch.setattr(audit_module, "utcnow", lambda: three_days_ago)
    update_policy(session, actor=bank["cora"], bank=bank["bank"], cap_minutes=6000)
    session.commit()
    monkeypatch.undo()
    sign_in(client, "cora@example.org")
    day = three_days_ago.date()
    what = rows_of(page(client, date_from=day.isoformat(), date_to=day.isoformat()))
    assert what == ["Changed the time bank&#39;s settings: credit cap"]
    recent = rows_of(page(client, date_from=(day + timedelta(days=1)).isoformat()))
    assert "Changed the time bank&#39;s settings: credit cap" not in recent
    assert len(recent) == len(rows_of(page(client))) - 1


def test_bad_filters_are_explained(client, bank):
    sign_in(client, "cora@example.org")
    html = page(client, date_from="2025-05-10", date_to="2025-05-01")
    assert "There is a problem with the filters" in html
    assert "The end date must be the same as or after the start date." in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="date_to-error"' in html
    assert "<tbody" not in html
    # A member of another time bank is not a choice here.
    other = db.session.scalar(
        sa.select(AuditEntry.actor_id).where(AuditEntry.time_bank_id == bank["hillside"].id)
    )
    html = page(client, actor="999999")
    assert "That member is not in this time bank." in html and "<tbody" not in html
    assert other is None or "Hilda" not in html


def test_pages_of_fifty(client, session, bank):
    cora = bank["cora"]
    for step in range(60):
        update_policy(session, actor=cora, bank=bank["bank"], max_backdate_days=step + 1)
    session.commit()
    sign_in(client, "cora@example.org")
    first = page(client)
    assert len(rows_of(first)) == 50
    assert "Newer entries" not in first
    older = re.search(r'href="/coordinators/audit\?before=(\d+)" rel="next"', first)
    assert older
    second = page(client, before=older.group(1))
    second_rows = rows_of(second)
    total = session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.time_bank_id == bank["bank"].id)
    )
    assert len(second_rows) == total - 50
    assert second_rows[-1] == "Created the time bank Riverside Time Bank"
    assert "Older entries" not in second
    newer = re.search(r'href="/coordinators/audit\?after=(\d+)" rel="prev"', second)
    assert rows_of(page(client, after=newer.group(1))) == rows_of(first)
    # Filters stay on the page links.
    filtered = page(client, kind="time_bank")
    assert re.search(r'href="/coordinators/audit\?before=\d+&amp;kind=time_bank"', filtered)


def count_queries(client, **params) -> int:
    statements = []
    # The test shares the app's session: start each count from the same (expired) state.
    db.session.expire_all()

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before_execute)
    try:
        page(client, **params)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_execute)
    return len(statements)


def test_a_page_costs_the_same_queries_however_many_entries(client, session, bank):
    sign_in(client, "cora@example.org")
    # The first view checks the whole chain; the next ones from there (in one query).
    page(client)
    few = count_queries(client, kind="transfer", actor=str(bank["cora"].id))
    ann, bob, cora = bank["ann"], bank["bob"], bank["cora"]
    for _ in range(30):
        t = record_transfer(
            session,
            actor=ann,
            giver=ann.account,
            receiver=bob.account,
            minutes=15,
            service_date=utcnow().date(),
        )
        approve_transfer(session, actor=cora, transfer_id=t.id)
    session.commit()
    many = count_queries(client, kind="transfer", actor=str(bank["cora"].id))
    assert many == few
    assert many <= 16


def test_times_are_shown_in_the_banks_time_zone(client, session, bank):
    sign_in(client, "cora@example.org")
    html = page(client, kind="time_bank")
    stamp = re.search(r'<time datetime="([^"]+)Z">([^<]+)</time>', html)
    stored = datetime.fromisoformat(stamp.group(1))
    assert stamp.group(2) == (
        stored.replace(tzinfo=UTC)
        .astimezone(ZoneInfo(bank["bank"].timezone))
        .strftime("%-d %b %Y, %H:%M")
    )


def test_every_field_of_the_log_has_a_welsh_label(client, session, bank):
    """The fields of a listing, a profile and a new time bank's settings were shown under
    made-up English names ("Title", "Group credit rule") on a Welsh page."""
    post_listing(
        session,
        actor=bank["ann"],
        kind="offer",
        title="Gardening",
        expires_on=utcnow().date() + timedelta(days=30),
    )
    bank["cora"].person.preferred_locale = "cy"
    session.commit()
    sign_in(client, "cora@example.org")
    html = page(client)
    labels = set(re.findall(r"<dt>([^<]+)</dt>", html))
    assert {"Teitl", "Ei ddangos tan"} <= labels
    assert "Sut mae arweinydd gweithdy'n cael ei gredydu" in {
        label.replace("&#39;", "'") for label in labels
    }
    english = {"Title", "Expires on", "Group credit rule", "Report threshold"}
    assert not labels & english, labels & english
    assert "gydag oriau pob cyfranogwr" in html


def test_the_rows_shown_again_follow_a_name_changed_since(client, session, bank):
    # A page's rows are kept as rendered by what they are drawn from, the names they
    # refer to among it: a name changed since (here with no entry in the log) shows.
    sign_in(client, "cora@example.org")
    recorded = "Recorded 1 h 30 min from Ann Archer to {}; waiting"
    assert recorded.format("Bob Baker") in rows_of(page(client))
    session.execute(
        sa.update(Person).where(Person.id == bank["bob"].person_id).values(display_name="Bo Baker")
    )
    session.commit()
    html = page(client)
    assert recorded.format("Bo Baker") in rows_of(html)
    assert "Bob Baker" not in html


def test_the_rows_shown_again_follow_the_readers_language(client, bank):
    sign_in(client, "cora@example.org")
    english = page(client)
    assert "<summary>Details<span" in english
    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page(client)
    assert "<summary>Manylion<span" in welsh
    assert "<summary>Details<span" not in welsh
    client.post("/language", data={"language": "en", "next": "/"})
    assert "<summary>Details<span" in page(client)
