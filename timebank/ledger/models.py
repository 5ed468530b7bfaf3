"""The ledger's tables: time banks (tenants), people, memberships, accounts, transfers and
the hash-chained audit log.

Amounts are whole minutes. An account is *credited* when its holder gives time and
*debited* when its holder receives time, so balance = credits - debits and, per time
bank, the balances sum to zero. Invariants that the database can hold are declared
here as constraints; the rest are enforced by the services under row locks and
re-checked by ``verify_ledger``. Times are naive UTC.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from timebank.ledger.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    # Stored as text with a CHECK constraint: portable and easy to migrate.
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    # A commissioner or funder: reads the partners' reports, takes no part in the member
    # area and holds no account.
    PARTNER = "partner"


# The roles that take part in a time bank's life: an account, exchanges, the notice
# board, profiles and messages. A partner membership has none of these.
MEMBER_ROLES = (Role.MEMBER, Role.COORDINATOR)


class MemberKind(enum.StrEnum):
    PARTICIPANT = "participant"
    PROFESSIONAL = "professional"


class MembershipStatus(enum.StrEnum):
    APPLIED = "applied"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DECLINED = "declined"
    LEFT = "left"


class AccountKind(enum.StrEnum):
    MEMBER = "member"
    ORGANISATION = "organisation"
    POT = "pot"
    # Counterpart of opening balances brought in from other software.
    EQUITY = "equity"


class TransferKind(enum.StrEnum):
    EXCHANGE = "exchange"
    GROUP = "group"
    DONATION = "donation"
    GRANT = "grant"
    REVERSAL = "reversal"
    OPENING_BALANCE = "opening_balance"


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    REJECTED = "rejected"


class TimeBank(Base):
    """A tenant: one community's time bank and its policies."""

    __tablename__ = "time_bank"
    __table_args__ = (
        sa.CheckConstraint(
            "floor_minutes IS NULL OR floor_minutes <= 0", name="floor_not_positive"
        ),
        sa.CheckConstraint("cap_minutes IS NULL OR cap_minutes > 0", name="cap_positive"),
        sa.CheckConstraint("max_minutes_per_transfer > 0", name="max_minutes_positive"),
        sa.CheckConstraint("max_backdate_days >= 0", name="backdate_not_negative"),
        sa.CheckConstraint("auto_approve_max_minutes >= 0", name="auto_approve_not_negative"),
        sa.CheckConstraint("minute_step BETWEEN 1 AND 60", name="minute_step_range"),
        sa.CheckConstraint("replacement_rate_pence >= 0", name="rate_not_negative"),
        sa.CheckConstraint("report_threshold >= 3", name="report_threshold_at_least_3"),
        sa.CheckConstraint(
            "group_credit_rule IN ('each', 'session')", name="group_credit_rule_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    # None means no floor / no cap.
    floor_minutes: Mapped[int | None] = mapped_column(default=-600)
    cap_minutes: Mapped[int | None] = mapped_column(default=None)
    requires_confirmation: Mapped[bool] = mapped_column(default=True)
    requires_approval: Mapped[bool] = mapped_column(default=True)
    # Whether people can apply to join from the website (otherwise by invitation only).
    accepts_applications: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Exchanges of at most this many minutes post without a coordinator (0: none do).
    auto_approve_max_minutes: Mapped[int] = mapped_column(default=0)
    max_minutes_per_transfer: Mapped[int] = mapped_column(default=12 * 60)
    max_backdate_days: Mapped[int] = mapped_column(default=90)
    minute_step: Mapped[int] = mapped_column(default=15)
    # Replacement-cost rate for the core-economy report (UK Real Living Wage 2024-25).
    replacement_rate_pence: Mapped[int] = mapped_column(default=1260)
    currency: Mapped[str] = mapped_column(sa.String(3), default="GBP")
    # Partners' reports suppress any figure about fewer people than this (and any figure
    # it could be worked out from).
    report_threshold: Mapped[int] = mapped_column(default=5, server_default="5")
    # How a workshop's leader is credited (timebank.ledger.group): "each", with each
    # participant's hours; "session", with the session's length once, paid by the
    # community pot or an organisation.
    group_credit_rule: Mapped[str] = mapped_column(
        sa.String(20), default="each", server_default="each"
    )
    # Whether a coordinator's own exchanges (and pot grants to them) need another
    # coordinator. None: yes when the bank has two or more coordinators (ledger.duties).
    own_exchanges_need_another_coordinator: Mapped[bool | None] = mapped_column()
    # Whether its coordinators and partners must use two-step sign-in
    # (timebank.community.two_step).
    two_step_required_for_staff: Mapped[bool] = mapped_column(
        default=True, server_default=sa.true()
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    categories: Mapped[list[Category]] = relationship(
        back_populates="time_bank", order_by="Category.name"
    )

    def __repr__(self) -> str:
        return f"<TimeBank {self.slug}>"


class Category(Base):
    """A category of service (care, children, neighbourhood, civic...)."""

    __tablename__ = "category"
    __table_args__ = (sa.UniqueConstraint("time_bank_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(120))
    # Categories that can reveal health status (personal care, peer support): reports
    # treat them as special-category data.
    is_sensitive: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    time_bank: Mapped[TimeBank] = relationship(back_populates="categories")


class Person(Base):
    """A sign-in identity. One person may belong to several time banks."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped at sign-out and password change so that old session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    # The language the person chose for pages and emails ("en", "cy"); None = not chosen.
    preferred_locale: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the person proved they read mail at ``email`` (by an emailed link); None for
    # accounts made another way (an import, an invitation, before this was recorded).
    email_verified_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


def sort_name_of(display_name: str) -> str:
    """A name as lists sort it: spaces made single, case folded (the same on both
    engines, unlike SQL's ``lower``)."""
    return " ".join(display_name.split()).casefold()[:120]


class Membership(Base):
    """A person in a time bank, with a role and a kind."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "time_bank_id"),
        sa.UniqueConstraint("time_bank_id", "external_ref"),
        # The members lists by name, paged by keyset (timebank.reports.keyset); it also
        # serves what time_bank_id alone served.
        sa.Index("ix_membership_bank_sort_name", "time_bank_id", "sort_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    # The person's name as the members lists sort it (``sort_name_of``), kept on the
    # membership so that one index serves a bank's members in name order. A person's
    # name is given once, when they are created, so it is written with the membership.
    sort_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default=sa.text("''"))
    role: Mapped[Role] = mapped_column(_enum(Role, "membership_role"), default=Role.MEMBER)
    kind: Mapped[MemberKind] = mapped_column(
        _enum(MemberKind, "membership_kind"), default=MemberKind.PARTICIPANT
    )
    status: Mapped[MembershipStatus] = mapped_column(
        _enum(MembershipStatus, "membership_status"), default=MembershipStatus.ACTIVE
    )
    consent_reporting: Mapped[bool] = mapped_column(default=False)
    consent_research: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The member's id in the software a time bank moved here from (imports match on it).
    external_ref: Mapped[str | None] = mapped_column(sa.String(80))
    # The profile other members of this time bank see: assets first.
    offers_text: Mapped[str] = mapped_column(sa.Text, default="", server_default=sa.text("''"))
    needs_text: Mapped[str] = mapped_column(sa.Text, default="", server_default=sa.text("''"))
    availability: Mapped[str] = mapped_column(
        sa.String(200), default="", server_default=sa.text("''")
    )
    area: Mapped[str] = mapped_column(sa.String(120), default="", server_default=sa.text("''"))
    # How they like to be contacted: "messages" (in the app) or "email".
    contact_preference: Mapped[str] = mapped_column(
        sa.String(20), default="messages", server_default="messages"
    )
    email_notifications: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    person: Mapped[Person] = relationship(back_populates="memberships")
    time_bank: Mapped[TimeBank] = relationship()
    account: Mapped[Account | None] = relationship(back_populates="membership", uselist=False)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR and self.status == MembershipStatus.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def is_partner(self) -> bool:
        """A partner membership: reports only, no account, never among the members."""
        return self.role == Role.PARTNER

    def __repr__(self) -> str:
        return f"<Membership {self.id} {self.role}>"


class Organisation(Base):
    """A council team, health board or charity that holds an account in a time bank."""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.UniqueConstraint("time_bank_id", "name"),
        sa.UniqueConstraint("time_bank_id", "external_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    external_ref: Mapped[str | None] = mapped_column(sa.String(80))

    account: Mapped[Account | None] = relationship(back_populates="organisation", uselist=False)


class OrganisationStaff(Base):
    """A member who may act for an organisation's account."""

    __tablename__ = "organisation_staff"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    membership: Mapped[Membership] = relationship()


class Account(Base):
    """Posted and pending debits and credits of one holder, in minutes.

    The counters change only in the same transaction as the transfer that changes them,
    with the account row locked.
    """

    __tablename__ = "account"
    __table_args__ = (
        sa.UniqueConstraint("id", "time_bank_id"),
        sa.CheckConstraint(
            "posted_debits >= 0 AND posted_credits >= 0 "
            "AND pending_debits >= 0 AND pending_credits >= 0",
            name="counters_not_negative",
        ),
        sa.CheckConstraint(
            "(kind = 'member' AND membership_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (kind = 'organisation' AND organisation_id IS NOT NULL"
            " AND membership_id IS NULL)"
            " OR (kind IN ('pot', 'equity') AND membership_id IS NULL"
            " AND organisation_id IS NULL)",
            name="one_holder",
        ),
        # The pot grants only what was donated: never below zero, pending grants counted.
        sa.CheckConstraint(
            "kind <> 'pot' OR posted_credits - posted_debits - pending_debits >= 0",
            name="pot_not_negative",
        ),
        sa.Index(
            "uq_account_one_pot_per_bank",
            "time_bank_id",
            "kind",
            unique=True,
            sqlite_where=sa.text("kind IN ('pot', 'equity')"),
            postgresql_where=sa.text("kind IN ('pot', 'equity')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind, "account_kind"))
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), unique=True
    )
    posted_debits: Mapped[int] = mapped_column(default=0)
    posted_credits: Mapped[int] = mapped_column(default=0)
    pending_debits: Mapped[int] = mapped_column(default=0)
    pending_credits: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    membership: Mapped[Membership | None] = relationship(back_populates="account")
    organisation: Mapped[Organisation | None] = relationship(back_populates="account")
    time_bank: Mapped[TimeBank] = relationship()

    @property
    def balance(self) -> int:
        """Posted balance in minutes: time given minus time received."""
        return self.posted_credits - self.posted_debits

    @property
    def label(self) -> str:
        person = self.membership.person.display_name if self.membership is not None else None
        organisation = self.organisation.name if self.organisation is not None else None
        return account_label(self.kind, person, organisation)

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.kind}>"


def account_label(kind: str, person_name: str | None, organisation_name: str | None) -> str:
    """What an account is called: its member's or organisation's name, or what it is
    (the web layer names the pot and the opening-balances account in the reader's
    language). Lists that read accounts as plain columns use it as ``Account.label``
    does."""
    if kind == AccountKind.MEMBER and person_name is not None:
        return person_name
    if kind == AccountKind.ORGANISATION and organisation_name is not None:
        return organisation_name
    if kind == AccountKind.POT:
        return "Community pot"
    return "Opening balances"


class Transfer(Base):
    """Time moving from a giver (credited) to a receiver (debited).

    Pending transfers count against limits; posted ones are final and never change (a
    database trigger refuses it); mistakes are corrected by a reversal transfer.
    """

    __tablename__ = "transfer"
    __table_args__ = (
        sa.CheckConstraint("minutes > 0", name="positive_minutes"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="not_to_self"),
        sa.CheckConstraint("status <> 'posted' OR posted_at IS NOT NULL", name="posted_has_time"),
        sa.CheckConstraint(
            "status <> 'rejected' OR (rejected_at IS NOT NULL AND reason IS NOT NULL)",
            name="rejected_has_reason",
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_links_original"
        ),
        # Both accounts belong to the transfer's own time bank.
        sa.ForeignKeyConstraint(
            ["debit_account_id", "time_bank_id"], ["account.id", "account.time_bank_id"]
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id", "time_bank_id"], ["account.id", "account.time_bank_id"]
        ),
        sa.UniqueConstraint("time_bank_id", "idempotency_key"),
        # The coordinators' lists, paged by keyset (timebank.reports.keyset): the posted
        # exchanges newest first, the queue oldest first. Each also serves what
        # (time_bank_id, status) alone served.
        sa.Index("ix_transfer_bank_status_posted", "time_bank_id", "status", "posted_at", "id"),
        sa.Index("ix_transfer_bank_status_recorded", "time_bank_id", "status", "recorded_at", "id"),
        # An account's entries by date, one index a side: the pot page newest first, and
        # each member's last exchange (the coordinators' overview); each serves what the
        # account id alone served.
        sa.Index("ix_transfer_debit_date", "debit_account_id", "service_date", "id"),
        sa.Index("ix_transfer_credit_date", "credit_account_id", "service_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    debit_account_id: Mapped[int] = mapped_column()
    credit_account_id: Mapped[int] = mapped_column()
    minutes: Mapped[int]
    service_date: Mapped[date]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id"))
    kind: Mapped[TransferKind] = mapped_column(_enum(TransferKind, "transfer_kind"))
    status: Mapped[TransferStatus] = mapped_column(
        _enum(TransferStatus, "transfer_status"), default=TransferStatus.PENDING
    )
    # The policy in force when it was recorded: what must happen before it posts.
    needs_confirmation: Mapped[bool] = mapped_column(default=False)
    needs_approval: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    confirmed_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    approved_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    rejected_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    # Why it was rejected, or why it reverses another.
    reason: Mapped[str | None] = mapped_column(sa.Text)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80))
    # A transfer is reversed at most once: the unique key makes that a database fact.
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transfer.id"), unique=True)
    # Linked transfers (a group exchange) that post or fail together.
    batch_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)

    # Read only, every one: the services write a transfer's id columns, never these, so
    # the unit of work has no dependency between objects to work out when it flushes a
    # transfer (the self-referential ``reverses`` made it sort each flush as a cycle).
    debit_account: Mapped[Account] = relationship(
        foreign_keys=[debit_account_id],
        primaryjoin="Transfer.debit_account_id == Account.id",
        viewonly=True,
    )
    credit_account: Mapped[Account] = relationship(
        foreign_keys=[credit_account_id],
        primaryjoin="Transfer.credit_account_id == Account.id",
        viewonly=True,
    )
    category: Mapped[Category | None] = relationship(viewonly=True)
    # The transfer locks load the bank with the transfer (posting.py).
    time_bank: Mapped[TimeBank] = relationship(viewonly=True)
    reverses: Mapped[Transfer | None] = relationship(
        remote_side=[id], foreign_keys=[reverses_id], viewonly=True
    )
    recorded_by: Mapped[Membership | None] = relationship(
        foreign_keys=[recorded_by_id], viewonly=True
    )

    @property
    def hours(self) -> float:
        return self.minutes / 60

    def __repr__(self) -> str:
        return f"<Transfer {self.id} {self.minutes}m {self.status}>"


class AuditEntry(Base):
    """One state change, append-only and hash-chained per time bank.

    ``hash`` = sha256(prev_hash + canonical JSON of the entry). Triggers refuse UPDATE
    and DELETE; a unique (time_bank_id, prev_hash) makes a forked chain impossible.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.UniqueConstraint("time_bank_id", "seq"),
        sa.UniqueConstraint("time_bank_id", "prev_hash"),
        # An entry's history (the approval page) and the log filtered to a member: by
        # what the entries are about, not a scan of the whole log.
        sa.Index("ix_audit_entry_entity", "time_bank_id", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"))
    seq: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))
    action: Mapped[str] = mapped_column(sa.String(60))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChain(Base):
    """The head of each time bank's audit chain; its row lock orders appends."""

    __tablename__ = "audit_chain"

    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))


class VerifyCheckpoint(Base):
    """How far a time bank's ledger was last found consistent: the audit entry the
    check reached (its seq and hash), the highest transfer id then, and when. An
    incremental check starts here."""

    __tablename__ = "verify_checkpoint"

    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), primary_key=True)
    last_seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    last_transfer_id: Mapped[int]
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerifyCheckpointAccount(Base):
    """An account's four counters as they were, found right, at its bank's checkpoint:
    an incremental check adds what changed since and expects today's counters."""

    __tablename__ = "verify_checkpoint_account"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(sa.ForeignKey("time_bank.id"), index=True)
    posted_debits: Mapped[int]
    posted_credits: Mapped[int]
    pending_debits: Mapped[int]
    pending_credits: Mapped[int]
