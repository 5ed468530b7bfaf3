"""Network measures kept by the fingerprint of their network, so that a report rebuilt
after a posting works out again only the networks that changed (the period's and its
quarter's; past quarters rarely change).

A network's fingerprint is the sha256 of its edges (giver, receiver, minutes) and of its
accounts that are people (with the person behind each): everything its measures and its
count of people depend on. The same fingerprint therefore means the same measures,
whichever banks, period or audience the network came from. They are kept in the report
cache table as rows of audience ``network``, keyed by the fingerprint
(``selection_hash``), and expire with the reports (``cache.KEEP_DAYS``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from array import array

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.reports.models import ReportCache
from timebank.reports.reciprocity import facts, network
from timebank.reports.reciprocity.period import Period

AUDIENCE = "network"

NetworkFigures = tuple[network.Measures, int]


def network_of(found: facts.EdgeSet) -> NetworkFigures:
    """The measures of one network and the number of people in it."""
    members = [a for a, role in found.role.items() if found.person.get(a) is not None]
    people = len({found.person[a] for a in members})
    return network.measures_of(found.minutes, members), people


def fingerprint(found: facts.EdgeSet) -> str:
    """sha256 of the sorted edges (giver, receiver, minutes) and the sorted (account,
    person) of the accounts that are people, as 64-bit integers (account and person
    ids are integers; packing them is several times faster than their text)."""
    edges = sorted(found.minutes.items())
    people = sorted((a, p) for a in found.role if (p := found.person.get(a)) is not None)
    digest = hashlib.sha256()
    digest.update(array("q", [len(edges)]).tobytes())
    digest.update(array("q", [n for (u, v), m in edges for n in (u, v, m)]).tobytes())
    digest.update(array("q", [n for pair in people for n in pair]).tobytes())
    return digest.hexdigest()


def stored_network_figures(
    session: Session, networks: list[tuple[Period, facts.EdgeSet]], selection_key: str
) -> list[NetworkFigures]:
    """:func:`network_of` each of ``networks``, taken from the cache where a network
    with the same fingerprint has been worked out before; the others are worked out and
    stored (flushed, not committed). ``selection_key`` and the periods are kept with
    the rows for whoever reads the table."""
    prints = [fingerprint(found) for _, found in networks]
    known = remembered(session, prints)
    figures = work_out(networks, prints, known)
    remember(session, networks, prints, figures, known, selection_key)
    return figures


def remembered(session: Session, prints: list[str]) -> dict[str, NetworkFigures]:
    """The figures kept for those of ``prints`` worked out before, by fingerprint."""
    return {
        key: _loads(payload)
        for key, payload in session.execute(
            sa.select(ReportCache.selection_hash, ReportCache.payload).where(
                ReportCache.audience == AUDIENCE, ReportCache.selection_hash.in_(set(prints))
            )
        )
    }


def work_out(
    networks: list[tuple[Period, facts.EdgeSet]],
    prints: list[str] | None = None,
    known: dict[str, NetworkFigures] | None = None,
) -> list[NetworkFigures]:
    """The figures of each network: from ``known`` by its fingerprint (``prints``, in
    the same order) where there, otherwise worked out. Touches no database, so it can
    run beside the queries of the rest of the report."""
    if prints is None or known is None:
        return [network_of(found) for _, found in networks]
    return [
        known[key] if key in known else network_of(found)
        for key, (_, found) in zip(prints, networks, strict=True)
    ]


def remember(
    session: Session,
    networks: list[tuple[Period, facts.EdgeSet]],
    prints: list[str],
    figures: list[NetworkFigures],
    known: dict[str, NetworkFigures],
    selection_key: str,
) -> None:
    """Store the figures of the networks that were not ``known`` (flushed, not
    committed)."""
    now = utcnow()
    stored = set(known)
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ReportCache)
    for key, (period, _), found in zip(prints, networks, figures, strict=True):
        if key in stored:
            continue
        stored.add(key)
        values = {
            "selection_hash": key,
            "bank_ids": selection_key,
            "period_start": period.start,
            "period_end": period.end,
            "audience": AUDIENCE,
            "generation": key,
            "payload": _dumps(found),
            "built_at": now,
        }
        session.execute(insert.values(**values).on_conflict_do_nothing())
    session.flush()


def _dumps(figures: NetworkFigures) -> str:
    measures, people = figures
    return json.dumps([dataclasses.asdict(measures), people])


def _loads(payload: str) -> NetworkFigures:
    measures, people = json.loads(payload)
    return network.Measures(**measures), int(people)
