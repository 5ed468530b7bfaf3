"""ledger_write: transfers recorded through the services against plain SQL writing the
same rows.

Two flavours, each measured twice: through the services and, as its baseline, with
plain SQL writing the same rows in the same transactions. One transaction per step,
sequential, on SQLite (a file in WAL mode with synchronous=FULL and BEGIN IMMEDIATE, as
the app runs it) and on PostgreSQL (a schema of its own):

- "posts at once": ``record_transfer`` in a bank that asks for neither confirmation nor
  approval, through ``run_in_transaction``: one transaction per transfer. Its raw
  baseline, in one transaction: insert the posted transfer, add to both accounts'
  posted counters, insert the audit entry (hash-chained with ``entry_hash`` from the
  previous entry's hash) and advance the chain head.
- "record + confirm + approve": ``record_transfer``, ``confirm_transfer`` by the other
  person and ``approve_transfer`` by a coordinator: three transactions per transfer.
  Its raw baseline, the same three: (1) insert the pending transfer, add to both
  pending counters, audit entry, head; (2) set confirmed_by/at, audit entry, head;
  (3) set approved_by/at and posted, move both counters from pending to posted, audit
  entry, head.

The services' caller acts as a request does: in each transaction it loads the acting
membership with its account in one query (as the user loader does) and the other side's
account by id (as the forms name it), and its session holds nothing else between
transactions. The raw writer keeps the account ids in memory.

The raw statements are SQLAlchemy Core ``text()`` on one Connection: no ORM, no checks,
no reads (the chain head is kept in memory and advanced with a compare-and-set UPDATE).
That is the engine's limit for this work. ratio = services rate / its own raw rate.

Two more figures show what is left for the services to win. "caller and raw rows": the
services' caller, loading in each transaction what a request loads, with the raw
writer's statements run on the session's connection in place of the service: the best
any service called as a request calls it could do. And a posting's CPU part by part
(the caller's loads, the service call, the commit), timed in a run of its own. Each
way writes BENCH_N transfers (default 2,000) or stops after BENCH_SECONDS (default 30) if
that comes first; the rate is what it managed. At the end ``verify_ledger`` must find
every bank, the raw ones included, consistent.
"""

from __future__ import annotations

import subprocess
import sys
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bench import hordak_env
from bench.common import Figure, env_int, pg_base_url, postgresql_database, sqlite_database
from timebank.community import people
from timebank.ledger import banks
from timebank.ledger.audit import canonical_json, entry_hash
from timebank.ledger.clock import today_in, utcnow
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Account, Membership, Role, Transfer
from timebank.ledger.transfers import approve_transfer, confirm_transfer, record_transfer
from timebank.ledger.verify import verify_ledger

MEMBERS = 50
WARMUP = 25
MINUTES = 60


def _bank(session: Session, slug: str, **policy) -> tuple[int, list[int], int]:
    bank = banks.create_time_bank(session, name=f"Bench {slug}", slug=slug, **policy)
    members = []
    for k in range(MEMBERS):
        person = people.create_person(
            session, email=f"{slug}-{k}@example.org", display_name=f"Member {k}"
        )
        members.append(banks.add_membership(session, actor=None, bank=bank, person=person).id)
    person = people.create_person(
        session, email=f"{slug}-coord@example.org", display_name="Coordinator"
    )
    coordinator = banks.add_membership(
        session, actor=None, bank=bank, person=person, role=Role.COORDINATOR
    )
    session.commit()
    return bank.id, members, coordinator.id


class Run:
    """Up to ``count`` transfers starting at number ``offset``, stopping early once
    ``seconds`` have passed; ``done`` and ``seconds`` say how many and how long."""

    def __init__(self, count: int, offset: int, seconds: float, ring: int = MEMBERS) -> None:
        self.count, self.offset, self.limit, self.ring = count, offset, seconds, ring
        self.done, self.seconds, self.cpu_seconds = 0, 0.0, 0.0

    def pairs(self):
        # Member k gives to member k+1 (of ``ring`` members): everyone gives as much as
        # they receive, so balances stay near zero and no limit refuses anything.
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(self.offset, self.offset + self.count):
            if time.perf_counter() - start > self.limit:
                break
            yield i % self.ring, (i + 1) % self.ring
            self.done += 1
        self.seconds = time.perf_counter() - start
        # This process's CPU (the client's share; SQLite's work is in-process).
        self.cpu_seconds = time.process_time() - cpu

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / self.done

    @property
    def rate(self) -> float:
        return self.done / self.seconds


