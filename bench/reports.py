"""reports: the reciprocity report and its network measures on PostgreSQL, for the
largest of 500 time banks and for all of them combined, against one aggregate scan of
the same transfers in the same run.

Data (a schema of its own): BENCH_REPORT_BANKS (500) time banks made by the service
(pot, audit chain, twelve categories each), BENCH_REPORT_MEMBERS (50,000) members and
BENCH_REPORT_TRANSFERS (1,000,000) transfers spread over the banks by Zipf's law (bank
k gets a share proportional to 1/k: the largest about 15%), written with COPY. Members
are 85% participants, 90% consenting, joined over two years; each bank has one
organisation per 500 members (at least one). Exchanges fall over two years (mid-2024 to
mid-2026), mostly between near neighbours in a ring (so the network has local clusters
and circles), 3% are group exchanges, 0.3% are reversed, and each bank has donations to
and grants from its pot. Foreign keys are not re-checked row by row
(``session_replication_role = replica``); the rows satisfy them by construction.

Timed (best of BENCH_REPORT_REPEAT, warm cache), for the period 2025-07-01 to 2026-06-30
(so the previous period is the year before: every transfer is read):

- ``largest.report_partner``: ``build_report`` for partners (suppression, consent,
  pseudonymised picture); ``largest.report_coordinator`` the coordinators' (no
  suppression; names, betweenness from sampled sources); ``largest.report_cached``
  ``get_report`` when the cache row is valid;
- ``largest.report_rebuild``: ``get_report`` after one more exchange in the period's
  last quarter made the cached report stale: the period's and that quarter's networks
  are worked out again, the seven others' measures come from the cache;
- ``largest.report_figures``: the report's figures without its network section (every
  aggregate query of ``read_numbers``: headline, mutuality, shared roles, assets, core
  economy, pot, trends);
- ``largest.network``: the period's network measures alone (edge query, graph,
  measures); ``largest.network_quarters`` the eight quarters';
- the same for ``all.*``: all banks as one partner's combined report;
- baseline: ``SELECT credit_account_id, sum(minutes) ... GROUP BY`` over the selection's
  time transfers of the period (one aggregate scan). ratio = figure / baseline.
- ``growth.*``: the partner report and network measures of banks of rank 1, 3, 10, 30,
  100 and 500, with their members and transfers, to see how they grow with size.
"""

from __future__ import annotations

import io
import math
import random
import time
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bench.common import Figure, Stopwatch, env_int, postgresql_database
from timebank.ledger import banks
from timebank.reports.models import ReportCache
from timebank.reports.reciprocity import (
    Audience,
    BankSelection,
    Period,
    build_report,
    facts,
    get_report,
)
from timebank.reports.reciprocity.build import use_report_memory
from timebank.reports.reciprocity.figures import read_numbers
from timebank.reports.reciprocity.gc_pause import collector_paused
from timebank.reports.reciprocity.network_cache import network_of

FIRST_DAY = date(2024, 7, 1)
DAYS = 730
PERIOD = Period(date(2025, 7, 1), date(2026, 6, 30))
GROWTH_RANKS = (1, 3, 10, 30, 100, 500)
NOW = datetime(2026, 7, 1, 9, 0)  # noqa: DTZ001 (naive UTC, as the database stores it)


def _sizes(total: int, banks_count: int, minimum: int) -> list[int]:
    weights = [1 / k for k in range(1, banks_count + 1)]
    scale = total / sum(weights)
    return [max(minimum, round(w * scale)) for w in weights]


