"""Building a reciprocity report: the numbers from the database, the partners' privacy
rules, the words."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.models import TimeBank
from timebank.reports.reciprocity import assemble, facts, partner_rules, scope
from timebank.reports.reciprocity.coordinator_lists import (
    account_names,
    brokers_of,
    coordinator_lists,
)
from timebank.reports.reciprocity.figures import read_numbers
from timebank.reports.reciprocity.gc_pause import collector_paused
from timebank.reports.reciprocity.graph import draw, pseudonymise
from timebank.reports.reciprocity.model import BankInfo, Graph, ReciprocityReport
from timebank.reports.reciprocity.network_cache import (
    fingerprint,
    remember,
    remembered,
    work_out,
)
from timebank.reports.reciprocity.period import (
    Audience,
    BankSelection,
    InvalidSelectionError,
    Period,
)
from timebank.reports.reciprocity.wording import NOTES

QUARTERS = 8


def build_report(
    session: Session,
    selection: BankSelection,
    period: Period,
    audience: Audience,
    *,
    salt: bytes | None = None,
    now: datetime | None = None,
) -> ReciprocityReport:
    """Build the report afresh (no cache; :func:`~.cache.get_report` caches).

    Counts only posted exchanges and group exchanges whose service date is in the
    period, leaving out any that a reversal has undone. For ``Audience.PARTNER`` the
    consent and small-number rules apply and the network picture is pseudonymised with
    ``salt`` (random when None, so pseudonyms differ between reports). For
    ``Audience.COORDINATOR`` the selection must be one bank; nothing is suppressed and
    ``coordinator`` lists are filled. Reads only; writes nothing.
    """
    return finish(compute(session, selection, period, audience, now=now), salt)


def finish(report: ReciprocityReport, salt: bytes | None = None) -> ReciprocityReport:
    """A partner's report as it may leave: the picture's node ids replaced by pseudonyms
    made for this call. (The cache keeps reports before this step.)"""
    if report.audience != Audience.PARTNER or not isinstance(report.network.graph, Graph):
        return report
    graph = pseudonymise(report.network.graph, salt)
    return replace(report, network=replace(report.network, graph=graph))


def load_banks(session: Session, selection: BankSelection) -> tuple[BankInfo, ...]:
    rows = session.scalars(
        sa.select(TimeBank).where(TimeBank.id.in_(selection.bank_ids)).order_by(TimeBank.name)
    ).all()
    if len(rows) != len(selection.bank_ids):
        raise InvalidSelectionError("One of those time banks does not exist.")
    return tuple(
        BankInfo(b.id, b.name, b.slug, b.report_threshold, b.replacement_rate_pence) for b in rows
    )


def compute(
    session: Session,
    selection: BankSelection,
    period: Period,
    audience: Audience,
    *,
    now: datetime | None = None,
    remember_networks: bool = False,
) -> ReciprocityReport:
    """The report with the network picture's internal node ids ("a<account id>").
    ``remember_networks``: take the measures of networks worked out before from the
    cache, and store the new ones (``network_cache``); otherwise read only."""
    with collector_paused():
        return _compute(session, selection, period, audience, now, remember_networks)


def _compute(
    session: Session,
    selection: BankSelection,
    period: Period,
    audience: Audience,
    now: datetime | None,
    remember_networks: bool,
) -> ReciprocityReport:
    banks = load_banks(session, selection)
    partner = audience == Audience.PARTNER
    if not partner and selection.is_combined:
        raise InvalidSelectionError("A coordinator's report covers one time bank.")
    bank_ids = selection.bank_ids
    threshold = max(b.threshold for b in banks)
    use_report_memory(session)
    quarters = period.trailing_quarters(QUARTERS)
    time, pot, by_quarter = networks(session, bank_ids, period, quarters, consenting=partner)
    found = [(period, time), *zip(quarters, by_quarter, strict=True)]
    prints = [fingerprint(edge_set) for _, edge_set in found] if remember_networks else None
    known = remembered(session, prints) if prints else None
    # The networks' measures are Python's work and the figures the database's: each
    # goes on while the other does (the thread touches no session).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-networks") as pool:
        working = pool.submit(work_out, found, prints, known)
        ranking = None if partner else pool.submit(brokers_of, time)
        numbers = read_numbers(session, bank_ids, period, consenting=partner)
        names = None if partner else account_names(session, sorted({*time.role, *pot.role}))
        figures = working.result()
        brokers = None if ranking is None else ranking.result()
    if prints is not None and known is not None:
        remember(session, found, prints, figures, known, selection.key)
    period_network, quarter_networks = figures[0], figures[1:]
    decisions = partner_rules.decide(numbers, threshold, period_network[1]) if partner else {}
    graph, kinds_hidden = draw(time, pot, partner=partner, threshold=threshold, names=names)
    hidden_people = decisions.get(("network_people",))
    if hidden_people is not None and isinstance(graph, Graph):
        # Counting the picture's people would give the hidden number.
        graph = hidden_people
    rates = {b.replacement_rate_pence for b in banks}
    words = assemble.Words(partner=partner, threshold=threshold, decisions=decisions)
    notes = [NOTES["reversals"]]
    if partner:
        notes += [NOTES["consent"], NOTES["suppression"]]
        if any(c.sensitive for c in numbers.categories.values()):
            notes.append(NOTES["sensitive"])
        notes.append(
            NOTES["graph_pseudonymised"] if isinstance(graph, Graph) else NOTES["graph_too_small"]
        )
        if kinds_hidden:
            notes.append(NOTES["graph_kinds_hidden"])
    if isinstance(graph, Graph) and not graph.complete:
        notes.append(NOTES["graph_partial"])
    if len(rates) > 1:
        notes.append(NOTES["lowest_rate"])
    return ReciprocityReport(
        audience=audience,
        banks=banks,
        period=period,
        previous_period=numbers.previous,
        threshold=threshold,
        generated_at=now or utcnow(),
        headline=assemble.headline(words, numbers),
        mutuality=assemble.mutuality(words, numbers),
        shared_roles=assemble.shared_roles(words, numbers),
        assets=assemble.assets(words, numbers),
        core_economy=assemble.core_economy(words, numbers, min(rates), len(rates) > 1),
        pot=assemble.pot(words, numbers),
        trends=assemble.trends(words, numbers),
        network=assemble.network(
            words,
            period_network,
            list(zip(quarters, quarter_networks, strict=True)),
            graph,
        ),
        coordinator=None
        if brokers is None
        else coordinator_lists(
            session, bank_ids[0], period, numbers.people, numbers.members, time, brokers
        ),
        notes=tuple(notes),
    )


# Memory for each sort and hash of the report's statements (PostgreSQL; for the rest of
# the transaction only): a large bank's per-account sums and edges need tens of
# megabytes, and with the default 4 MB they were written to disk in batches.
REPORT_WORK_MEM = "32MB"


def use_report_memory(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def networks(
    session: Session,
    bank_ids: tuple[int, ...],
    period: Period,
    quarters: tuple[Period, ...],
    *,
    consenting: bool,
) -> tuple[facts.EdgeSet, facts.EdgeSet, list[facts.EdgeSet]]:
    """The period's network of time, its pot credits, and each quarter's network of time.
    A period made of whole quarters (the trailing quarters end with it) is summed from
    theirs rather than read again."""
    by_quarter = facts.edge_minutes(session, bank_ids, list(quarters), consenting=consenting)
    first = next((i for i, q in enumerate(quarters) if q.start == period.start), None)
    if first is not None:
        time = facts.merged(by_quarter[first:])
    else:
        (time,) = facts.edge_minutes(session, bank_ids, [period], consenting=consenting)
    (pot,) = facts.edge_minutes(
        session, bank_ids, [period], consenting=consenting, kinds=scope.POT_KINDS
    )
    facts.describe(session, bank_ids, [time, pot, *by_quarter], consenting=consenting)
    return time, pot, by_quarter
