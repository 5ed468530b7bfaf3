"""The full-size data set, kept between runs in a schema of its own.

Twice hOurworld's platform: BENCH_SCALE_BANKS (1,000) time banks, BENCH_SCALE_MEMBERS
(100,000) members and BENCH_SCALE_TRANSFERS (2,000,000) posted transfers, built by
``reports``' generator (Zipf's law: a few big banks, many small), plus what that
generator leaves out and the pages need: one audit entry per transfer (``transfer.
recorded``, hash-chained per bank exactly as the services chain them, so
``verify_ledger`` holds), and in the largest bank 200 members with a password, 4 of
them coordinators, an approval queue of BENCH_SCALE_PENDING (300) entries made by the
service, and a partner who reads that bank.

Building it takes minutes on a 2-core machine, so it is kept in the PostgreSQL schema
BENCH_SCALE_SCHEMA (default ``tb_prof_scale``) and reused while its parameters match
(a row in ``bench_dataset`` records them once the build has finished; a half-built
schema has no row and is rebuilt). ``python -m bench.scale_data`` builds it alone;
``python -m bench.scale_data --drop`` removes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

# Every model, so that create_all makes every table (the app imports some only when
# it is made: without these the sign-in's two-step check found no table).
import timebank.api.models
import timebank.community.api_tokens
import timebank.community.models
import timebank.community.pending_applications
import timebank.community.security_events
import timebank.community.security_log_guard
import timebank.community.sign_in_sessions
import timebank.community.two_step
import timebank.extensions
import timebank.importing.models
import timebank.reports.models  # noqa: F401
from bench.common import env_int, pg_base_url
from bench.reports import NOW, _load
from timebank.auth.passwords import hash_password
from timebank.ledger.audit import entry_hash
from timebank.ledger.clock import today_in
from timebank.ledger.database import configure_engine
from timebank.ledger.models import Base

PASSWORD = "scale bench password 2026"
PARTNER_EMAIL = "partner@scale.example"
CHUNK = 20_000


@dataclass(frozen=True)
class Dataset:
    engine: sa.Engine
    url: str
    schema: str
    largest_bank: int
    coordinator_email: str
    member_email: str
    partner_email: str
    password: str
    built_seconds: float
    reused: bool
    summary: dict


def _tables_fingerprint() -> str:
    """The models' tables and columns: a kept data set made before a migration added a
    table or a column is built again rather than reused (the app would fail on it)."""
    shape = sorted(
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
    )
    return hashlib.sha256("\n".join(shape).encode()).hexdigest()[:16]


def _parameters() -> dict:
    return {
        "version": 3,
        "tables": _tables_fingerprint(),
        "banks": env_int("BENCH_SCALE_BANKS", 1000),
        "members": env_int("BENCH_SCALE_MEMBERS", 100_000),
        "transfers": env_int("BENCH_SCALE_TRANSFERS", 2_000_000),
        "pending": env_int("BENCH_SCALE_PENDING", 300),
    }


def _schema() -> str:
    schema = os.environ.get("BENCH_SCALE_SCHEMA", "tb_prof_scale")
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"not a plain schema name: {schema!r}")
    return schema


def _url(schema: str) -> str:
    base = pg_base_url()
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}"


def _recorded(admin: sa.Engine, schema: str) -> dict | None:
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT to_regclass(:t)"), {"t": f"{schema}.bench_dataset"}
        )
        if exists is None:
            return None
        row = connection.scalar(
            sa.text(f'SELECT value FROM "{schema}".bench_dataset')  # noqa: S608 (checked name)
        )
    return row if isinstance(row, dict) else (json.loads(row) if row else None)


def _audit_entries(engine: sa.Engine) -> int:
    """One ``transfer.recorded`` entry per transfer, chained on from each bank's head."""
    written = 0
    # The transfers stream from one connection while COPY writes on another: one
    # connection cannot fetch from a cursor in the middle of a COPY.
    reader, raw = engine.raw_connection(), engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:
            cur.execute("SELECT time_bank_id, last_seq, last_hash FROM audit_chain")
            heads = {bank: [seq, last] for bank, seq, last in cur.fetchall()}
            cur.execute("SELECT id, membership_id FROM account WHERE membership_id IS NOT NULL")
            member_of = dict(cur.fetchall())
        columns = (
            "time_bank_id, seq, actor_id, action, entity_type, entity_id, before, after,"
            " created_at, prev_hash, hash"
        )
        with (
            reader.driver_connection.cursor(name="transfers") as source,
            pg.cursor() as cur,
        ):
            cur.execute("SET session_replication_role = replica")
            source.itersize = CHUNK
            source.execute(
                "SELECT id, time_bank_id, kind, status, debit_account_id, credit_account_id,"
                " minutes, service_date, category_id, description, reason, reverses_id,"
                " batch_id, recorded_at FROM transfer ORDER BY time_bank_id, id"
            )
            with cur.copy(f"COPY audit_entry ({columns}) FROM STDIN") as copy:
                for row in source:
                    (tid, bank, kind, status, debit, credit, minutes, day, category) = row[:9]
                    description, reason, reverses, batch, recorded_at = row[9:]
                    after = json.dumps(
                        {
                            "approved_by_id": None,
                            "batch_id": batch,
                            "category_id": category,
                            "confirmed_by_id": None,
                            "credit_account_id": credit,
                            "debit_account_id": debit,
                            "description": description,
                            "id": tid,
                            "kind": kind,
                            "minutes": minutes,
                            "needs_approval": False,
                            "needs_confirmation": False,
                            "reason": reason,
                            "rejected_by_id": None,
                            "reverses_id": reverses,
                            "service_date": day.isoformat(),
                            "status": status,
                        },
                        sort_keys=True,
                        separators=(",", ":"),
                    )
                    head = heads[bank]
                    head[0] += 1
                    actor = member_of.get(credit)
                    digest = entry_hash(
                        prev_hash=head[1],
                        time_bank_id=bank,
                        seq=head[0],
                        actor_id=actor,
                        action="transfer.recorded",
                        entity_type="transfer",
                        entity_id=tid,
                        before=None,
                        after=after,
                        created_at_iso=recorded_at.isoformat(),
                    )
                    copy.write_row(
                        (
                            bank,
                            head[0],
                            actor,
                            "transfer.recorded",
                            "transfer",
                            tid,
                            None,
                            after,
                            recorded_at,
                            head[1],
                            digest,
                        )
                    )
                    head[1] = digest
                    written += 1
            cur.executemany(
                "UPDATE audit_chain SET last_seq = %s, last_hash = %s WHERE time_bank_id = %s",
                [(seq, last, bank) for bank, (seq, last) in heads.items()],
            )
            cur.execute("SET session_replication_role = origin")
        pg.commit()
    finally:
        raw.close()
        reader.close()
    return written


