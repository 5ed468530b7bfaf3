"""The members pages through the real app: applications, the list with its filters, a
member's profile, every action and its refusals, notes and invitation links."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from tests.factories import MembershipFactory, TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in, without_tokens
from timebank.community import invitations as invitation_service
from timebank.community.models import CoordinatorNote, Invitation
from timebank.ledger.models import (
    AuditChain,
    MemberKind,
    Membership,
    MembershipStatus,
    Role,
)
from timebank.ledger.transfers import record_transfer

MEMBERS = "/coordinators/members"


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def coordinator(session, bank):
    return make_member(
        session,
        email="coord@example.org",
        name="Cora Coordinator",
        bank=bank,
        role=Role.COORDINATOR,
    )


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)


@pytest.fixture
def applicant(session, bank):
    return make_member(
        session,
        email="amir@example.org",
        name="Amir Applicant",
        bank=bank,
        status=MembershipStatus.APPLIED,
    )


@pytest.fixture
def signed_in(client, coordinator):
    sign_in(client, "coord@example.org")
    return client


def audit_seq(session, bank_id):
    session.expire_all()
    return session.scalar(sa.select(AuditChain.last_seq).where(AuditChain.time_bank_id == bank_id))


def status_of(session, membership):
    session.expire_all()
    return session.get(Membership, membership.id).status


def test_the_list_shows_applications_first_then_members_with_balances(signed_in, alice, applicant):
    html = signed_in.get(MEMBERS).get_data(as_text=True)
    assert "Applications waiting (1)" in html
    assert html.index("Amir Applicant") < html.index("Alice Ashdown")
    assert "Cora Coordinator" in html and "0 min" in html


def test_search_and_filters(signed_in, session, bank, alice, coordinator):
    make_member(
        session, email="bea@example.org", name="Bea Brook", bank=bank, kind=MemberKind.PROFESSIONAL
    )
    members_table = lambda html: html.split('id="members-title"')[1]  # noqa: E731
    html = members_table(signed_in.get(MEMBERS + "?q=ashd").get_data(as_text=True))
    assert "Alice Ashdown" in html and "Bea Brook" not in html
    html = members_table(signed_in.get(MEMBERS + "?role=coordinator").get_data(as_text=True))
    assert "Cora Coordinator" in html and "Alice Ashdown" not in html
    html = members_table(signed_in.get(MEMBERS + "?kind=professional").get_data(as_text=True))
    assert "Bea Brook" in html and "Alice Ashdown" not in html
    # A search with SQL wildcards finds nothing rather than everything.
    html = members_table(signed_in.get(MEMBERS + "?q=%25").get_data(as_text=True))
    assert "Alice Ashdown" not in html and "0 members found" in html


def test_approving_an_application_from_the_list(signed_in, session, applicant):
    response = signed_in.post(f"{MEMBERS}/{applicant.id}/approve", data={"return_to": "list"})
    assert response.status_code == 302 and response.headers["Location"].endswith(MEMBERS)
    assert status_of(session, applicant) == MembershipStatus.ACTIVE
    page = signed_in.get(MEMBERS).get_data(as_text=True)
    assert "Amir Applicant is now a member." in page
    assert "No one is waiting to join." in page
    # A second click changes nothing and says why.
    signed_in.post(f"{MEMBERS}/{applicant.id}/approve")
    assert "already been decided" in signed_in.get(MEMBERS).get_data(as_text=True)


def test_declining_needs_a_reason(signed_in, session, bank, applicant):
    before = audit_seq(session, bank.id)
    response = signed_in.post(f"{MEMBERS}/{applicant.id}/decline", data={"decline-reason": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give a reason" in html and 'aria-invalid="true"' in html
    assert status_of(session, applicant) == MembershipStatus.APPLIED
    assert audit_seq(session, bank.id) == before
    response = signed_in.post(
        f"{MEMBERS}/{applicant.id}/decline",
        data={"decline-reason": "We only serve Riverside ward.", "decline-return_to": "list"},
    )
    assert response.status_code == 302
    assert status_of(session, applicant) == MembershipStatus.DECLINED


def test_profile_shows_details_balance_and_notes_newest_first(signed_in, session, alice):
    signed_in.post(f"{MEMBERS}/{alice.id}/notes", data={"note-body": "Prefers phone calls"})
    response = signed_in.post(f"{MEMBERS}/{alice.id}/notes", data={"note-body": "Has a dog"})
    assert response.status_code == 302
    html = signed_in.get(f"{MEMBERS}/{alice.id}").get_data(as_text=True)
    assert "alice@example.org" in html and "Balance" in html
    assert html.index("Has a dog") < html.index("Prefers phone calls")
    assert "Cora Coordinator" in html  # the author
    empty = signed_in.post(f"{MEMBERS}/{alice.id}/notes", data={"note-body": "  "})
    assert empty.status_code == 400 and "Write the note first." in empty.get_data(as_text=True)


def test_notes_never_reach_the_member(client, session, coordinator, alice):
    sign_in(client, "coord@example.org")
    client.post(f"{MEMBERS}/{alice.id}/notes", data={"note-body": "Private remark"})
    client.post("/auth/sign-out")
    sign_in(client, "alice@example.org")
    assert "Private remark" not in client.get("/members/").get_data(as_text=True)
    assert client.get(f"{MEMBERS}/{alice.id}").status_code == 403


def test_changing_role_and_kind(signed_in, session, alice):
    response = signed_in.post(f"{MEMBERS}/{alice.id}/role", data={"role-role": "coordinator"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Membership, alice.id).role == Role.COORDINATOR
    response = signed_in.post(f"{MEMBERS}/{alice.id}/kind", data={"kind-kind": "professional"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Membership, alice.id).kind == MemberKind.PROFESSIONAL
    bad = signed_in.post(f"{MEMBERS}/{alice.id}/role", data={"role-role": "emperor"})
    assert bad.status_code == 400


def test_the_last_coordinator_cannot_step_down(signed_in, session, bank, coordinator):
    before = audit_seq(session, bank.id)
    response = signed_in.post(f"{MEMBERS}/{coordinator.id}/role", data={"role-role": "member"})
    assert response.status_code == 400
    assert "last coordinator" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Membership, coordinator.id).role == Role.COORDINATOR
    assert audit_seq(session, bank.id) == before


def test_stepping_down_when_another_coordinator_remains_leaves_the_area(
    signed_in, session, bank, coordinator
):
    make_member(session, email="c2@example.org", bank=bank, role=Role.COORDINATOR)
    response = signed_in.post(f"{MEMBERS}/{coordinator.id}/role", data={"role-role": "member"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/members/")
    assert signed_in.get(MEMBERS).status_code == 403


def test_suspending_needs_a_reason_and_shuts_the_member_out(signed_in, session, bank, alice):
    response = signed_in.post(f"{MEMBERS}/{alice.id}/suspend", data={"suspend-reason": ""})
    assert response.status_code == 400
    assert status_of(session, alice) == MembershipStatus.ACTIVE
    response = signed_in.post(
        f"{MEMBERS}/{alice.id}/suspend", data={"suspend-reason": "Missed three visits"}
    )
    assert response.status_code == 302
    assert status_of(session, alice) == MembershipStatus.SUSPENDED

    # One client at a time: the test's app context (and so flask.g) spans requests.
    signed_in.post("/auth/sign-out")
    sign_in(signed_in, "alice@example.org")
    html = signed_in.get("/members/").get_data(as_text=True)
    assert "Riverside Time Bank" not in html

    signed_in.post("/auth/sign-out")
    sign_in(signed_in, "coord@example.org")
    response = signed_in.post(f"{MEMBERS}/{alice.id}/reactivate")
    assert response.status_code == 302
    assert status_of(session, alice) == MembershipStatus.ACTIVE
    signed_in.post("/auth/sign-out")
    sign_in(signed_in, "alice@example.org")
    assert "My time in Riverside Time Bank" in signed_in.get("/members/").get_data(as_text=True)


def test_a_coordinator_cannot_suspend_themselves(signed_in, session, bank, coordinator):
    make_member(session, email="c2@example.org", bank=bank, role=Role.COORDINATOR)
    response = signed_in.post(
        f"{MEMBERS}/{coordinator.id}/suspend", data={"suspend-reason": "Going away"}
    )
    assert response.status_code == 400
    assert "cannot suspend yourself" in response.get_data(as_text=True)


def test_reactivating_an_active_member_is_refused(signed_in, session, alice):
    signed_in.post(f"{MEMBERS}/{alice.id}/reactivate")
    html = signed_in.get(f"{MEMBERS}/{alice.id}").get_data(as_text=True)
    assert "Only a suspended member can be reactivated." in html


def test_members_of_another_bank_are_not_found(signed_in, session, bank):
    stranger = MembershipFactory(bank=TimeBankFactory(), status=MembershipStatus.APPLIED)
    session.commit()
    before = audit_seq(session, stranger.time_bank_id)
    assert signed_in.get(f"{MEMBERS}/{stranger.id}").status_code == 404
    for action, data in [
        ("approve", {}),
        ("decline", {"decline-reason": "x"}),
        ("role", {"role-role": "coordinator"}),
        ("kind", {"kind-kind": "professional"}),
        ("suspend", {"suspend-reason": "x"}),
        ("reactivate", {}),
        ("notes", {"note-body": "x"}),
    ]:
        assert signed_in.post(f"{MEMBERS}/{stranger.id}/{action}", data=data).status_code == 404
    assert status_of(session, stranger) == MembershipStatus.APPLIED
    assert audit_seq(session, stranger.time_bank_id) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(CoordinatorNote)) == 0


# Invitations --------------------------------------------------------------------------


def link_from(html: str) -> str:
    match = re.search(r'id="invitation-link" class="link-box" type="text" value="([^"]+)"', html)
    assert match, "no invitation link on the page"
    return match.group(1)


def test_making_a_link_shows_it_once_and_stores_only_its_hash(signed_in, session, bank):
    response = signed_in.post(
        f"{MEMBERS}/invitations",
        data={"role": "member", "kind": "professional", "note": "Dana", "valid_days": "7"},
    )
    assert response.status_code == 201
    link = link_from(response.get_data(as_text=True))
    token = link.rsplit("/", 1)[1]
    invitation = session.scalars(sa.select(Invitation)).one()
    assert invitation.token_hash == invitation_service.hash_token(token)
    assert invitation.kind == MemberKind.PROFESSIONAL and invitation.note == "Dana"
    page = signed_in.get(f"{MEMBERS}/invitations").get_data(as_text=True)
    assert token not in page and "Dana" in page and "Waiting" in page


def test_link_settings_are_checked_at_the_field(signed_in, session):
    response = signed_in.post(
        f"{MEMBERS}/invitations", data={"role": "member", "kind": "participant", "valid_days": "0"}
    )
    assert response.status_code == 400
    assert "Choose between 1 and 90 days." in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_withdrawing_a_link(signed_in, session, coordinator):
    invitation, token = invitation_service.create_invitation(session, actor=coordinator)
    session.commit()
    response = signed_in.post(f"{MEMBERS}/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Invitation, invitation.id).revoked_at is not None
    assert signed_in.get(f"/auth/join/{token}").status_code == 410
    signed_in.post(f"{MEMBERS}/invitations/{invitation.id}/revoke")
    assert "already withdrawn" in signed_in.get(f"{MEMBERS}/invitations").get_data(as_text=True)


def test_links_of_another_bank_cannot_be_withdrawn(signed_in, session):
    outsider = make_member(
        session, email="out@example.org", bank=TimeBankFactory(), role=Role.COORDINATOR
    )
    invitation, _ = invitation_service.create_invitation(session, actor=outsider)
    session.commit()
    assert signed_in.post(f"{MEMBERS}/invitations/{invitation.id}/revoke").status_code == 404
    session.expire_all()
    assert session.get(Invitation, invitation.id).revoked_at is None


def test_members_cannot_reach_these_pages(client, alice, applicant):
    sign_in(client, "alice@example.org")
    assert client.get(MEMBERS).status_code == 403
    assert client.post(f"{MEMBERS}/{applicant.id}/approve").status_code == 403
    assert client.post(f"{MEMBERS}/invitations", data={"valid_days": "7"}).status_code == 403


def test_an_application_shows_what_the_applicant_wrote(signed_in, session, applicant):
    applicant.offers_text = "Gardening and baking bread"
    applicant.needs_text = "A lift to the shops now and then"
    session.commit()
    for path in (MEMBERS, f"{MEMBERS}/{applicant.id}"):
        page = signed_in.get(path).get_data(as_text=True)
        assert "What they can offer" in page and "Gardening and baking bread" in page
        assert "A lift to the shops now and then" in page


def test_the_list_is_paged_by_name_with_keyset_links(client, session, bank, coordinator):
    """50 a page, by name whatever the case (the sort key kept on the membership); the
    links carry a membership id, never a page number or a name; every member once."""
    other = TimeBankFactory(name="Hillside Time Bank")
    names = [f"{'ab'[i % 2]}{'Mm'[i % 3 % 2]}ember {i:02d}" for i in range(55)]
    for i, name in enumerate(names):
        make_member(session, email=f"m{i}@example.org", name=name, bank=bank)
    make_member(session, email="far@example.org", name="aa Far Away", bank=other)
    session.commit()
    everyone = sorted([*names, "Cora Coordinator"], key=str.casefold)
    sign_in(client, "coord@example.org")

    def shown(html):
        return re.findall(r'<a href="/coordinators/members/\d+">([^<]+)</a>', html)

    first = client.get(MEMBERS).get_data(as_text=True)
    assert shown(first) == everyone[:50]
    after = re.search(r'href="/coordinators/members\?after=(\d+)" rel="next"', first)
    assert after and "page=" not in first
    second = client.get(f"{MEMBERS}?after={after.group(1)}").get_data(as_text=True)
    assert shown(second) == everyone[50:]
    before = re.search(r'href="/coordinators/members\?before=(\d+)" rel="prev"', second)
    back = client.get(f"{MEMBERS}?before={before.group(1)}").get_data(as_text=True)
    assert shown(back) == everyone[:50]
    # Filters travel with the links.
    filtered = client.get(f"{MEMBERS}?q=ember&status=current").get_data(as_text=True)
    assert "status=current" in re.search(
        r'href="(/coordinators/members\?[^"]*after=[^"]*)"', filtered
    ).group(1)


@pytest.mark.both_engines
def test_a_coordinator_changes_their_own_kind_and_steps_down(signed_in, session, bank, coordinator):
    """Their own membership was loaded by the user loader with its bank and account
    joined; locking it must lock the membership's row alone (on PostgreSQL a lock over
    the outer join was refused: a 500)."""
    own = coordinator.id
    response = signed_in.post(f"{MEMBERS}/{own}/kind", data={"kind-kind": "professional"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Membership, own).kind == MemberKind.PROFESSIONAL
    make_member(session, email="c2@example.org", bank=bank, role=Role.COORDINATOR)
    response = signed_in.post(f"{MEMBERS}/{own}/role", data={"role-role": "member"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Membership, own).role == Role.MEMBER


def test_the_members_rows_show_every_change_at_once(signed_in, session, bank, alice, coordinator):
    """The list's rows are kept by what they show (timebank/kept_parts.py): a balance
    changed, a name changed, a suspension and the other language each draw what they
    should, never what was kept."""
    from timebank.kept_parts import forget_all

    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    members_table = lambda client: without_tokens(  # noqa: E731
        client.get(MEMBERS).get_data(as_text=True)
    ).split('id="members-title"')[1]
    first = members_table(signed_in)
    assert members_table(signed_in) == first
    assert "Alice Ashdown" in first and "1 h 30 min" not in first

    record_transfer(
        session,
        actor=coordinator,
        giver=alice.account,
        receiver=bob.account,
        minutes=90,
        service_date=bank_today(),
    )
    session.commit()
    assert "1 h 30 min" in members_table(signed_in)

    alice.person.display_name = "Alys Ashdown"
    session.commit()
    renamed = members_table(signed_in)
    assert "Alys Ashdown" in renamed and "Alice Ashdown" not in renamed

    alice.status = MembershipStatus.SUSPENDED
    session.commit()
    assert "<td>Suspended</td>" in members_table(signed_in)

    signed_in.post("/language", data={"language": "cy", "next": "/"})
    welsh = members_table(signed_in)
    with force_locale("cy"):
        assert f"<td>{gettext('Suspended')}</td>" in welsh
    assert "<td>Suspended</td>" not in welsh
    forget_all()
    assert members_table(signed_in) == welsh