class _Copy:
    """Rows for one COPY, as text (tab-separated, \\N for NULL)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def row(self, *values: object) -> None:
        self.buffer.write("\t".join("\\N" if v is None else str(v) for v in values) + "\n")

    def send(self, cursor, statement: str) -> None:
        self.buffer.seek(0)
        with cursor.copy(statement) as copy:
            while chunk := self.buffer.read(1 << 20):
                copy.write(chunk)


def _load(engine: sa.Engine, banks_count: int, members: int, transfers: int) -> dict:
    rng = random.Random(20261207)
    with Session(engine) as session:
        for k in range(1, banks_count + 1):
            banks.create_time_bank(session, name=f"Bench bank {k:03}", slug=f"bench-{k}")
            if k % 100 == 0:
                session.commit()
        session.commit()
        # Ranked by name: "Bench bank 001" is the largest.
        bank_ids = list(session.scalars(sa.text("SELECT id FROM time_bank ORDER BY name")).all())
        pots = dict(
            session.execute(
                sa.text("SELECT time_bank_id, id FROM account WHERE kind = 'pot'")
            ).all()
        )
        categories: dict[int, list[int]] = {}
        for bank_id, category_id in session.execute(
            sa.text("SELECT time_bank_id, id FROM category ORDER BY id")
        ):
            categories.setdefault(bank_id, []).append(category_id)
        next_account = session.scalar(sa.text("SELECT max(id) FROM account")) + 1
    member_sizes = _sizes(members, banks_count, 12)
    transfer_sizes = _sizes(transfers, banks_count, 40)
    people, memberships, organisations, accounts, rows = (_Copy() for _ in range(5))
    person_id = membership_id = organisation_id = transfer_id = 0
    account_id = next_account
    counts = {"members": 0, "transfers": 0}
    sizes: dict[int, tuple[int, int]] = {}
    for rank, bank_id in enumerate(bank_ids):
        n_members, n_transfers = member_sizes[rank], transfer_sizes[rank]
        member_accounts = []
        for _ in range(n_members):
            person_id += 1
            membership_id += 1
            people.row(person_id, f"p{person_id}@bench.example", f"Member {person_id}", "t", 1, NOW)
            joined = datetime.combine(FIRST_DAY - timedelta(days=60), datetime.min.time())
            joined += timedelta(days=rng.randrange(DAYS))
            memberships.row(
                membership_id,
                person_id,
                bank_id,
                "member",
                "professional" if rng.random() < 0.15 else "participant",
                "active",
                "t" if rng.random() < 0.9 else "f",
                "f",
                joined,
                f"member {person_id}",
            )
            accounts.row(account_id, bank_id, "member", membership_id, None, 0, 0, 0, 0, NOW)
            member_accounts.append(account_id)
            account_id += 1
        org_accounts = []
        for _ in range(max(1, n_members // 500)):
            organisation_id += 1
            organisations.row(organisation_id, bank_id, f"Organisation {organisation_id}", "t", NOW)
            accounts.row(
                account_id, bank_id, "organisation", None, organisation_id, 0, 0, 0, 0, NOW
            )
            org_accounts.append(account_id)
            account_id += 1
        n = len(member_accounts)
        cats = categories[bank_id]
        made = 0
        while made < n_transfers:
            g = rng.randrange(n)
            if rng.random() < 0.7:
                r = (g + rng.choice((1, 2, 3, 4, -1, -2, -3, 7, 11))) % n
            else:
                r = rng.randrange(n)
            if r == g:
                continue
            giver, receiver = member_accounts[g], member_accounts[r]
            if rng.random() < 0.04:
                giver = rng.choice(org_accounts)
            elif rng.random() < 0.04:
                receiver = rng.choice(org_accounts)
            day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            minutes = rng.choice((30, 60, 60, 90, 120, 180))
            category = rng.choice(cats) if rng.random() < 0.9 else None
            kind, batch = (
                ("group", f"b{transfer_id}") if rng.random() < 0.03 else ("exchange", None)
            )
            transfer_id += 1
            rows.row(
                transfer_id,
                bank_id,
                receiver,
                giver,
                minutes,
                day,
                "",
                category,
                kind,
                "posted",
                "f",
                "f",
                NOW,
                NOW,
                None,
                batch,
                None,
            )
            made += 1
            if rng.random() < 0.003:
                original = transfer_id
                transfer_id += 1
                rows.row(
                    transfer_id,
                    bank_id,
                    giver,
                    receiver,
                    minutes,
                    day + timedelta(days=2),
                    f"Reversal of entry {original}",
                    category,
                    "reversal",
                    "posted",
                    "f",
                    "f",
                    NOW,
                    NOW,
                    original,
                    None,
                    "Recorded twice",
                )
        for _ in range(max(2, n // 50)):
            donor = rng.choice(member_accounts)
            day = FIRST_DAY + timedelta(days=rng.randrange(DAYS - 30))
            transfer_id += 1
            rows.row(
                transfer_id,
                bank_id,
                donor,
                pots[bank_id],
                60,
                day,
                "Donation",
                None,
                "donation",
                "posted",
                "f",
                "f",
                NOW,
                NOW,
                None,
                None,
                None,
            )
            transfer_id += 1
            rows.row(
                transfer_id,
                bank_id,
                pots[bank_id],
                rng.choice(member_accounts),
                60,
                day + timedelta(days=20),
                "Grant",
                None,
                "grant",
                "posted",
                "f",
                "f",
                NOW,
                NOW,
                None,
                None,
                "Help while unwell",
            )
        counts["members"] += n_members
        counts["transfers"] += made
        sizes[bank_id] = (n_members, made)
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            people.send(
                cur,
                "COPY person (id, email, display_name, is_active, session_version, created_at)"
                " FROM STDIN",
            )
            memberships.send(
                cur,
                "COPY membership (id, person_id, time_bank_id, role, kind, status,"
                " consent_reporting, consent_research, joined_at, sort_name) FROM STDIN",
            )
            organisations.send(
                cur, "COPY organisation (id, time_bank_id, name, active, created_at) FROM STDIN"
            )
            accounts.send(
                cur,
                "COPY account (id, time_bank_id, kind, membership_id, organisation_id,"
                " posted_debits, posted_credits, pending_debits, pending_credits, created_at)"
                " FROM STDIN",
            )
            rows.send(
                cur,
                "COPY transfer (id, time_bank_id, debit_account_id, credit_account_id, minutes,"
                " service_date, description, category_id, kind, status, needs_confirmation,"
                " needs_approval, recorded_at, posted_at, reverses_id, batch_id, reason)"
                " FROM STDIN",
            )
            for table, last in (
                ("person", person_id),
                ("membership", membership_id),
                ("organisation", organisation_id),
                ("account", account_id - 1),
                ("transfer", transfer_id),
            ):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (last,))
            # Both counters in one statement: the pot's CHECK holds only with both.
            cur.execute(
                "UPDATE account SET posted_debits = coalesce(d.total, 0),"
                " posted_credits = coalesce(c.total, 0)"
                " FROM account a"
                " LEFT JOIN (SELECT debit_account_id AS id, sum(minutes) AS total FROM transfer"
                " GROUP BY 1) d ON d.id = a.id"
                " LEFT JOIN (SELECT credit_account_id AS id, sum(minutes) AS total FROM transfer"
                " GROUP BY 1) c ON c.id = a.id"
                " WHERE account.id = a.id"
            )
            cur.execute("SET session_replication_role = origin")
            pg.commit()
        pg.autocommit = True
        with pg.cursor() as cur:
            # Only this schema's tables: a bare VACUUM would walk every schema on the
            # server (other test runs' too) and hold up their TRUNCATEs.
            for table in ("person", "membership", "organisation", "account", "transfer"):
                cur.execute(f"VACUUM ANALYZE {table}")
        pg.autocommit = False
    finally:
        raw.close()
    return {"bank_ids": bank_ids, "sizes": sizes, **counts}


# A copy of the bank's first exchange of the period's last quarter, the other way round.
POST_ONE = sa.text(
    "INSERT INTO transfer (time_bank_id, debit_account_id, credit_account_id, minutes,"
    " service_date, description, category_id, kind, status, needs_confirmation,"
    " needs_approval, recorded_at, posted_at)"
    " SELECT time_bank_id, credit_account_id, debit_account_id, 45, service_date, '',"
    " category_id, kind, status, needs_confirmation, needs_approval, recorded_at, posted_at"
    " FROM transfer WHERE time_bank_id = :bank AND kind = 'exchange' AND status = 'posted'"
    " AND service_date >= '2026-04-01' ORDER BY id LIMIT 1"
)


def _best(work, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _baseline(engine: sa.Engine, bank_ids: list[int]) -> float:
    statement = sa.text(
        "SELECT credit_account_id, sum(minutes) FROM transfer WHERE time_bank_id = ANY(:banks)"
        " AND status = 'posted' AND kind IN ('exchange', 'group')"
        " AND service_date BETWEEN :start AND :end GROUP BY credit_account_id"
    )
    with engine.connect() as connection:

        def scan():
            connection.execute(
                statement, {"banks": bank_ids, "start": PERIOD.start, "end": PERIOD.end}
            ).all()

        scan()
        return _best(scan, 3)


def _timings(make_session, selection: BankSelection, repeat: int, *, coordinator: bool) -> dict:
    found: dict[str, float] = {}
    with make_session() as session:

        def partner():
            build_report(session, selection, PERIOD, Audience.PARTNER)
            session.rollback()

        # The network measures as the report works them out: with the cyclic garbage
        # collector paused (``gc_pause``), which the report's build does around them.
        def network():
            with collector_paused():
                (edges,) = facts.edges(session, selection.bank_ids, [PERIOD], consenting=True)
                network_of(edges)
            session.rollback()

        def quarters():
            quarters = PERIOD.trailing_quarters(8)
            with collector_paused():
                for found_edges in facts.edges(
                    session, selection.bank_ids, list(quarters), consenting=True
                ):
                    network_of(found_edges)
            session.rollback()

        def figures():
            use_report_memory(session)
            read_numbers(session, selection.bank_ids, PERIOD, consenting=True)
            session.rollback()

        found["report_partner"] = _best(partner, repeat)
        found["report_figures"] = _best(figures, repeat)
        found["network"] = _best(network, repeat)
        found["network_quarters"] = _best(quarters, repeat)
        if coordinator:

            def coordinators():
                build_report(session, selection, PERIOD, Audience.COORDINATOR)
                session.rollback()

            found["report_coordinator"] = _best(coordinators, repeat)
            get_report(session, selection, PERIOD, Audience.PARTNER)
            session.commit()

            def cached():
                get_report(session, selection, PERIOD, Audience.PARTNER)
                session.rollback()

            found["report_cached"] = _best(cached, repeat)

            def rebuilt():
                # One more exchange in the period's last quarter, and the cached report
                # made stale as a posting makes it: what the rebuild job (or a reader)
                # then costs, with the unchanged quarters' measures from the cache.
                session.execute(POST_ONE, {"bank": selection.bank_ids[0]})
                session.execute(
                    sa.update(ReportCache)
                    .where(ReportCache.audience == str(Audience.PARTNER))
                    .values(generation="stale")
                )
                get_report(session, selection, PERIOD, Audience.PARTNER)
                session.rollback()

            found["report_rebuild"] = _best(rebuilt, repeat)
    return found


def run() -> list[Figure]:
    banks_count = env_int("BENCH_REPORT_BANKS", 500)
    members = env_int("BENCH_REPORT_MEMBERS", 50_000)
    transfers = env_int("BENCH_REPORT_TRANSFERS", 1_000_000)
    repeat = env_int("BENCH_REPORT_REPEAT", 3)
    figures: list[Figure] = []
    with postgresql_database() as engine:
        with Stopwatch() as load:
            data = _load(engine, banks_count, members, transfers)
        make_session = sessionmaker(bind=engine)
        bank_ids, sizes = data["bank_ids"], data["sizes"]
        figures += [
            Figure("postgresql.generate_total", round(load.seconds, 1), "s"),
            Figure("postgresql.banks", banks_count, "banks"),
            Figure("postgresql.members", data["members"], "members"),
            Figure("postgresql.transfers", data["transfers"], "transfers"),
        ]
        for name, selection, coordinator in (
            ("largest", BankSelection.one(bank_ids[0]), True),
            ("all", BankSelection(tuple(bank_ids)), False),
        ):
            baseline = _baseline(engine, list(selection.bank_ids))
            found = _timings(make_session, selection, repeat, coordinator=coordinator)
            for key, seconds in found.items():
                figures.append(
                    Figure(
                        f"postgresql.{name}.{key}",
                        round(seconds, 3),
                        "s",
                        round(baseline, 4),
                        round(seconds / baseline, 1),
                    )
                )
        members_of, transfers_of = sizes[bank_ids[0]]
        figures += [
            Figure("postgresql.largest.members", members_of, "members"),
            Figure("postgresql.largest.transfers", transfers_of, "transfers"),
        ]
        for rank in GROWTH_RANKS:
            if rank > len(bank_ids):
                continue
            bank_id = bank_ids[rank - 1]
            found = _timings(make_session, BankSelection.one(bank_id), repeat, coordinator=False)
            bank_members, bank_transfers = sizes[bank_id]
            figures += [
                Figure(f"postgresql.growth.rank_{rank}.members", bank_members, "members"),
                Figure(f"postgresql.growth.rank_{rank}.transfers", bank_transfers, "transfers"),
                Figure(
                    f"postgresql.growth.rank_{rank}.report_partner",
                    round(found["report_partner"], 3),
                    "s",
                ),
                Figure(
                    f"postgresql.growth.rank_{rank}.report_figures",
                    round(found["report_figures"], 3),
                    "s",
                ),
                Figure(f"postgresql.growth.rank_{rank}.network", round(found["network"], 3), "s"),
            ]
    return figures
