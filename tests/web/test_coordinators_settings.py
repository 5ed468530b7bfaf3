"""The settings page through the real app: policies in hours and pounds, each change
audited, errors at the field, and the categories list with its actions."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from timebank.ledger.models import AuditChain, AuditEntry, Category, Role, TimeBank

SETTINGS = "/coordinators/settings"


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def signed_in(client, session, bank):
    make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    sign_in(client, "coord@example.org")
    return client


def current_form(**changes):
    """The form as the page fills it for a new time bank, with changes."""
    values = {
        "floor_hours": "10",
        "cap_hours": "",
        "requires_confirmation": "y",
        "requires_approval": "y",
        "accepts_applications": "y",
        "auto_approve_hours": "0",
        "max_hours_per_entry": "12",
        "max_backdate_days": "90",
        "minute_step": "15",
        "replacement_rate": "12.60",
        "report_threshold": "5",
        "timezone": "Europe/London",
        "group_credit_rule": "each",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def fresh(session, bank):
    session.expire_all()
    return session.get(TimeBank, bank.id)


def last_audit(session, bank):
    session.expire_all()
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank.id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()


def audit_seq(session, bank):
    session.expire_all()
    return session.scalar(sa.select(AuditChain.last_seq).where(AuditChain.time_bank_id == bank.id))


def test_the_page_shows_the_policies_in_hours_and_pounds(signed_in):
    html = signed_in.get(SETTINGS).get_data(as_text=True)
    assert 'name="floor_hours" type="text" value="10"' in html
    assert 'value="12.60"' in html
    assert "Gardening" in html and "Personal care" in html


def test_changing_the_floor_cap_and_rules_is_saved_and_audited(signed_in, session, bank):
    response = signed_in.post(
        SETTINGS,
        data=current_form(
            floor_hours="5.5",
            cap_hours="40",
            requires_confirmation=None,
            auto_approve_hours="1.5",
            replacement_rate="13",
            timezone="Europe/Dublin",
        ),
    )
    assert response.status_code == 302
    saved = fresh(session, bank)
    assert saved.floor_minutes == -330 and saved.cap_minutes == 2400
    assert saved.requires_confirmation is False and saved.requires_approval is True
    assert saved.auto_approve_max_minutes == 90
    assert saved.replacement_rate_pence == 1300 and saved.timezone == "Europe/Dublin"
    entry = last_audit(session, bank)
    assert entry.action == "time_bank.policy_changed"
    assert json.loads(entry.before)["floor_minutes"] == -600
    assert json.loads(entry.after)["floor_minutes"] == -330
    assert "The settings were saved." in signed_in.get(SETTINGS).get_data(as_text=True)


def test_the_partners_threshold_is_a_setting(signed_in, session, bank):
    html = signed_in.get(SETTINGS).get_data(as_text=True)
    assert 'name="report_threshold"' in html
    assert "reports leave out any figure about fewer people than this" in html
    response = signed_in.post(SETTINGS, data=current_form(report_threshold="8"))
    assert response.status_code == 302
    assert fresh(session, bank).report_threshold == 8
    entry = last_audit(session, bank)
    assert json.loads(entry.before)["report_threshold"] == 5
    assert json.loads(entry.after)["report_threshold"] == 8


def test_a_blank_floor_means_no_limit(signed_in, session, bank):
    signed_in.post(SETTINGS, data=current_form(floor_hours=""))
    assert fresh(session, bank).floor_minutes is None


def test_saving_without_changes_writes_nothing(signed_in, session, bank):
    before = audit_seq(session, bank)
    response = signed_in.post(SETTINGS, data=current_form())
    assert response.status_code == 302
    assert audit_seq(session, bank) == before
    assert "Nothing was changed." in signed_in.get(SETTINGS).get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("floor_hours", "ten", "Enter a number of hours"),
        ("floor_hours", "1.001", "whole minutes"),
        ("cap_hours", "0", "above zero"),
        ("auto_approve_hours", "", "Enter a number of hours"),
        ("max_hours_per_entry", "0", "more than 0"),
        ("max_backdate_days", "-1", "from 0 to 3,650"),
        ("minute_step", "61", "from 1 to 60"),
        ("replacement_rate", "12.345", "like 12.60"),
        ("report_threshold", "2", "from 3 to 100"),
        ("timezone", "Mars/Olympus", "Not a valid choice"),
    ],
)
def test_bad_values_are_refused_at_the_field(signed_in, session, bank, field, value, message):
    before = audit_seq(session, bank)
    response = signed_in.post(SETTINGS, data=current_form(**{field: value}))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    assert audit_seq(session, bank) == before


# Categories ---------------------------------------------------------------------------


def category(session, bank, slug):
    session.expire_all()
    return session.scalar(
        sa.select(Category).where(Category.time_bank_id == bank.id, Category.slug == slug)
    )


def test_adding_a_category(signed_in, session, bank):
    response = signed_in.post(
        f"{SETTINGS}/categories", data={"category-name": "Foot care", "category-is_sensitive": "y"}
    )
    assert response.status_code == 302
    added = category(session, bank, "foot-care")
    assert added.name == "Foot care" and added.is_sensitive
    assert last_audit(session, bank).action == "category.added"
    duplicate = signed_in.post(f"{SETTINGS}/categories", data={"category-name": "foot CARE"})
    assert duplicate.status_code == 400
    html = duplicate.get_data(as_text=True)
    assert 'id="category-name-error"' in html and "already has a category" in html


def test_renaming_retiring_and_marking_sensitive(signed_in, session, bank):
    gardening = category(session, bank, "gardening")
    response = signed_in.post(
        f"{SETTINGS}/categories/rename",
        data={"category_id": gardening.id, "name": "Gardens and allotments"},
    )
    assert response.status_code == 302
    assert category(session, bank, "gardening").name == "Gardens and allotments"

    # Its old name is free again, and the slug never changed.
    back = signed_in.post(
        f"{SETTINGS}/categories/rename", data={"category_id": gardening.id, "name": "Gardening"}
    )
    assert back.status_code == 302
    assert category(session, bank, "gardening").name == "Gardening"

    clash = signed_in.post(
        f"{SETTINGS}/categories/rename",
        data={"category_id": gardening.id, "name": "Personal care"},
    )
    assert clash.status_code == 400
    html = clash.get_data(as_text=True)
    assert f'id="rename-{gardening.id}-error"' in html and "already has a category" in html

    signed_in.post(
        f"{SETTINGS}/categories/active", data={"category_id": gardening.id, "value": "0"}
    )
    assert category(session, bank, "gardening").active is False
    assert last_audit(session, bank).action == "category.retired"
    signed_in.post(
        f"{SETTINGS}/categories/sensitive", data={"category_id": gardening.id, "value": "1"}
    )
    assert category(session, bank, "gardening").is_sensitive is True


def test_categories_of_another_bank_are_not_found(signed_in, session):
    other = TimeBankFactory()
    session.commit()
    foreign = category(session, other, "gardening")
    before = audit_seq(session, other)
    for path, data in [
        ("rename", {"name": "Mine now"}),
        ("active", {"value": "0"}),
        ("sensitive", {"value": "1"}),
    ]:
        response = signed_in.post(
            f"{SETTINGS}/categories/{path}", data={"category_id": foreign.id, **data}
        )
        assert response.status_code == 404
    assert (
        signed_in.post(
            f"{SETTINGS}/categories/active", data={"category_id": "x", "value": "0"}
        ).status_code
        == 404
    )
    unchanged = category(session, other, "gardening")
    assert (unchanged.name, unchanged.active, unchanged.is_sensitive) == ("Gardening", True, False)
    assert audit_seq(session, other) == before


def test_members_cannot_change_settings(client, session, bank):
    make_member(session, email="alice@example.org", bank=bank)
    sign_in(client, "alice@example.org")
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, data=current_form(floor_hours="")).status_code == 403
    assert client.post(f"{SETTINGS}/categories", data={"category-name": "X"}).status_code == 403
    assert fresh(session, bank).floor_minutes == -600


def test_time_zones_are_grouped_by_region_with_the_banks_own_chosen(signed_in, session, bank):
    html = signed_in.get(SETTINGS).get_data(as_text=True)
    start = re.search(r'<select[^>]* id="timezone"', html).start()
    select = html[start : html.index("</select>", start)]
    assert '<optgroup label="Europe">' in select and '<optgroup label="The Americas">' in select
    assert '<option selected value="Europe/London">London</option>' in select
    assert (
        '<option value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in select
    )
    # Old aliases are not offered twice.
    assert "US/Eastern" not in select and "Etc/" not in select
    assert select.count("<option") < 520

    # A bank on an old alias keeps it, in a group of its own, chosen.
    bank.timezone = "US/Eastern"
    session.commit()
    html = signed_in.get(SETTINGS).get_data(as_text=True)
    assert '<optgroup label="Other"><option selected value="US/Eastern">' in html


def test_the_category_buttons_say_what_they_do(signed_in, session, bank):
    category = session.scalars(sa.select(Category).where(Category.time_bank_id == bank.id)).first()
    category.is_sensitive = True
    session.commit()
    html = signed_in.get(SETTINGS).get_data(as_text=True)
    assert "Retire it<" in html and "Mark it as sensitive<" in html
    assert "Stop treating it as sensitive<" in html
    assert ">Not sensitive<" not in html and ">Mark sensitive<" not in html


def test_the_replacement_cost_rate_leads_to_the_report_and_back(signed_in):
    html = signed_in.get(SETTINGS).get_data(as_text=True)
    assert "value the hours exchanged at this rate" in html
    assert 'href="/coordinators/report#core-economy"' in html
    report = signed_in.get("/coordinators/report").get_data(as_text=True)
    assert "Replacement cost at £12.60 an hour" in report
    assert 'href="/coordinators/settings#replacement_rate"' in report
