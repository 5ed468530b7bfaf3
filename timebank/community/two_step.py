"""Two-step sign-in (multi-factor): a code from an authenticator app after the password,
or one of ten single-use recovery codes.

A person sets it up in two moves: :func:`start_setup` keeps a new secret (encrypted)
and :func:`finish_setup` turns it on once they type a code it makes, returning the
recovery codes (shown once; only their keyed hashes are kept). :func:`check_code`
accepts a code at sign-in and when someone confirms it is them; a code's step is
recorded with a conditional UPDATE, so the same code (or an older one) never works
twice, even for two requests at once. Coordinators and partners of a bank that requires
it (:func:`is_required`) must set it up before they reach anything else; a coordinator
can reset a member's (audited), for a lost phone.

Services flush and never commit; the request owns the transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.community import totp
from timebank.community.secret_box import SecretBox, UnreadableSecretError
from timebank.community.sign_in_sessions import Ended, end_all
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.clock import now, utcnow
from timebank.ledger.models import Base, Membership, MembershipStatus, Person, Role


class TwoStep(Base):
    """A person's authenticator secret. ``enabled_at`` is None while set-up waits for
    the first code."""

    __tablename__ = "two_step"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(sa.String(255))
    enabled_at: Mapped[datetime | None]
    # The last 30-second step whose code was accepted: it and every earlier one are
    # refused from then on.
    last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(Base):
    __tablename__ = "recovery_code"
    __table_args__ = (sa.UniqueConstraint("person_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TwoStepError(errors.LedgerError):
    code = "two_step"


class Accepted(enum.Enum):
    APP_CODE = "app_code"
    RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class Status:
    on: bool
    recovery_codes_left: int


def _record(session: Session, person: Person) -> TwoStep | None:
    return session.get(TwoStep, person.id)


def is_on(session: Session, person: Person) -> bool:
    record = _record(session, person)
    return record is not None and record.enabled_at is not None


def status(session: Session, person: Person) -> Status:
    left = session.scalar(
        sa.select(sa.func.count(RecoveryCode.id)).where(
            RecoveryCode.person_id == person.id, RecoveryCode.used_at.is_(None)
        )
    )
    return Status(on=is_on(session, person), recovery_codes_left=left or 0)


def is_required(person: Person) -> bool:
    """Whether ``person`` must use two-step sign-in: they coordinate, or read partners'
    reports, in a bank whose setting asks for it."""
    for membership in person.memberships:
        if membership.status != MembershipStatus.ACTIVE:
            continue
        staff = membership.role in (Role.COORDINATOR, Role.PARTNER)
        if staff and membership.time_bank.two_step_required_for_staff:
            return True
    return False


@dataclass(frozen=True)
class SetUpState:
    on: bool
    # The secret already waiting for set-up; None when none is waiting, it cannot be
    # read, or two-step sign-in is on (``start_setup`` then decides).
    waiting_secret: str | None


def setup_state(session: Session, box: SecretBox, person: Person) -> SetUpState:
    """Whether two-step sign-in is on, and the secret waiting for set-up: one read,
    nothing written."""
    record = _record(session, person)
    if record is None or record.enabled_at is not None:
        return SetUpState(on=record is not None, waiting_secret=None)
    try:
        return SetUpState(on=False, waiting_secret=box.decrypt(record.secret_encrypted))
    except UnreadableSecretError:
        return SetUpState(on=False, waiting_secret=None)


def start_setup(session: Session, box: SecretBox, person: Person) -> str:
    """The secret to show for set-up: the one already waiting (so reloading the page
    shows the same QR code), or a new one."""
    record = _record(session, person)
    if record is not None and record.enabled_at is not None:
        raise TwoStepError("Two-step sign-in is already on.")
    if record is not None:
        try:
            return box.decrypt(record.secret_encrypted)
        except UnreadableSecretError:
            session.delete(record)
            session.flush()
    secret = totp.new_secret()
    session.add(TwoStep(person_id=person.id, secret_encrypted=box.encrypt(secret)))
    session.flush()
    return secret


def _replace_recovery_codes(session: Session, box: SecretBox, person: Person) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    codes = totp.new_recovery_codes()
    session.add_all(
        RecoveryCode(person_id=person.id, code_hash=totp.hash_recovery_code(box.hashing_key, c))
        for c in codes
    )
    session.flush()
    return codes


def _take_step(session: Session, record: TwoStep, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) already was: one UPDATE, so two
    requests with the same code cannot both win."""
    result = session.execute(
        sa.update(TwoStep)
        .where(
            TwoStep.person_id == record.person_id,
            sa.or_(TwoStep.last_step.is_(None), TwoStep.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.expire(record)
    return cast(sa.CursorResult, result).rowcount == 1


def finish_setup(
    session: Session, box: SecretBox, person: Person, code: str, *, at: datetime | None = None
) -> list[str]:
    """Turn two-step sign-in on when ``code`` comes from the waiting secret; returns the
    ten recovery codes, which are never shown again."""
    record = _record(session, person)
    if record is None or record.enabled_at is not None:
        raise TwoStepError("Start setting up two-step sign-in again.", field="code")
    try:
        secret = box.decrypt(record.secret_encrypted)
    except UnreadableSecretError:
        raise TwoStepError("Start setting up two-step sign-in again.", field="code") from None
    step = totp.matching_step(secret, code, at or now(), after_step=record.last_step)
    if step is None or not _take_step(session, record, step):
        raise TwoStepError(
            "That code does not match. Type the 6 digits the app shows now.", field="code"
        )
    record.enabled_at = utcnow()
    session.flush()
    return _replace_recovery_codes(session, box, person)


def check_code(
    session: Session, box: SecretBox, person: Person, typed: str, *, at: datetime | None = None
) -> Accepted | None:
    """Accept a code from the app (not used before) or an unused recovery code, marking
    it used; None when neither matches."""
    record = _record(session, person)
    if record is None or record.enabled_at is None:
        return None
    if totp.looks_like_totp(typed):
        try:
            secret = box.decrypt(record.secret_encrypted)
        except UnreadableSecretError:
            return None
        step = totp.matching_step(secret, typed, at or now(), after_step=record.last_step)
        if step is not None and _take_step(session, record, step):
            return Accepted.APP_CODE
        return None
    code_hash = totp.hash_recovery_code(box.hashing_key, typed)
    used = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.person_id == person.id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return Accepted.RECOVERY_CODE if cast(sa.CursorResult, used).rowcount == 1 else None


def new_recovery_codes(session: Session, box: SecretBox, person: Person) -> list[str]:
    """Ten new recovery codes in place of the old ones (all of which stop working)."""
    if not is_on(session, person):
        raise TwoStepError("Two-step sign-in is off.")
    return _replace_recovery_codes(session, box, person)


def turn_off(session: Session, person: Person) -> None:
    """Forget the secret and the recovery codes."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    session.execute(sa.delete(TwoStep).where(TwoStep.person_id == person.id))
    session.flush()


def reset_for_member(session: Session, *, actor: Membership, membership: Membership) -> None:
    """A coordinator turns off a member's two-step sign-in (a lost phone): the member
    sets it up again at their next sign-in if their role requires it. Audited."""
    if not actor.is_coordinator or actor.time_bank_id != membership.time_bank_id:
        raise errors.NotAllowedError("Only a coordinator of this time bank can do that.")
    if actor.person_id == membership.person_id:
        raise TwoStepError("Change your own two-step sign-in on your account's security page.")
    person = membership.person
    if not is_on(session, person):
        raise TwoStepError(
            "%(name)s does not have two-step sign-in turned on.",
            name=person.display_name,
        )
    turn_off(session, person)
    # Every session the member had ends: whoever holds the phone is signed out too.
    person.session_version += 1
    end_all(session, person_id=person.id, reason=Ended.ENDED_BY_COORDINATOR)
    session.flush()
    append_audit(
        session,
        time_bank_id=membership.time_bank_id,
        actor=actor,
        action="membership.two_step_reset",
        entity_type="membership",
        entity_id=membership.id,
        before={"two_step": True},
        after={"two_step": False},
    )