class Parts:
    """CPU seconds of this process spent in each part of the services' posting: the
    caller's loads (as a request loads), the service call, and the rest of each
    transaction (its commit and ``run_in_transaction``'s own work)."""

    def __init__(self) -> None:
        self.loads = self.service = self.whole = 0.0

    def ms(self, part: str, done: int) -> float:
        if part == "commit":
            return 1000 * (self.whole - self.loads - self.service) / done
        return 1000 * getattr(self, part) / done


# The caller, as a request is: its session holds only what the request loads. The
# signed-in membership comes with its account in one query (the user loader's, see
# timebank/auth/sessions.py: memberships joined with their accounts), and the other
# side is the account the form names by id (timebank/members/exchange_form.py,
# timebank/api/transfers.py): a session.get. Built once, as the user loader's query is.
SIGNED_IN = (
    sa.select(Membership)
    .where(Membership.id == sa.bindparam("membership_id", type_=sa.Integer))
    .options(joinedload(Membership.account))
)


def _signed_in(session: Session, membership_id: int) -> Membership:
    return session.execute(SIGNED_IN, {"membership_id": membership_id}).scalar_one()


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    assert account is not None
    return account


def _account_ids(session: Session, members: list[int]) -> list[int]:
    """Each member's account id, as the raw writer keeps them (a request is given the
    other side's account id by its form)."""
    ids = dict(
        session.execute(
            sa.select(Account.membership_id, Account.id).where(Account.membership_id.in_(members))
        )
        .tuples()
        .all()
    )
    session.commit()
    return [ids[m] for m in members]


def _record(
    session: Session, actor_id: int, receiver_account_id: int, today, parts: Parts | None = None
) -> Transfer:
    started = time.process_time()
    actor = _signed_in(session, actor_id)
    assert actor.account is not None
    receiver = _account(session, receiver_account_id)
    loaded = time.process_time()
    transfer = record_transfer(
        session,
        actor=actor,
        giver=actor.account,
        receiver=receiver,
        minutes=MINUTES,
        service_date=today,
    )
    if parts is not None:
        parts.loads += loaded - started
        parts.service += time.process_time() - loaded
    return transfer


def _posts_at_once(
    session: Session, members: list[int], run: Run, parts: Parts | None = None
) -> Run:
    accounts = _account_ids(session, members)
    today = today_in("Europe/London")
    for giver, receiver in run.pairs():
        started = time.process_time()
        run_in_transaction(
            session,
            lambda a=members[giver], r=accounts[receiver]: _record(session, a, r, today, parts),
        )
        if parts is not None:
            parts.whole += time.process_time() - started
    return run


def _caller_and_raw_rows(session: Session, raw: RawBank, run: Run) -> Run:
    """The raw writer's own statements for a posting, behind the services' caller: in
    each transaction the caller's two loads (as ``_record`` makes them, as a request
    makes them), then the raw writer's five statements on the session's connection,
    committed by ``run_in_transaction``. No service, no check, no ORM write: what any
    service called this way could reach at best."""
    members, accounts = raw.members, raw.accounts

    def transaction(giver: int, receiver: int) -> None:
        actor = _signed_in(session, members[giver])
        assert actor.account is not None
        _account(session, accounts[receiver])
        raw.connection = session.connection()
        raw.record(giver, receiver, pending=False)

    for giver, receiver in run.pairs():
        run_in_transaction(session, lambda g=giver, r=receiver: transaction(g, r))
    return run


