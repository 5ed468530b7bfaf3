"""A Hypothesis fuzz of every form route (issue 11): every POST route, and every GET
route with query parameters, as the role that uses it, with hostile values (numbers past
any range, negative and non-ASCII digits, dates such as 9999-12-31, NUL and other
control characters, very long text, lists where one value is expected, fields missing)
and a valid CSRF token. Never a 500; after a field error, nothing written.

Derandomized, a few examples per route: the same requests every run, in well under a
minute on SQLite. ``TIMEBANK_FORM_FUZZ_EXAMPLES`` sends more (for a longer hunt).
The machinery is in tests/web/form_fuzzing.py."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.factories import OrganisationFactory, TimeBankFactory, bank_today
from tests.web.form_fuzzing import Failure, Target, find_targets, fuzz, signed_in_client
from tests.web.support import make_member
from timebank.community import sign_in_sessions
from timebank.community.api_tokens import create_token
from timebank.community.invitations import create_invitation
from timebank.community.listings import pause_listing, post_listing
from timebank.community.messages import start_thread
from timebank.community.organisations import add_staff, deactivate_organisation
from timebank.extensions import db
from timebank.importing.models import ImportRun
from timebank.ledger.categories import add_category
from timebank.ledger.models import MembershipStatus, Role
from timebank.ledger.transfers import record_transfer

EXAMPLES = int(os.environ.get("TIMEBANK_FORM_FUZZ_EXAMPLES", "3"))
TODAY = bank_today()

# Each role: who signs in, and a page of theirs with a form (for the CSRF token).
ROLES = {
    "visitor": (None, "/auth/sign-in"),
    "member": ("alice@example.org", "/members/"),
    "coordinator": ("cora@example.org", "/coordinators/"),
    "partner": ("paula@example.org", "/partners/"),
}


@pytest.fixture
def world(app, session, tmp_path):
    """One time bank with something of every kind a route names: members, a coordinator,
    a partner, an applicant, an organisation with staff, a category, a listing, a
    conversation, posted and waiting exchanges, an invitation, an import, a token."""
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["IMPORT_FOLDER"] = str(tmp_path / "imports")
    bank = TimeBankFactory(slug="riverside", name="Riverside Time Bank")
    cora = make_member(
        session, email="cora@example.org", name="Cora", bank=bank, role=Role.COORDINATOR
    )
    alice = make_member(session, email="alice@example.org", name="Alice", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob", bank=bank)
    make_member(session, email="paula@example.org", name="Paula", bank=bank, role=Role.PARTNER)
    applicant = make_member(
        session, email="nia@example.org", name="Nia", bank=bank, status=MembershipStatus.APPLIED
    )
    organisation = OrganisationFactory(bank=bank, name="Parish council")
    closed = OrganisationFactory(bank=bank, name="Old club")
    session.flush()
    deactivate_organisation(session, actor=cora, organisation=closed)
    add_staff(session, actor=cora, organisation=organisation, member=bob)
    add_category(session, actor=cora, name="Bicycle repairs")
    listing = post_listing(session, actor=alice, kind="offer", title="Help with shopping")
    paused = post_listing(session, actor=alice, kind="request", title="A lift to town")
    session.flush()
    pause_listing(session, actor=alice, listing_id=paused.id)
    thread = start_thread(session, alice, bob, "Shopping", "Hello Bob")
    posted = record_transfer(
        session,
        actor=cora,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=TODAY - timedelta(days=2),
    )
    waiting = record_transfer(
        session,
        actor=bob,
        giver=bob.account,
        receiver=alice.account,
        minutes=30,
        service_date=TODAY - timedelta(days=1),
    )
    invitation, invitation_token = create_invitation(session, actor=cora)
    run = ImportRun(
        time_bank_id=bank.id,
        created_by_id=cora.id,
        layout="members",
        filename="m.csv",
        status="checked",
        message="{}",
    )
    session.add(run)
    token = create_token(session, person=alice.person, name="phone", scope="read", days=30)
    # Bob's sign-in elsewhere: ending it signs none of the fuzzing clients out.
    bobs_session = sign_in_sessions.start(
        session, person_id=bob.person_id, browser="Firefox", system="Android"
    )
    session.commit()
    # What each route parameter names: the first is used where no page shows a form.
    return {
        "transfer_id": [waiting.id, posted.id],
        "posted_transfer_id": [posted.id],
        "membership_id": [bob.id, applicant.id],
        "organisation_id": [organisation.id, closed.id],
        "invitation_id": [invitation.id],
        "import_id": [run.id],
        "listing_id": [listing.id, paused.id],
        "thread_id": [thread.id],
        "token_id": [token.token.id],
        "session_id": [bobs_session.row.id],
        "slug": ["riverside"],
        "token": [invitation_token],
    }


def run_fuzz(app, session, world, *, only: set[str] | None = None) -> tuple[list, list, int]:
    clients = {role: signed_in_client(app, email, home) for role, (email, home) in ROLES.items()}
    targets = find_targets(app, {role: c for role, (c, _t) in clients.items()}, world, pages=only)
    if only is not None:
        targets = [t for t in targets if t.endpoint in only]
    failures: list[Failure] = []
    sent = 0
    for target in targets:
        client, token = clients[target.role]
        sent += fuzz(target, client, session, token=token, examples=EXAMPLES, failures=failures)
    return targets, failures, sent


def test_no_form_route_answers_hostile_input_with_a_500(app, session, world):
    targets, failures, sent = run_fuzz(app, session, world)
    if os.environ.get("TIMEBANK_FORM_FUZZ_SHOW"):
        for target in targets:
            print(target.name, target.found_on_page, sorted(target.fields), target.statuses)
        print(failures)
    posts = {t.endpoint for t in targets if t.method == "POST"}
    # Every POST route of the app is a target (sign-out and the API aside).
    expected = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "POST" in r.methods
        and not r.endpoint.startswith("api")
        and r.endpoint != "auth.sign_out"
    }
    assert posts == expected
    # Most with the fields of the form a page shows; the GET filters too.
    assert sum(t.found_on_page for t in targets if t.method == "POST") >= 40
    assert {"coordinators.audit", "members.listings_browse"} <= {
        t.endpoint for t in targets if t.method == "GET"
    }
    assert {t.role for t in targets} == {"visitor", "member", "coordinator", "partner"}
    assert sent >= len(targets) * min(EXAMPLES, 2)
    assert failures == []


def test_the_fuzz_catches_a_planted_500(app, session, world):
    """The fuzz can fail: a view that breaks on a NUL in a field is caught."""
    original = app.view_functions["members.listing_new"]

    def broken(*args, **kwargs):
        from flask import request

        if any("\x00" in value for value in request.form.values()):
            raise ZeroDivisionError("planted")
        return original(*args, **kwargs)

    app.view_functions["members.listing_new"] = broken
    _targets, failures, _sent = run_fuzz(app, session, world, only={"members.listing_new"})
    assert [f.target for f in failures] == ["POST /members/listings/new as member"]
    assert "ZeroDivisionError: planted" in failures[0].problem


def test_the_fuzz_catches_a_field_error_that_wrote(app, session, world):
    """And a field error after something was written."""
    original = app.view_functions["members.listing_new"]

    def writes_then_refuses(*args, **kwargs):
        from flask import request

        from timebank.community.listings import post_listing as post
        from timebank.ledger.models import Membership

        if request.method == "POST":
            alice = db.session.get(Membership, world_member_id(session))
            post(db.session, actor=alice, kind="offer", title="Written anyway")
            db.session.commit()
            return "a field error", 400
        return original(*args, **kwargs)

    app.view_functions["members.listing_new"] = writes_then_refuses
    _targets, failures, _sent = run_fuzz(app, session, world, only={"members.listing_new"})
    assert len(failures) == 1 and "a field error (400) wrote" in failures[0].problem


def world_member_id(session) -> int:
    from sqlalchemy import select

    from timebank.ledger.models import Membership, Person

    return session.scalar(
        select(Membership.id).join(Person).where(Person.email == "alice@example.org")
    )


def test_targets_name_their_role(app, session, world):
    target = Target("POST", "members.log_exchange", "/members/log", "member")
    assert target.name == "POST /members/log as member"