def _people(engine: sa.Engine, bank_id: int) -> dict:
    """200 members of the largest bank sign in; 4 coordinate; one partner reads it."""
    password_hash = hash_password(PASSWORD)
    with engine.begin() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT p.id, p.email, m.id FROM membership m JOIN person p ON p.id = m.person_id"
                " WHERE m.time_bank_id = :bank ORDER BY m.id LIMIT 200"
            ),
            {"bank": bank_id},
        ).all()
        connection.execute(
            sa.text("UPDATE person SET password_hash = :h WHERE id = ANY(:ids)"),
            {"h": password_hash, "ids": [r[0] for r in rows]},
        )
        connection.execute(
            sa.text("UPDATE membership SET role = 'coordinator' WHERE id = ANY(:ids)"),
            {"ids": [r[2] for r in rows[:4]]},
        )
        connection.execute(
            sa.text(
                "UPDATE time_bank SET requires_confirmation = false, requires_approval = true,"
                " floor_minutes = NULL, cap_minutes = NULL,"
                # The bench signs in with the password alone (as the demo does).
                " two_step_required_for_staff = false WHERE id = :bank"
            ),
            {"bank": bank_id},
        )
    # The member whose pages are timed: the one with the most transfers among those
    # who can sign in (the heaviest dashboard and statement of the 200).
    with engine.connect() as connection:
        member_email = connection.scalar(
            sa.text(
                "SELECT p.email FROM membership m JOIN person p ON p.id = m.person_id"
                " JOIN account a ON a.membership_id = m.id"
                " WHERE m.id = ANY(:ids) ORDER BY"
                " (SELECT count(*) FROM transfer t WHERE t.debit_account_id = a.id"
                "  OR t.credit_account_id = a.id) DESC LIMIT 1"
            ),
            {"ids": [r[2] for r in rows[4:]]},
        )
    return {
        "coordinator_email": rows[0][1],
        "member_email": member_email,
        "member_ids": [r[2] for r in rows[4:]],
        "coordinator_id": rows[0][2],
    }