def _caller_and_raw_rows_stepwise(
    session: Session, raw: RawBank, coordinator_id: int, run: Run
) -> Run:
    """The same for record + confirm + approve: in each of the three transactions the
    loads ``_record_confirm_approve`` makes (the recorder with their account and the
    other side's account; the confirming member; the coordinator), then the raw
    writer's statements for that step."""
    members, accounts = raw.members, raw.accounts

    def record(giver: int, receiver: int) -> tuple[int, dict]:
        actor = _signed_in(session, members[giver])
        assert actor.account is not None
        _account(session, accounts[receiver])
        raw.connection = session.connection()
        return raw.record(giver, receiver, pending=True)

    def confirm(receiver: int, transfer_id: int, recorded: dict) -> dict:
        _signed_in(session, members[receiver])
        raw.connection = session.connection()
        return raw.confirm(receiver, transfer_id, recorded)

    def approve(transfer_id: int, confirmed: dict) -> None:
        _signed_in(session, coordinator_id)
        raw.connection = session.connection()
        raw.approve(coordinator_id, transfer_id, confirmed)

    for giver, receiver in run.pairs():
        transfer_id, recorded = run_in_transaction(
            session, lambda g=giver, r=receiver: record(g, r)
        )
        confirmed = run_in_transaction(
            session, lambda r=receiver, t=transfer_id, d=recorded: confirm(r, t, d)
        )
        run_in_transaction(session, lambda t=transfer_id, d=confirmed: approve(t, d))
    return run


def _record_confirm_approve(
    session: Session, members: list[int], coordinator_id: int, run: Run
) -> Run:
    accounts = _account_ids(session, members)
    today = today_in("Europe/London")
    for giver, receiver in run.pairs():
        transfer_id = run_in_transaction(
            session,
            lambda a=members[giver], r=accounts[receiver]: _record(session, a, r, today).id,
        )
        run_in_transaction(
            session,
            lambda o=members[receiver], t=transfer_id: confirm_transfer(
                session, actor=_signed_in(session, o), transfer_id=t
            ),
        )
        run_in_transaction(
            session,
            lambda t=transfer_id: approve_transfer(
                session, actor=_signed_in(session, coordinator_id), transfer_id=t
            ),
        )
    return run


