"""Building small time banks for the reciprocity report's tests, through the ledger's
own services (so every transfer, reversal, donation and grant is as the app makes it)."""

from __future__ import annotations

from datetime import date, datetime

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TimeBankFactory,
)
from timebank.ledger import banks
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import MemberKind, Role
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import record_transfer, reverse_transfer

TODAY = date(2026, 6, 30)


class Bank:
    """A time bank that posts every exchange at once, with a coordinator to act for
    organisations, groups, grants and reversals."""

    def __init__(self, session, *, threshold: int = 5, name: str | None = None, **policy):
        self.session = session
        extra = {"name": name} if name else {}
        self.bank = TimeBankFactory(
            requires_confirmation=False,
            requires_approval=False,
            max_backdate_days=3000,
            floor_minutes=None,
            report_threshold=threshold,
            **extra,
            **policy,
        )
        self.coordinator = self.member(
            "Cora Coordinator", kind=MemberKind.PROFESSIONAL, role=Role.COORDINATOR
        )

    @property
    def id(self) -> int:
        return self.bank.id

    def member(
        self,
        name: str,
        *,
        kind: MemberKind = MemberKind.PARTICIPANT,
        consent: bool = True,
        joined: date = date(2026, 1, 15),
        role: Role = Role.MEMBER,
        person=None,
    ):
        factory = CoordinatorFactory if role == Role.COORDINATOR else MembershipFactory
        membership = factory(
            bank=self.bank,
            person=person or PersonFactory(display_name=name),
            kind=kind,
            role=role,
            consent_reporting=consent,
        )
        membership.joined_at = datetime.combine(joined, datetime.min.time())
        self.session.flush()
        return membership

    def organisation(self, name: str):
        return OrganisationFactory(bank=self.bank, name=name)

    def give(
        self,
        giver,
        receiver,
        minutes: int,
        on: date,
        category: str | None = None,
        description: str = "",
    ):
        """``giver`` and ``receiver``: memberships or organisations."""
        giver_account, receiver_account = giver.account, receiver.account
        actor = giver if hasattr(giver, "person") else self.coordinator
        return record_transfer(
            self.session,
            actor=actor,
            giver=giver_account,
            receiver=receiver_account,
            minutes=minutes,
            service_date=on,
            category=category,
            description=description,
            today=TODAY,
        )

    def workshop(self, hub, people, minutes: int, on: date, category: str | None = None):
        return record_group_exchange(
            self.session,
            actor=self.coordinator,
            hub=hub.account,
            hub_gives=True,
            participants=[(p.account, minutes) for p in people],
            service_date=on,
            category=category,
            today=TODAY,
        )

    def donate(self, donor, minutes: int, on: date):
        return donate_to_pot(
            self.session, actor=self.coordinator, donor=donor.account, minutes=minutes, today=on
        )

    def grant(self, recipient, minutes: int, on: date):
        return grant_from_pot(
            self.session,
            actor=self.coordinator,
            recipient=recipient.account,
            minutes=minutes,
            reason="Help while unwell",
            today=on,
        )

    def reverse(self, transfer, on: date = TODAY):
        return reverse_transfer(
            self.session,
            actor=self.coordinator,
            transfer_id=transfer.id,
            reason="Recorded twice",
            today=on,
        )

    def pot_balance(self) -> int:
        pot = banks.get_pot_account(self.session, self.bank.id)
        return pot.posted_credits - pot.posted_debits - pot.pending_debits

    def set_policy(self, **changes):
        banks.update_policy(self.session, actor=None, bank=self.bank, **changes)
