"""The exports page and its CSV downloads through the real app: streamed, named after the
time bank and the day, with this bank's data only, and each download in the audit log."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.ledger.banks import update_policy
from timebank.ledger.clock import today_in
from timebank.ledger.models import AuditEntry, Role
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()


@pytest.fixture
def banks(session):
    bank = TimeBankFactory(slug="riverside", name="Riverside Time Bank")
    update_policy(
        session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
    )
    coordinator = make_member(
        session,
        email="coord@example.org",
        name="Cora Coordinator",
        bank=bank,
        role=Role.COORDINATOR,
    )
    ann = make_member(session, email="ann@example.org", name="Ann Archer", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Baker", bank=bank)
    record_transfer(
        session,
        actor=ann,
        giver=ann.account,
        receiver=bob.account,
        minutes=90,
        service_date=TODAY - timedelta(days=3),
        description="Gardening",
    )
    update_policy(session, actor=None, bank=bank, requires_confirmation=True)
    record_transfer(
        session,
        actor=ann,
        giver=ann.account,
        receiver=bob.account,
        minutes=30,
        service_date=TODAY,
        description="Shopping",
    )
    other = TimeBankFactory(slug="hillside")
    make_member(session, email="coord-b@example.org", bank=other, role=Role.COORDINATOR)
    dora = make_member(session, email="dora@hillside.example", name="Dora Dunn", bank=other)
    eve = make_member(session, email="eve@hillside.example", name="Eve Evans", bank=other)
    record_transfer(
        session,
        actor=dora,
        giver=dora.account,
        receiver=eve.account,
        minutes=60,
        service_date=TODAY,
        description="Hillside secret",
    )
    session.commit()
    return {"bank": bank, "coordinator": coordinator, "other": other}


def csv_rows(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def audit_actions(session, bank_id) -> list[str]:
    session.expire_all()
    return session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.time_bank_id == bank_id)
        .order_by(AuditEntry.seq)
    ).all()


def test_the_exports_page_offers_three_downloads(client, banks):
    sign_in(client, "coord@example.org")
    response = client.get("/coordinators/exports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Export</h1>" in html
    assert 'href="/coordinators/exports/members.csv"' in html
    assert 'href="/coordinators/exports/balances.csv"' in html
    assert 'action="/coordinators/exports/transfers.csv"' in html
    assert 'aria-current="page">Export</a>' in html


def test_members_download_is_a_streamed_attachment_with_this_banks_people(client, session, banks):
    sign_in(client, "coord@example.org")
    response = client.get("/coordinators/exports/members.csv")
    assert response.status_code == 200
    assert "Content-Length" not in response.headers  # streamed: no length up front
    assert response.mimetype == "text/csv"
    day = today_in(banks["bank"].timezone).isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="riverside-members-{day}.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    assert {r["email"] for r in rows} == {
        "coord@example.org",
        "ann@example.org",
        "bob@example.org",
    }
    ann = next(r for r in rows if r["name"] == "Ann Archer")
    assert ann["balance_minutes"] == "90" and ann["balance_hours"] == "1.50"
    assert "hillside" not in response.get_data(as_text=True)
    assert audit_actions(session, banks["bank"].id)[-1] == "export.members"


def test_transfers_download_with_filters(client, session, banks):
    sign_in(client, "coord@example.org")
    response = client.get(
        "/coordinators/exports/transfers.csv",
        query_string={"status": "posted", "date_from": "", "date_to": ""},
    )
    assert response.status_code == 200
    rows = csv_rows(response)
    assert [(r["description"], r["from"], r["to"], r["minutes"], r["what"]) for r in rows] == [
        ("Gardening", "Ann Archer", "Bob Baker", "90", "Ann Archer gave 1 h 30 min to Bob Baker")
    ]
    response = client.get(
        "/coordinators/exports/transfers.csv",
        query_string={"date_from": TODAY.isoformat(), "date_to": TODAY.isoformat()},
    )
    assert [r["description"] for r in csv_rows(response)] == ["Shopping"]
    everything = csv_rows(client.get("/coordinators/exports/transfers.csv"))
    assert [r["description"] for r in everything] == ["Gardening", "Shopping"]
    entries = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == banks["bank"].id, AuditEntry.action == "export.transfers")
        .order_by(AuditEntry.seq)
    ).all()
    assert [json.loads(e.after) for e in entries] == [
        {"format": "csv", "status": "posted"},
        {"format": "csv", "date_from": TODAY.isoformat(), "date_to": TODAY.isoformat()},
        {"format": "csv"},
    ]
    assert all(e.actor_id == banks["coordinator"].id for e in entries)


def test_a_backwards_date_range_is_explained_and_nothing_is_exported(client, session, banks):
    sign_in(client, "coord@example.org")
    before = audit_actions(session, banks["bank"].id)
    response = client.get(
        "/coordinators/exports/transfers.csv",
        query_string={"date_from": "2025-05-10", "date_to": "2025-05-01", "status": ""},
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "The end date must be the same as or after the start date." in html
    assert 'aria-invalid="true"' in html
    response = client.get("/coordinators/exports/transfers.csv", query_string={"status": "deleted"})
    assert response.status_code == 400
    assert audit_actions(session, banks["bank"].id) == before


def test_balances_download_sums_to_zero(client, banks):
    sign_in(client, "coord@example.org")
    response = client.get("/coordinators/exports/balances.csv")
    rows = csv_rows(response)
    assert sum(int(r["balance_minutes"]) for r in rows) == 0
    bob = next(r for r in rows if r["holder"] == "Bob Baker")
    assert (bob["balance_minutes"], bob["pending_debits_minutes"]) == ("-90", "30")
    assert "Dora" not in response.get_data(as_text=True)


def test_the_other_banks_coordinator_gets_only_their_own_bank(client, banks):
    sign_in(client, "coord-b@example.org")
    for path in ("members", "transfers", "balances"):
        text = client.get(f"/coordinators/exports/{path}.csv").get_data(as_text=True)
        assert "Ann Archer" not in text and "ann@example.org" not in text
        assert "Gardening" not in text
    rows = csv_rows(client.get("/coordinators/exports/members.csv"))
    assert {r["email"] for r in rows} == {
        "coord-b@example.org",
        "dora@hillside.example",
        "eve@hillside.example",
    }


def test_members_cannot_download_and_nothing_is_logged(client, session, banks):
    before = audit_actions(session, banks["bank"].id)
    sign_in(client, "ann@example.org")
    for path in (
        "/coordinators/exports",
        "/coordinators/exports/members.csv",
        "/coordinators/exports/transfers.csv",
        "/coordinators/exports/balances.csv",
    ):
        assert client.get(path).status_code == 403
    client.post("/auth/sign-out")
    response = client.get("/coordinators/exports/members.csv")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
    assert audit_actions(session, banks["bank"].id) == before