# The raw baselines: the rows the services write, with plain SQL text statements on one
# Connection, one transaction per service call. Typed binds so that timestamps and dates
# are stored exactly as the ORM stores them (verify_ledger re-hashes them afterwards).
_TYPES = (
    sa.bindparam("now", type_=sa.DateTime()),
    sa.bindparam("service_date", type_=sa.Date()),
)
INSERT_TRANSFER = sa.text(
    "INSERT INTO transfer (time_bank_id, debit_account_id, credit_account_id, minutes,"
    " service_date, description, kind, status, needs_confirmation, needs_approval,"
    " recorded_by_id, recorded_at, posted_at) VALUES (:bank, :debit, :credit, :minutes,"
    " :service_date, '', 'exchange', :status, :needs, :needs, :recorder, :now, :posted_at)"
    " RETURNING id"
).bindparams(*_TYPES, sa.bindparam("posted_at", type_=sa.DateTime()))
ADD_POSTED_DEBIT = sa.text(
    "UPDATE account SET posted_debits = posted_debits + :minutes WHERE id = :id"
)
ADD_POSTED_CREDIT = sa.text(
    "UPDATE account SET posted_credits = posted_credits + :minutes WHERE id = :id"
)
ADD_PENDING_DEBIT = sa.text(
    "UPDATE account SET pending_debits = pending_debits + :minutes WHERE id = :id"
)
ADD_PENDING_CREDIT = sa.text(
    "UPDATE account SET pending_credits = pending_credits + :minutes WHERE id = :id"
)
POST_DEBIT = sa.text(
    "UPDATE account SET pending_debits = pending_debits - :minutes,"
    " posted_debits = posted_debits + :minutes WHERE id = :id"
)
POST_CREDIT = sa.text(
    "UPDATE account SET pending_credits = pending_credits - :minutes,"
    " posted_credits = posted_credits + :minutes WHERE id = :id"
)
CONFIRM = sa.text(
    "UPDATE transfer SET confirmed_by_id = :actor, confirmed_at = :now WHERE id = :id"
).bindparams(*_TYPES[:1])
APPROVE_AND_POST = sa.text(
    "UPDATE transfer SET approved_by_id = :actor, approved_at = :now, status = 'posted',"
    " posted_at = :now WHERE id = :id"
).bindparams(*_TYPES[:1])
INSERT_AUDIT = sa.text(
    "INSERT INTO audit_entry (time_bank_id, seq, actor_id, action, entity_type, entity_id,"
    " before, after, created_at, prev_hash, hash) VALUES (:bank, :seq, :actor, :action,"
    " 'transfer', :entity_id, :before, :after, :now, :prev_hash, :hash)"
).bindparams(*_TYPES[:1])
# Compare-and-set instead of the services' SELECT ... FOR UPDATE of the head: one
# statement fewer, and still safe with other writers (a lost race changes no row, and
# the unique (time_bank_id, prev_hash) key refuses a forked chain).
ADVANCE_HEAD = sa.text(
    "UPDATE audit_chain SET last_seq = :seq, last_hash = :hash"
    " WHERE time_bank_id = :bank AND last_seq = :prev_seq"
)
READ_HEAD = sa.text("SELECT last_seq, last_hash FROM audit_chain WHERE time_bank_id = :bank")
# With other writers on the same chain (ledger_concurrent, PostgreSQL) the head cannot
# be kept in memory: it is locked and read by the UPDATE that takes the next seq, and
# the entry goes in with the new hash in one statement (the services' way too), so the
# chain costs the same two statements as the compare-and-set above.
TAKE_HEAD = sa.text(
    "UPDATE audit_chain SET last_seq = last_seq + 1 WHERE time_bank_id = :bank"
    " RETURNING last_seq, last_hash"
)
INSERT_AUDIT_SET_HEAD = sa.text(
    "WITH head AS (UPDATE audit_chain SET last_hash = :hash WHERE time_bank_id = :bank)"
    " INSERT INTO audit_entry (time_bank_id, seq, actor_id, action, entity_type, entity_id,"
    " before, after, created_at, prev_hash, hash) VALUES (:bank, :seq, :actor, :action,"
    " 'transfer', :entity_id, :before, :after, :now, :prev_hash, :hash)"
).bindparams(*_TYPES[:1])


