"""A members import never enrols someone who already has an account (issue 11,
finding 2).

A coordinator of one time bank imported a file with another bank's member's email and
the role coordinator: that person became an active coordinator of the importing bank
without being asked, and the members list showed the name they use in the other bank.
Now the import creates new people only; someone who already has an account is sent an
invitation, joins only by accepting it, and the importing bank sees nothing of theirs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from tests.web.test_coordinators_imports import import_for_real, run_id_from, upload
from timebank.community.models import Invitation
from timebank.importing.models import ImportRun
from timebank.ledger.models import Membership, MembershipStatus, Role
from timebank.ledger.verify import verify_ledger

FILE = """external_ref,name,email,kind,role
1,Nia New,nia@example.org,participant,member
2,Somebody Else,bea@example.org,professional,coordinator
"""


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")


@pytest.fixture
def banks(client, session):
    riverside = TimeBankFactory(name="Riverside Time Bank")
    valley = TimeBankFactory(name="Valley Time Bank")
    make_member(session, email="coord@example.org", bank=riverside, role=Role.COORDINATOR)
    bea = make_member(session, email="bea@example.org", name="Beatrice Private", bank=valley)
    sign_in(client, "coord@example.org")
    return riverside, valley, bea


def memberships_of(session, person_id):
    return session.scalars(sa.select(Membership).where(Membership.person_id == person_id)).all()


def test_someone_with_an_account_is_invited_not_enrolled(app, client, session, banks, tmp_path):
    riverside, _valley, bea = banks
    run_id = run_id_from(upload(client, FILE, "members", "members.csv"))
    import_for_real(client, session, run_id)
    assert session.get(ImportRun, run_id).status == "done"

    # Bea is still only in her own bank; Nia, new to the app, is added.
    assert [m.time_bank_id for m in memberships_of(session, bea.person_id)] == [bea.time_bank_id]
    nia = session.scalar(
        sa.select(Membership)
        .join(Membership.person)
        .where(Membership.time_bank_id == riverside.id, Membership.role == Role.MEMBER)
        .where(Membership.external_ref == "1")
    )
    assert nia is not None and nia.status == MembershipStatus.ACTIVE
    assert verify_ledger(session, riverside.id) == []

    # Riverside never sees the name Bea uses elsewhere.
    members_page = client.get("/coordinators/members").get_data(as_text=True)
    assert "Beatrice Private" not in members_page
    page = client.get(f"/coordinators/imports/{run_id}").get_data(as_text=True)
    assert "1 members added" in page
    assert "already have an account with this app" in page
    assert "Beatrice" not in page and "Valley" not in page

    # She is sent an invitation with the role the file gave, and decides.
    [invitation] = session.scalars(sa.select(Invitation)).all()
    assert (invitation.time_bank_id, invitation.role) == (riverside.id, Role.COORDINATOR)
    mails = [f.read_text() for f in sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))]
    [mail] = [m for m in mails if "bea@example.org" in m]
    link = re.search(r"http://localhost(/auth/join/[A-Za-z0-9_\-]+)", mail)
    assert link, "the invitation email has no join link"

    client.post("/auth/sign-out")
    sign_in(client, "bea@example.org")
    response = client.post(link.group(1), data={"consent_reporting": "y"})
    assert response.status_code in (302, 303)
    session.expire_all()
    joined = [m for m in memberships_of(session, bea.person_id) if m.time_bank_id == riverside.id]
    assert [(m.role, m.status) for m in joined] == [(Role.COORDINATOR, MembershipStatus.ACTIVE)]


def test_the_import_service_invites_existing_people_whoever_calls_it(session, banks, tmp_path):
    # The rule lives in the import itself, so the command line keeps it too.
    from tests.importing.support import import_members

    riverside, _valley, bea = banks
    coordinator = session.scalar(
        sa.select(Membership).where(
            Membership.time_bank_id == riverside.id, Membership.role == Role.COORDINATOR
        )
    )
    outcome = import_members(session, coordinator, tmp_path, FILE)
    assert outcome.members == 1
    assert [i.person_id for i in outcome.invitations] == [bea.person_id]
    assert [m.time_bank_id for m in memberships_of(session, bea.person_id)] == [bea.time_bank_id]
