"""Who read which reciprocity report: one audit entry per bank the report covers, with
the reader's own membership there as the actor, in plain words on the audit page, and
nothing that would make the report cache think a figure changed."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import MembershipFactory, TimeBankFactory
from timebank.ledger import errors
from timebank.ledger.models import AuditEntry, Role
from timebank.reports.audit_names import Names
from timebank.reports.audit_sentences import summarise
from timebank.reports.audit_wording import ACTION_KINDS
from timebank.reports.reciprocity.cache import READING_ACTION_PREFIXES
from timebank.reports.report_reads import record_report_read

START, END = date(2026, 1, 1), date(2026, 3, 31)


@pytest.fixture
def banks(session):
    return TimeBankFactory(), TimeBankFactory()


def entries(session, bank_id):
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank_id, AuditEntry.action.like("report.%"))
        .order_by(AuditEntry.seq)
    ).all()


def test_a_combined_reading_is_written_in_each_banks_log(session, banks):
    one, two = banks
    person_partner = MembershipFactory(bank=one, role=Role.PARTNER)
    from timebank.ledger.banks import add_membership

    other = add_membership(
        session, actor=None, bank=two, person=person_partner.person, role=Role.PARTNER
    )
    record_report_read(
        session,
        readers=[person_partner, other],
        page="report",
        format="pdf",
        start=START,
        end=END,
    )
    for bank, reader in ((one, person_partner), (two, other)):
        (entry,) = entries(session, bank.id)
        assert entry.action == "report.downloaded"
        assert entry.actor_id == reader.id
        assert entry.action.startswith(READING_ACTION_PREFIXES)
        assert '"time_banks":2' in entry.after.replace(" ", "")
        assert '"date_from":"2026-01-01"' in entry.after.replace(" ", "")
        # Each bank's log names no other bank.
        assert (two if bank is one else one).name not in entry.after


@pytest.mark.parametrize(
    ("page", "format"),
    [("report", "xls"), ("people", "web"), ("", "")],
)
def test_only_the_reports_pages_and_formats(session, banks, page, format):
    partner = MembershipFactory(bank=banks[0], role=Role.PARTNER)
    with pytest.raises(errors.InvalidPolicyError):
        record_report_read(
            session, readers=[partner], page=page, format=format, start=START, end=END
        )


def test_members_read_no_report(session, banks):
    member = MembershipFactory(bank=banks[0])
    with pytest.raises(errors.NotAllowedError):
        record_report_read(
            session, readers=[member], page="report", format="web", start=START, end=END
        )
    with pytest.raises(errors.NotAllowedError):
        record_report_read(session, readers=[], page="report", format="web", start=START, end=END)


@pytest.mark.parametrize(
    ("action", "after", "sentence"),
    [
        (
            "report.viewed",
            {"audience": "partner", "page": "report", "format": "web", "time_banks": 1},
            "Read the partners' report for 1 Jan 2026 to 31 Mar 2026",
        ),
        (
            "report.viewed",
            {"audience": "partner", "page": "network", "format": "web", "time_banks": 1},
            "Looked at the partners' network view for 1 Jan 2026 to 31 Mar 2026",
        ),
        (
            "report.downloaded",
            {"audience": "partner", "page": "report", "format": "csv", "time_banks": 3},
            "Downloaded the partners' report for 1 Jan 2026 to 31 Mar 2026 as CSV"
            " (one report over 3 time banks)",
        ),
        (
            "report.downloaded",
            {"audience": "coordinator", "page": "report", "format": "pdf", "time_banks": 1},
            "Downloaded the coordinators' report for 1 Jan 2026 to 31 Mar 2026 as PDF",
        ),
    ],
)
def test_each_reading_in_one_plain_sentence(action, after, sentence):
    names = Names()
    after = {**after, "date_from": START.isoformat(), "date_to": END.isoformat()}
    assert summarise(action, "time_bank", 1, {}, after, names) == sentence
    assert "report" in ACTION_KINDS