class RawBank:
    """One time bank written to with plain SQL: the same transfer rows, counter updates,
    hash-chained audit entries and chain-head updates as the services write."""

    def __init__(
        self,
        connection: sa.Connection,
        bank_id: int,
        members: list[int],
        *,
        shared_head: bool = False,
    ) -> None:
        self.connection, self.bank_id, self.members = connection, bank_id, members
        self.shared_head = shared_head
        with connection.begin():
            self.accounts = [
                connection.execute(
                    sa.text("SELECT id FROM account WHERE membership_id = :m"), {"m": m}
                ).scalar_one()
                for m in members
            ]
            self.seq, self.hash = connection.execute(READ_HEAD, {"bank": bank_id}).one()
        self.today = today_in("Europe/London")

    def snapshot(self, transfer_id: int, debit: int, credit: int, **changes) -> dict:
        # The keys and values of timebank.ledger.posting.snapshot for these transfers.
        return {
            "id": transfer_id,
            "kind": "exchange",
            "status": "pending",
            "debit_account_id": debit,
            "credit_account_id": credit,
            "minutes": MINUTES,
            "service_date": self.today.isoformat(),
            "category_id": None,
            "description": "",
            "needs_confirmation": False,
            "needs_approval": False,
            "confirmed_by_id": None,
            "approved_by_id": None,
            "rejected_by_id": None,
            "reason": None,
            "reverses_id": None,
            "batch_id": None,
            **changes,
        }

    def audit(self, actor: int, action: str, entity_id: int, before, after, now) -> None:
        """Chain one entry onto the head, as append_audit does."""
        if self.shared_head:
            self.seq, self.hash = self.connection.execute(TAKE_HEAD, {"bank": self.bank_id}).one()
            self.seq -= 1
        seq, before_text, after_text = self.seq + 1, canonical_json(before), canonical_json(after)
        digest = entry_hash(
            prev_hash=self.hash,
            time_bank_id=self.bank_id,
            seq=seq,
            actor_id=actor,
            action=action,
            entity_type="transfer",
            entity_id=entity_id,
            before=before_text,
            after=after_text,
            created_at_iso=now.isoformat(),
        )
        self.connection.execute(
            INSERT_AUDIT_SET_HEAD if self.shared_head else INSERT_AUDIT,
            {
                "bank": self.bank_id,
                "seq": seq,
                "actor": actor,
                "action": action,
                "entity_id": entity_id,
                "before": before_text,
                "after": after_text,
                "now": now,
                "prev_hash": self.hash,
                "hash": digest,
            },
        )
        if not self.shared_head:
            moved = self.connection.execute(
                ADVANCE_HEAD,
                {"seq": seq, "hash": digest, "bank": self.bank_id, "prev_seq": self.seq},
            )
            if moved.rowcount != 1:
                raise RuntimeError("raw baseline: the audit chain head moved under it")
        self.seq, self.hash = seq, digest

    def record(self, giver: int, receiver: int, *, pending: bool) -> tuple[int, dict]:
        """Insert the transfer, add to both accounts' counters, chain the audit entry."""
        debit, credit, recorder = self.accounts[receiver], self.accounts[giver], self.members[giver]
        now = utcnow()
        status = "pending" if pending else "posted"
        transfer_id = self.connection.execute(
            INSERT_TRANSFER,
            {
                "bank": self.bank_id,
                "debit": debit,
                "credit": credit,
                "minutes": MINUTES,
                "service_date": self.today,
                "status": status,
                "needs": pending,
                "recorder": recorder,
                "now": now,
                "posted_at": None if pending else now,
            },
        ).scalar_one()
        add_debit, add_credit = (
            (ADD_PENDING_DEBIT, ADD_PENDING_CREDIT)
            if pending
            else (ADD_POSTED_DEBIT, ADD_POSTED_CREDIT)
        )
        self.connection.execute(add_debit, {"minutes": MINUTES, "id": debit})
        self.connection.execute(add_credit, {"minutes": MINUTES, "id": credit})
        after = self.snapshot(
            transfer_id,
            debit,
            credit,
            status=status,
            needs_confirmation=pending,
            needs_approval=pending,
        )
        self.audit(recorder, "transfer.recorded", transfer_id, None, after, now)
        return transfer_id, after

    def confirm(self, receiver: int, transfer_id: int, before: dict) -> dict:
        actor, now = self.members[receiver], utcnow()
        self.connection.execute(CONFIRM, {"actor": actor, "now": now, "id": transfer_id})
        after = {**before, "confirmed_by_id": actor}
        self.audit(actor, "transfer.confirmed", transfer_id, before, after, now)
        return after

    def approve(self, coordinator: int, transfer_id: int, before: dict) -> None:
        now = utcnow()
        self.connection.execute(
            APPROVE_AND_POST, {"actor": coordinator, "now": now, "id": transfer_id}
        )
        params = {"minutes": MINUTES}
        self.connection.execute(POST_DEBIT, {**params, "id": before["debit_account_id"]})
        self.connection.execute(POST_CREDIT, {**params, "id": before["credit_account_id"]})
        after = {**before, "status": "posted", "approved_by_id": coordinator}
        self.audit(coordinator, "transfer.approved", transfer_id, before, after, now)


def _raw_posts_at_once(raw: RawBank, run: Run) -> Run:
    """Baseline for record_posts_at_once: one transaction per transfer."""
    for giver, receiver in run.pairs():
        with raw.connection.begin():
            raw.record(giver, receiver, pending=False)
    return run


