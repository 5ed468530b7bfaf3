"""The kinds of help a member offers (categories on the profile), at the service level:
only active categories of the member's own time bank, nothing written on refusal,
one audit entry per change, none when nothing changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import MembershipFactory, TimeBankFactory
from timebank.community.profiles import skills_of, update_profile
from timebank.ledger import categories, errors
from timebank.ledger.models import AuditEntry, Category, Role


def _profile(membership, ids):
    return dict(
        actor=membership,
        offers_text="Gardening",
        needs_text="",
        availability="",
        area="",
        contact_preference="messages",
        email_notifications=False,
        consent_reporting=False,
        consent_research=False,
        skill_category_ids=ids,
    )


def _ids(session, bank, *names):
    return [
        session.scalar(
            sa.select(Category.id).where(Category.time_bank_id == bank.id, Category.name == n)
        )
        for n in names
    ]


def _audits(session):
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_skills_are_set_changed_and_cleared(session):
    bank = TimeBankFactory()
    member = MembershipFactory(bank=bank)
    gardening, admin = _ids(session, bank, "Gardening", "Admin and paperwork")
    update_profile(session, **_profile(member, [gardening, admin]))
    assert [c.name for c in skills_of(session, member)] == ["Admin and paperwork", "Gardening"]
    before = _audits(session)
    update_profile(session, **_profile(member, [admin, gardening]))  # the same: no entry
    assert _audits(session) == before
    update_profile(session, **_profile(member, [gardening]))
    assert [c.name for c in skills_of(session, member)] == ["Gardening"]
    update_profile(session, **_profile(member, []))
    assert skills_of(session, member) == []
    # None leaves them as they are (callers that do not show the choice).
    update_profile(session, **_profile(member, [admin]))
    update_profile(session, **_profile(member, None))
    assert [c.name for c in skills_of(session, member)] == ["Admin and paperwork"]


@pytest.mark.parametrize("which", ["other bank", "retired", "missing"])
def test_a_category_that_cannot_be_chosen_changes_nothing(session, which):
    bank = TimeBankFactory()
    member = MembershipFactory(bank=bank)
    (gardening,) = _ids(session, bank, "Gardening")
    update_profile(session, **_profile(member, [gardening]))
    if which == "other bank":
        (bad,) = _ids(session, TimeBankFactory(), "Gardening")
    elif which == "retired":
        coordinator = MembershipFactory(bank=bank, role=Role.COORDINATOR)
        (bad,) = _ids(session, bank, "Admin and paperwork")
        categories.set_category_active(
            session, actor=coordinator, category=session.get(Category, bad), active=False
        )
    else:
        bad = 999_999
    before = _audits(session)
    with pytest.raises(errors.InvalidPolicyError) as refused:
        update_profile(session, **{**_profile(member, [gardening, bad]), "offers_text": "New"})
    assert refused.value.field == "skill_category_ids"
    assert [c.name for c in skills_of(session, member)] == ["Gardening"]
    assert _audits(session) == before
    assert member.offers_text == "Gardening"