def _partner_and_queue(engine: sa.Engine, bank_id: int, people: dict, pending: int) -> None:
    """A partner reading the largest bank, and ``pending`` entries waiting for approval,
    recorded by the service as members record them."""
    from timebank.community.people import create_person
    from timebank.ledger import transfers as ledger_transfers
    from timebank.ledger.banks import add_membership
    from timebank.ledger.models import Account, MemberKind, Membership, Role, TimeBank

    with Session(engine) as session:
        bank = session.get(TimeBank, bank_id)
        assert bank is not None
        coordinator = session.get(Membership, people["coordinator_id"])
        person = create_person(
            session,
            email=PARTNER_EMAIL,
            display_name="Scale partner",
            password_hash=hash_password(PASSWORD),
        )
        add_membership(
            session,
            actor=coordinator,
            bank=bank,
            person=person,
            role=Role.PARTNER,
            kind=MemberKind.PROFESSIONAL,
        )
        session.commit()
        today = today_in(bank.timezone)
        ids = people["member_ids"]
        members = session.scalars(sa.select(Membership).where(Membership.id.in_(ids))).all()
        by_id = {m.id: m for m in members}
        accounts = {
            a.membership_id: a
            for a in session.scalars(sa.select(Account).where(Account.membership_id.in_(ids)))
        }
        for i in range(pending):
            giver = by_id[ids[i % len(ids)]]
            receiver = by_id[ids[(i * 7 + 3) % len(ids)]]
            if giver.id == receiver.id:
                continue
            ledger_transfers.record_transfer(
                session,
                actor=giver,
                giver=accounts[giver.id],
                receiver=accounts[receiver.id],
                minutes=60,
                service_date=today - timedelta(days=1 + i % 10),
                description=f"Help with the garden ({i})",
            )
            if i % 50 == 49:
                session.commit()
        session.commit()


def _build(admin: sa.Engine, schema: str, parameters: dict) -> dict:
    started = time.perf_counter()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = sa.create_engine(_url(schema))
    configure_engine(engine)
    try:
        Base.metadata.create_all(engine)
        timings = {}
        step = time.perf_counter()
        loaded = _load(engine, parameters["banks"], parameters["members"], parameters["transfers"])
        timings["generate"] = time.perf_counter() - step
        step = time.perf_counter()
        audit = _audit_entries(engine)
        timings["audit"] = time.perf_counter() - step
        largest = loaded["bank_ids"][0]
        people = _people(engine, largest)
        step = time.perf_counter()
        _partner_and_queue(engine, largest, people, parameters["pending"])
        timings["queue"] = time.perf_counter() - step
        raw = engine.raw_connection()
        try:
            pg = raw.driver_connection
            pg.autocommit = True
            with pg.cursor() as cur:
                for table in Base.metadata.tables:
                    cur.execute(f'VACUUM ANALYZE "{table}"')
        finally:
            raw.close()
        summary = {
            **parameters,
            "largest_bank": largest,
            "largest_members": loaded["sizes"][largest][0],
            "largest_transfers": loaded["sizes"][largest][1],
            "members_made": loaded["members"],
            "transfers_made": loaded["transfers"],
            "audit_entries_made": audit,
            "coordinator_email": people["coordinator_email"],
            "member_email": people["member_email"],
            "built_seconds": round(time.perf_counter() - started, 1),
            "timings": {k: round(v, 1) for k, v in timings.items()},
            "load_average_at_build": round(os.getloadavg()[0], 2),
            "built_at": NOW.isoformat(),
        }
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE bench_dataset (value jsonb NOT NULL)")
            connection.execute(
                sa.text("INSERT INTO bench_dataset (value) VALUES (CAST(:v AS jsonb))"),
                {"v": json.dumps(summary)},
            )
        return summary
    finally:
        engine.dispose()


def scale_dataset() -> Dataset:
    """The kept data set, built first when missing or made with other parameters."""
    schema = _schema()
    parameters = _parameters()
    admin = sa.create_engine(pg_base_url(), isolation_level="AUTOCOMMIT")
    try:
        recorded = _recorded(admin, schema)
        reused = bool(recorded) and all(recorded.get(k) == v for k, v in parameters.items())
        if not reused:
            recorded = _build(admin, schema, parameters)
    finally:
        admin.dispose()
    assert recorded is not None
    url = _url(schema)
    engine = sa.create_engine(url)
    configure_engine(engine)
    return Dataset(
        engine=engine,
        url=url,
        schema=schema,
        largest_bank=recorded["largest_bank"],
        coordinator_email=recorded["coordinator_email"],
        member_email=recorded["member_email"],
        partner_email=PARTNER_EMAIL,
        password=PASSWORD,
        built_seconds=recorded["built_seconds"],
        reused=reused,
        summary=recorded,
    )


def main(argv: list[str]) -> int:
    if argv == ["--drop"]:
        admin = sa.create_engine(pg_base_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{_schema()}" CASCADE')
        admin.dispose()
        return 0
    print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
    dataset = scale_dataset()
    print(json.dumps(dataset.summary, indent=2), flush=True)
    print(f"{'reused' if dataset.reused else 'built'} schema {dataset.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