def _raw_confirm_approve(raw: RawBank, coordinator_id: int, run: Run) -> Run:
    """Baseline for record_confirm_approve: the same three transactions per transfer."""
    for giver, receiver in run.pairs():
        with raw.connection.begin():
            transfer_id, recorded = raw.record(giver, receiver, pending=True)
        with raw.connection.begin():
            confirmed = raw.confirm(receiver, transfer_id, recorded)
        with raw.connection.begin():
            raw.approve(coordinator_id, transfer_id, confirmed)
    return run


def _ratio(label: str, flavour: str, rate: float, baseline: float) -> Figure:
    return Figure(
        f"{label}.{flavour}",
        round(rate, 1),
        "transfers/s",
        round(baseline, 1),
        round(rate / baseline, 3),
    )


def _cpu(label: str, flavour: str, run: Run, raw_cpu_ms: float) -> Figure:
    return Figure(
        f"{label}.cpu_ms_{flavour}",
        round(run.cpu_ms, 3),
        "ms/transfer",
        round(raw_cpu_ms, 3),
        round(run.cpu_ms / raw_cpu_ms, 2),
    )


def measure(engine: sa.Engine, label: str, n: int, seconds: float) -> list[Figure]:
    make_session = sessionmaker(bind=engine)
    with make_session() as session, engine.connect() as connection:
        at_once = _bank(session, "at-once", requires_confirmation=False, requires_approval=False)
        stepwise = _bank(session, "stepwise", requires_confirmation=True, requires_approval=True)
        raw_at_once_bank = _bank(
            session, "raw-at-once", requires_confirmation=False, requires_approval=False
        )
        raw_stepwise_bank = _bank(
            session, "raw-stepwise", requires_confirmation=True, requires_approval=True
        )
        behind_bank = _bank(
            session, "raw-behind-caller", requires_confirmation=False, requires_approval=False
        )
        behind_stepwise_bank = _bank(
            session,
            "raw-behind-caller-stepwise",
            requires_confirmation=True,
            requires_approval=True,
        )
        session.commit()
        raw_at_once = RawBank(connection, raw_at_once_bank[0], raw_at_once_bank[1])
        behind_caller = RawBank(connection, behind_bank[0], behind_bank[1])
        behind_caller_stepwise = RawBank(
            connection, behind_stepwise_bank[0], behind_stepwise_bank[1]
        )
        raw_stepwise = RawBank(connection, raw_stepwise_bank[0], raw_stepwise_bank[1])
        raw_coordinator = raw_stepwise_bank[2]

        # Each baseline runs before and after the services; the faster run counts.
        _raw_posts_at_once(raw_at_once, Run(WARMUP, 0, seconds))
        raw_once_1 = _raw_posts_at_once(raw_at_once, Run(n, WARMUP, seconds))
        _raw_confirm_approve(raw_stepwise, raw_coordinator, Run(WARMUP, 0, seconds))
        raw_steps_1 = _raw_confirm_approve(raw_stepwise, raw_coordinator, Run(n, WARMUP, seconds))

        _posts_at_once(session, at_once[1], Run(WARMUP, 0, seconds))
        posts = _posts_at_once(session, at_once[1], Run(n, WARMUP, seconds))
        _caller_and_raw_rows(session, behind_caller, Run(WARMUP, 0, seconds))
        behind = _caller_and_raw_rows(session, behind_caller, Run(n, WARMUP, seconds))
        _caller_and_raw_rows_stepwise(
            session, behind_caller_stepwise, behind_stepwise_bank[2], Run(WARMUP, 0, seconds)
        )
        behind_steps = _caller_and_raw_rows_stepwise(
            session, behind_caller_stepwise, behind_stepwise_bank[2], Run(n, WARMUP, seconds)
        )
        _record_confirm_approve(session, stepwise[1], stepwise[2], Run(WARMUP, 0, seconds))
        steps = _record_confirm_approve(session, stepwise[1], stepwise[2], Run(n, WARMUP, seconds))

        # The peer, on the same server right after the services (PostgreSQL only).
        hordak = _hordak(n, seconds) if label == "postgresql" else None

        raw_once_2 = _raw_posts_at_once(raw_at_once, Run(n, WARMUP + raw_once_1.done, seconds))
        raw_steps_2 = _raw_confirm_approve(
            raw_stepwise, raw_coordinator, Run(n, WARMUP + raw_steps_1.done, seconds)
        )
        # Where a posting's CPU goes, part by part (a run of its own: timing the parts
        # costs a little, so the figures above are measured without it).
        parts = Parts()
        parted = _posts_at_once(session, at_once[1], Run(n, WARMUP + posts.done, seconds), parts)

        # The raw rows must be as consistent as the services' (counters, chain, head).
        session.expire_all()
        problems = verify_ledger(session)
        session.rollback()
    if problems:
        raise AssertionError(f"{label}: the benchmark left an inconsistent ledger: {problems[:3]}")

    raw_once = max(raw_once_1.rate, raw_once_2.rate)
    raw_steps = max(raw_steps_1.rate, raw_steps_2.rate)
    raw_once_cpu = min(raw_once_1.cpu_ms, raw_once_2.cpu_ms)
    raw_steps_cpu = min(raw_steps_1.cpu_ms, raw_steps_2.cpu_ms)
    figures = [
        Figure(f"{label}.raw_sql_posts_at_once", round(raw_once, 1), "transfers/s"),
        _ratio(label, "record_posts_at_once", posts.rate, raw_once),
        Figure(f"{label}.raw_sql_record_confirm_approve", round(raw_steps, 1), "transfers/s"),
        _ratio(label, "record_confirm_approve", steps.rate, raw_steps),
    ]
    # Client CPU per transfer: what the services cost in this process whatever the
    # machine's load (ratio = services / raw: how many times the raw writer's CPU).
    figures += [
        Figure(f"{label}.cpu_ms_raw_sql_posts_at_once", round(raw_once_cpu, 3), "ms/transfer"),
        _cpu(label, "record_posts_at_once", posts, raw_once_cpu),
        Figure(
            f"{label}.cpu_ms_raw_sql_record_confirm_approve", round(raw_steps_cpu, 3), "ms/transfer"
        ),
        _cpu(label, "record_confirm_approve", steps, raw_steps_cpu),
        _ratio(label, "caller_and_raw_rows_posts_at_once", behind.rate, raw_once),
        _cpu(label, "caller_and_raw_rows_posts_at_once", behind, raw_once_cpu),
        _ratio(label, "caller_and_raw_rows_record_confirm_approve", behind_steps.rate, raw_steps),
        _cpu(label, "caller_and_raw_rows_record_confirm_approve", behind_steps, raw_steps_cpu),
    ]
    figures += [
        Figure(
            f"{label}.cpu_ms_posts_at_once_part_{part}",
            round(parts.ms(part, parted.done), 3),
            "ms/transfer",
        )
        for part in ("loads", "service", "commit")
    ]
    if hordak is not None:
        figures += [
            Figure(f"{label}.hordak_transfer_to", round(hordak, 1), "transfers/s"),
            _ratio(label, "record_posts_at_once_vs_hordak", posts.rate, hordak),
            _ratio(label, "raw_sql_posts_at_once_vs_hordak", raw_once, hordak),
        ]
    return figures


def _hordak(n: int, seconds: float) -> float | None:
    """django-hordak's ``transfer_to`` rate on the same server (its own schema and
    virtual environment, see bench/hordak_env.py), or None with the reason printed."""
    try:
        return float(hordak_env.transfer_to_rate(pg_base_url(), n, seconds)["rate"])
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(f"django-hordak not measured: {error}\n{detail[-2000:]}", file=sys.stderr)
        return None


def run() -> list[Figure]:
    n = env_int("BENCH_N", 2000)
    seconds = env_int("BENCH_SECONDS", 30)
    figures: list[Figure] = []
    with sqlite_database() as engine:
        figures += measure(engine, "sqlite", n, seconds)
    with postgresql_database() as engine:
        figures += measure(engine, "postgresql", n, seconds)
    return figures
