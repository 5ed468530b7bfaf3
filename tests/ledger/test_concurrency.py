"""Many writers at once, each with its own session and connection, on a real database.

PostgreSQL: threads record, confirm, approve, reject and correct each other's exchanges
between a few shared "hot" accounts for several seconds, and donate, grant, record group
exchanges and reverse posted entries among them; afterwards every acknowledged (committed)
operation must be in the database exactly as acknowledged, nothing else may be there, the
cached counters must add up and nobody may be below the floor. Focused races: several
coordinators approving (or rejecting) the same pending exchange at the same instant, and
several requests carrying the same idempotency key.

SQLite (and PostgreSQL): a few threads writing at once take turns through
``BEGIN IMMEDIATE`` without a single error.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.clock import today_in
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.database import run_in_transaction
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import (
    Account,
    AuditEntry,
    Membership,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.opening import record_opening_balance
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reject_transfer,
    reverse_transfer,
)
from timebank.ledger.verify import verify_ledger

FLOOR = -600  # -10 h
THREADS = 8
RUN_SECONDS = 4.5
MAX_OPS_PER_THREAD = 400
# The least of each kind the stress run does: on a busy machine it runs past RUN_SECONDS
# (up to MAX_RUN_SECONDS) until it has.
AT_LEAST = {"record": 50, "confirm": 10, "approve": 10, "reject": 1, "correct": 1}
AT_LEAST.update(dict.fromkeys(("donate", "grant", "group", "reverse"), 1))
MAX_RUN_SECONDS = 60


def _bank_with_members(session, *, members: int, coordinators: int, **policy):
    """A bank, its hot members and coordinators, committed; returns ids and today's date.

    Nothing is left open in ``session``: on SQLite even a read begins a write transaction
    (``BEGIN IMMEDIATE``) that would hold the writers off."""
    bank = TimeBankFactory(floor_minutes=FLOOR, cap_minutes=None, **policy)
    hot = [MembershipFactory(bank=bank) for _ in range(members)]
    coords = [CoordinatorFactory(bank=bank) for _ in range(coordinators)]
    ids = bank.id, [m.id for m in hot], [c.id for c in coords], today_in(bank.timezone)
    session.commit()
    return ids


def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=db.engine)


def _run_threads(count: int, target) -> list[BaseException]:
    """Run ``target(index)`` in ``count`` threads; return what any of them raised."""
    failures: list[BaseException] = []
    lock = threading.Lock()

    def wrapper(index: int) -> None:
        try:
            target(index)
        except BaseException as error:
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer thread hung"
    return failures


@dataclass
class Acked:
    """What the writers were told, after COMMIT returned, about one transfer."""

    debit_id: int
    credit_id: int
    minutes: int
    needs_confirmation: bool
    needs_approval: bool
    recorded_by: int
    status: TransferStatus
    confirmed_by: int | None = None
    approved_by: int | None = None
    terminal_acks: list[str] = field(default_factory=list)


class Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.transfers: dict[int, Acked] = {}
        self.open: set[int] = set()
        self.posted: set[int] = set()
        # Confirmations and corrections of one entry touch the same marks (a correction
        # of the time undoes a confirmation): they acknowledge in their commit order.
        self.confirmations = threading.Lock()
        self.ops: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.unexpected: list[str] = []

    def pick_open(self, rng: random.Random) -> tuple[int, Acked] | None:
        with self.lock:
            if not self.open:
                return None
            transfer_id = rng.choice(sorted(self.open))
            return transfer_id, self.transfers[transfer_id]


@pytest.mark.postgres_only
def test_many_writers_on_hot_accounts_lose_nothing_and_invent_nothing(session, caplog):
    caplog.set_level(logging.INFO, logger="timebank.ledger.database")
    bank_id, member_ids, coordinator_ids, today = _bank_with_members(
        session, members=6, coordinators=2
    )
    make_session = _session_factory()
    registry = Registry()
    # Everyone starts with 2 h earned, so that donations (and then grants) can happen.
    coordinator = session.get(Membership, coordinator_ids[0])
    for member_id in member_ids:
        opening = record_opening_balance(
            session,
            actor=coordinator,
            account=session.get(Membership, member_id).account,
            minutes=120,
        )
        registry.transfers[opening.id] = Acked(
            opening.debit_account_id,
            opening.credit_account_id,
            120,
            False,
            False,
            coordinator.id,
            TransferStatus.POSTED,
            approved_by=coordinator.id,
        )
    session.commit()
    started = time.monotonic()

    def done() -> bool:
        elapsed = time.monotonic() - started
        if elapsed > MAX_RUN_SECONDS:
            return True
        with registry.lock:
            enough = all(registry.ops[kind] >= n for kind, n in AT_LEAST.items())
        return elapsed > RUN_SECONDS and enough

    def worker(index: int) -> None:
        rng = random.Random(1000 + index)
        with make_session() as s:
            memberships = {
                m.id: m
                for m in s.scalars(sa.select(Membership).where(Membership.time_bank_id == bank_id))
            }
            account_of = {m_id: m.account.id for m_id, m in memberships.items()}
            member_of_account = {a: m for m, a in account_of.items()}
            s.commit()
            for _ in range(MAX_OPS_PER_THREAD):
                if done():
                    return
                roll = rng.random()
                try:
                    if roll < 0.35:
                        actor_id, other_id = rng.sample(member_ids, 2)
                        giver_id, receiver_id = (
                            (actor_id, other_id) if rng.random() < 0.5 else (other_id, actor_id)
                        )
                        _record(
                            s, rng, registry, memberships, actor_id, giver_id, receiver_id, today
                        )
                    elif roll < 0.45:
                        giver_id, receiver_id = rng.sample(member_ids, 2)
                        _record(
                            s,
                            rng,
                            registry,
                            memberships,
                            rng.choice(coordinator_ids),
                            giver_id,
                            receiver_id,
                            today,
                        )
                    elif roll < 0.65:
                        _confirm(s, rng, registry, memberships, account_of, member_of_account)
                    elif roll < 0.80:
                        _approve(s, rng, registry, memberships, coordinator_ids)
                    elif roll < 0.83:
                        _reject(s, rng, registry, memberships, coordinator_ids)
                    elif roll < 0.87:
                        _correct(s, rng, registry, memberships, coordinator_ids)
                    elif roll < 0.90:
                        _donate(s, rng, registry, memberships, member_ids)
                    elif roll < 0.93:
                        _grant(s, rng, registry, memberships, member_ids, coordinator_ids)
                    elif roll < 0.96:
                        _group(s, rng, registry, memberships, member_ids, coordinator_ids, today)
                    else:
                        _reverse(s, rng, registry, memberships, coordinator_ids)
                except errors.LedgerError as refusal:
                    # A rule refused it (floor, already resolved...): nothing was written.
                    with registry.lock:
                        registry.refusals[type(refusal).__name__] += 1
                except Exception as error:
                    with registry.lock:
                        registry.unexpected.append(f"thread {index}: {error!r}")

    failures = _run_threads(THREADS, worker)
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    print(
        f"operations {dict(registry.ops)}, refusals {dict(registry.refusals)},"
        f" retries {len(retries)}"
    )
    assert failures == []
    assert registry.unexpected == [], registry.unexpected[:5]
    # No idempotency keys here, so a retry could only be a deadlock (40P01): locking in a
    # fixed order (transfers, accounts, audit chain head) means there is none.
    assert [r.getMessage() for r in retries] == []
    # The run did real, contended work of every kind.
    for kind, least in AT_LEAST.items():
        assert registry.ops[kind] >= least, registry.ops

    session.expire_all()
    assert verify_ledger(session) == []

    rows = {
        t.id: t
        for t in session.scalars(sa.select(Transfer).where(Transfer.time_bank_id == bank_id))
    }
    # Every acknowledged transfer is there, and nothing unacknowledged was written.
    assert set(rows) == set(registry.transfers)
    expected_counters: dict[int, Counter[str]] = defaultdict(Counter)
    for transfer_id, acked in registry.transfers.items():
        row = rows[transfer_id]
        assert len(acked.terminal_acks) <= 1, (transfer_id, acked.terminal_acks)
        assert row.status == acked.status, transfer_id
        assert (row.debit_account_id, row.credit_account_id, row.minutes) == (
            acked.debit_id,
            acked.credit_id,
            acked.minutes,
        )
        assert row.confirmed_by_id == acked.confirmed_by, transfer_id
        assert row.approved_by_id == acked.approved_by, transfer_id
        if acked.status == TransferStatus.POSTED:
            expected_counters[acked.debit_id]["posted_debits"] += acked.minutes
            expected_counters[acked.credit_id]["posted_credits"] += acked.minutes
        elif acked.status == TransferStatus.PENDING:
            expected_counters[acked.debit_id]["pending_debits"] += acked.minutes
            expected_counters[acked.credit_id]["pending_credits"] += acked.minutes

    accounts = session.scalars(sa.select(Account).where(Account.time_bank_id == bank_id)).all()
    for account in accounts:
        expected = expected_counters[account.id]
        assert (
            account.posted_debits,
            account.posted_credits,
            account.pending_debits,
            account.pending_credits,
        ) == (
            expected["posted_debits"],
            expected["posted_credits"],
            expected["pending_debits"],
            expected["pending_credits"],
        ), account.id
        # Nobody below the floor, even if every pending debit posted (a reversal may
        # take someone below it: a correction must always be possible).
        if account.membership_id is not None:
            reversed_away = sum(
                t.minutes
                for t in rows.values()
                if t.kind == TransferKind.REVERSAL and t.debit_account_id == account.id
            )
            assert account.balance - account.pending_debits + reversed_away >= FLOOR, account.id
    assert sum(a.balance for a in accounts) == 0

    # Each acknowledged operation is in the audit log exactly once.
    actions = Counter(
        session.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.time_bank_id == bank_id, AuditEntry.entity_type == "transfer"
            )
        )
    )
    assert actions["transfer.recorded"] == registry.ops["record"] + registry.ops["group entries"]
    assert actions["transfer.confirmed"] == registry.ops["confirm"]
    assert actions["transfer.corrected"] == registry.ops["correct"]
    assert actions["pot.donation"] == registry.ops["donate"]
    assert actions["pot.grant"] == registry.ops["grant"]
    assert actions["transfer.reversed"] == registry.ops["reverse"]
    assert actions["transfer.approved"] == registry.ops["approve"]
    assert actions["transfer.rejected"] == registry.ops["reject"]


def _record(s, rng, registry, memberships, actor_id, giver_id, receiver_id, today):
    actor = memberships[actor_id]
    minutes = rng.choice([15, 30, 45, 60, 90, 120])

    def work():
        transfer = record_transfer(
            s,
            actor=actor,
            giver=memberships[giver_id].account,
            receiver=memberships[receiver_id].account,
            minutes=minutes,
            service_date=today,
        )
        return Acked(
            transfer.debit_account_id,
            transfer.credit_account_id,
            transfer.minutes,
            transfer.needs_confirmation,
            transfer.needs_approval,
            actor_id,
            transfer.status,
            approved_by=transfer.approved_by_id,
        ), transfer.id

    acked, transfer_id = run_in_transaction(s, work)
    with registry.lock:
        registry.ops["record"] += 1
        registry.transfers[transfer_id] = acked
        if acked.status == TransferStatus.PENDING:
            registry.open.add(transfer_id)
        else:
            registry.posted.add(transfer_id)


def _register_posted(registry, op: str, transfers) -> None:
    """Transfers that posted at once (donation, grant, a coordinator's group, reversal),
    acknowledged after the commit."""
    with registry.lock:
        registry.ops[op] += 1
        for t in transfers:
            registry.transfers[t[0]] = Acked(
                t[1], t[2], t[3], False, False, t[4], TransferStatus.POSTED, approved_by=t[5]
            )
            registry.posted.add(t[0])


def _posted_rows(transfers):
    return [
        (
            t.id,
            t.debit_account_id,
            t.credit_account_id,
            t.minutes,
            t.recorded_by_id,
            t.approved_by_id,
        )
        for t in transfers
    ]


def _donate(s, rng, registry, memberships, member_ids):
    actor = memberships[rng.choice(member_ids)]
    minutes = rng.choice([15, 30, 60])

    def work():
        return _posted_rows([donate_to_pot(s, actor=actor, donor=actor.account, minutes=minutes)])

    _register_posted(registry, "donate", run_in_transaction(s, work))


def _grant(s, rng, registry, memberships, member_ids, coordinator_ids):
    actor = memberships[rng.choice(coordinator_ids)]
    recipient = memberships[rng.choice(member_ids)]
    minutes = rng.choice([15, 30])

    def work():
        return _posted_rows(
            [
                grant_from_pot(
                    s, actor=actor, recipient=recipient.account, minutes=minutes, reason="Unwell"
                )
            ]
        )

    _register_posted(registry, "grant", run_in_transaction(s, work))


def _group(s, rng, registry, memberships, member_ids, coordinator_ids, today):
    actor = memberships[rng.choice(coordinator_ids)]
    hub, *others = rng.sample(member_ids, 3)

    def work():
        return _posted_rows(
            record_group_exchange(
                s,
                actor=actor,
                hub=memberships[hub].account,
                hub_gives=rng.random() < 0.5,
                participants=[(memberships[o].account, rng.choice([15, 30])) for o in others],
                service_date=today,
            )
        )

    rows = run_in_transaction(s, work)
    _register_posted(registry, "group", rows)
    with registry.lock:
        registry.ops["group entries"] += len(rows)


def _reverse(s, rng, registry, memberships, coordinator_ids):
    with registry.lock:
        if not registry.posted:
            return
        transfer_id = rng.choice(sorted(registry.posted))
    actor = memberships[rng.choice(coordinator_ids)]

    def work():
        return _posted_rows(
            [reverse_transfer(s, actor=actor, transfer_id=transfer_id, reason="Twice")]
        )

    _register_posted(registry, "reverse", run_in_transaction(s, work))


def _correct(s, rng, registry, memberships, coordinator_ids):
    picked = registry.pick_open(rng)
    if picked is None:
        return
    transfer_id, _ = picked
    actor = memberships[rng.choice(coordinator_ids)]
    minutes = rng.choice([15, 30, 45, 60, 90, 120])

    def work():
        transfer = correct_pending_transfer(
            s, actor=actor, transfer_id=transfer_id, minutes=minutes, reason="Said so"
        )
        return transfer.minutes, transfer.confirmed_by_id

    with registry.confirmations:
        new_minutes, confirmed_by = run_in_transaction(s, work)
        with registry.lock:
            acked = registry.transfers[transfer_id]
            acked.minutes, acked.confirmed_by = new_minutes, confirmed_by
            registry.ops["correct"] += 1


def _acknowledge(registry, transfer_id, status, **marks):
    with registry.lock:
        acked = registry.transfers[transfer_id]
        for name, value in marks.items():
            setattr(acked, name, value)
        if status != TransferStatus.PENDING:
            acked.terminal_acks.append(str(status))
            registry.open.discard(transfer_id)
            if status == TransferStatus.POSTED:
                registry.posted.add(transfer_id)
        # Acknowledgements can reach the registry out of commit order: a terminal status
        # acknowledged by one thread is never overwritten by an earlier "still pending".
        if acked.status == TransferStatus.PENDING:
            acked.status = status


def _confirm(s, rng, registry, memberships, account_of, member_of_account):
    picked = registry.pick_open(rng)
    if picked is None:
        return
    transfer_id, acked = picked
    recorder_account = account_of.get(acked.recorded_by)
    counterpart_account = acked.credit_id if recorder_account == acked.debit_id else acked.debit_id
    actor = memberships[member_of_account[counterpart_account]]

    def work():
        transfer = confirm_transfer(s, actor=actor, transfer_id=transfer_id)
        return transfer.status

    with registry.confirmations:
        status = run_in_transaction(s, work)
        _acknowledge(registry, transfer_id, status, confirmed_by=actor.id)
    with registry.lock:
        registry.ops["confirm"] += 1


def _approve(s, rng, registry, memberships, coordinator_ids):
    picked = registry.pick_open(rng)
    if picked is None:
        return
    transfer_id, _ = picked
    actor = memberships[rng.choice(coordinator_ids)]

    def work():
        return [t.status for t in approve_transfer(s, actor=actor, transfer_id=transfer_id)]

    (status,) = run_in_transaction(s, work)
    _acknowledge(registry, transfer_id, status, approved_by=actor.id)
    with registry.lock:
        registry.ops["approve"] += 1


def _reject(s, rng, registry, memberships, coordinator_ids):
    picked = registry.pick_open(rng)
    if picked is None:
        return
    transfer_id, _ = picked
    actor = memberships[rng.choice(coordinator_ids)]

    def work():
        return [
            t.status
            for t in reject_transfer(
                s, actor=actor, transfer_id=transfer_id, reason="Not what was agreed"
            )
        ]

    (status,) = run_in_transaction(s, work)
    _acknowledge(registry, transfer_id, status)
    with registry.lock:
        registry.ops["reject"] += 1


def _race(count: int, prepare, action) -> list[object]:
    """Start ``count`` threads, each with its own session, released together by a barrier.

    ``prepare(session, index)`` loads what a thread needs before the start line; each
    outcome is what ``action(session, prepared)`` returned or the LedgerError it raised."""
    make_session = sessionmaker(bind=db.engine, expire_on_commit=False)
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def target(index: int) -> None:
        with make_session() as s:
            prepared = prepare(s, index)
            s.commit()
            barrier.wait(timeout=30)
            try:
                outcomes[index] = action(s, prepared)
            except errors.LedgerError as refusal:
                outcomes[index] = refusal

    assert _run_threads(count, target) == []
    return outcomes


def _coordinator(coordinator_ids):
    def load(s, index):
        return s.get(Membership, coordinator_ids[index])

    return load


@pytest.mark.postgres_only
def test_coordinators_approving_the_same_exchange_at_once_post_it_exactly_once(session):
    _, member_ids, coordinator_ids, today = _bank_with_members(session, members=2, coordinators=8)
    alice, bob = (session.get(Membership, i) for i in member_ids)
    alice_account, bob_account = alice.account.id, bob.account.id
    rounds, minutes = 10, 30
    for round_number in range(rounds):
        transfer = record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=minutes,
            service_date=today,
        )
        confirm_transfer(session, actor=bob, transfer_id=transfer.id)
        transfer_id = transfer.id
        session.commit()

        def approve(s, actor, transfer_id=transfer_id):
            return run_in_transaction(
                s, lambda: [t.id for t in approve_transfer(s, actor=actor, transfer_id=transfer_id)]
            )

        outcomes = _race(len(coordinator_ids), _coordinator(coordinator_ids), approve)
        won = [o for o in outcomes if o == [transfer_id]]
        lost = [o for o in outcomes if isinstance(o, errors.AlreadyResolvedError)]
        assert (len(won), len(lost)) == (1, len(coordinator_ids) - 1), outcomes

        session.expire_all()
        posted = (round_number + 1) * minutes
        a, b = session.get(Account, alice_account), session.get(Account, bob_account)
        assert (a.posted_credits, a.pending_credits) == (posted, 0)
        assert (b.posted_debits, b.pending_debits) == (posted, 0)
        approvals = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "transfer.approved", AuditEntry.entity_id == transfer_id)
        )
        assert approvals == 1
        session.commit()
    assert verify_ledger(session) == []


@pytest.mark.postgres_only
def test_approve_and_reject_racing_on_one_exchange_resolve_it_once(session):
    _, member_ids, coordinator_ids, today = _bank_with_members(session, members=2, coordinators=8)
    alice, bob = (session.get(Membership, i) for i in member_ids)
    final: Counter[str] = Counter()
    for _ in range(10):
        transfer = record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=60,
            service_date=today,
        )
        confirm_transfer(session, actor=bob, transfer_id=transfer.id)
        transfer_id = transfer.id
        session.commit()

        def resolve(s, actor, transfer_id=transfer_id):
            if coordinator_ids.index(actor.id) % 2:
                run_in_transaction(
                    s,
                    lambda: reject_transfer(
                        s, actor=actor, transfer_id=transfer_id, reason="Duplicate entry"
                    ),
                )
                return "rejected"
            run_in_transaction(s, lambda: approve_transfer(s, actor=actor, transfer_id=transfer_id))
            return "posted"

        outcomes = _race(len(coordinator_ids), _coordinator(coordinator_ids), resolve)
        winners = [o for o in outcomes if isinstance(o, str)]
        assert len(winners) == 1, outcomes
        assert all(
            isinstance(o, errors.AlreadyResolvedError) for o in outcomes if not isinstance(o, str)
        ), outcomes
        session.expire_all()
        assert str(session.get(Transfer, transfer_id).status) == winners[0]
        final[winners[0]] += 1
        session.commit()
    assert verify_ledger(session) == []
    a = session.get(Account, alice.account.id)
    assert a.posted_credits == 60 * final["posted"] and a.pending_credits == 0


@pytest.mark.postgres_only
def test_same_idempotency_key_from_many_threads_records_one_exchange(session):
    _, member_ids, _, today = _bank_with_members(session, members=2, coordinators=1)
    for round_number in range(5):
        key = f"retry-after-timeout-{round_number}"

        def load(s, index):
            alice, bob = (s.get(Membership, i) for i in member_ids)
            return alice, alice.account, bob.account

        def submit(s, loaded, key=key):
            alice, alice_account, bob_account = loaded
            return run_in_transaction(
                s,
                lambda: (
                    record_transfer(
                        s,
                        actor=alice,
                        giver=alice_account,
                        receiver=bob_account,
                        minutes=45,
                        service_date=today,
                        idempotency_key=key,
                    ).id
                ),
            )

        outcomes = _race(THREADS, load, submit)
        assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int), outcomes
        session.expire_all()
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Transfer)
                .where(Transfer.idempotency_key == key)
            )
            == 1
        )
        session.commit()
    alice = session.get(Membership, member_ids[0])
    assert alice.account.pending_credits == 5 * 45
    recorded = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "transfer.recorded")
    )
    assert recorded == 5
    assert verify_ledger(session) == []


def test_concurrent_writers_take_turns_without_errors(session):
    """On SQLite ``BEGIN IMMEDIATE`` makes writers wait for each other (busy timeout);
    on PostgreSQL the row locks do. Either way: no error, nothing lost."""
    bank_id, member_ids, coordinator_ids, today = _bank_with_members(
        session, members=4, coordinators=1
    )
    make_session = _session_factory()
    per_thread, threads = 25, 4
    written: list[int] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        rng = random.Random(index)
        with make_session() as s:
            coordinator = s.get(Membership, coordinator_ids[0])
            for _ in range(per_thread):
                giver_id, receiver_id = rng.sample(member_ids, 2)
                # Recorded by a coordinator for two members: it posts at once.
                transfer_id = run_in_transaction(
                    s,
                    lambda g=giver_id, r=receiver_id: (
                        record_transfer(
                            s,
                            actor=coordinator,
                            giver=s.get(Membership, g).account,
                            receiver=s.get(Membership, r).account,
                            minutes=15,
                            service_date=today,
                        ).id
                    ),
                )
                with lock:
                    written.append(transfer_id)

    assert _run_threads(threads, writer) == []
    assert len(written) == len(set(written)) == per_thread * threads
    session.expire_all()
    statuses = session.scalars(
        sa.select(Transfer.status).where(Transfer.time_bank_id == bank_id)
    ).all()
    assert len(statuses) == per_thread * threads
    assert set(statuses) == {TransferStatus.POSTED}
    accounts = session.scalars(sa.select(Account).where(Account.time_bank_id == bank_id)).all()
    assert sum(a.posted_credits for a in accounts) == 15 * per_thread * threads
    assert verify_ledger(session) == []
