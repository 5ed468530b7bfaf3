"""``flask security-log prune --older-than-days N``: the retention of the security event
log, and the only way its rows go (OWASP ASVS 16.4.2).

The table refuses UPDATE and DELETE by trigger; this command deletes the events older
than N days through the documented permit (timebank/community/security_log_guard.py),
in one transaction, and with them the sign-in sessions last seen before then (every one
of them long over). Run it from cron at the retention the operator has chosen (the
README suggests a year); without it, events are kept as long as the database.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from timebank.community import sign_in_sessions
from timebank.community.security_log_guard import prune_security_events
from timebank.extensions import db
from timebank.ledger.clock import utcnow
from timebank.ledger.database import run_in_transaction

# Less than this is refused: a slip of the finger must not empty the log.
MIN_DAYS = 30


@click.group("security-log")
def security_log_cli() -> None:
    """The security event log."""


@security_log_cli.command("prune")
@click.option(
    "--older-than-days",
    "days",
    type=click.IntRange(min=MIN_DAYS, max=36_500),
    required=True,
    help=f"Delete the events older than this many days (at least {MIN_DAYS}).",
)
@with_appcontext
def prune_command(days: int) -> None:
    """Delete security events (and ended sign-in sessions) older than N days."""
    cutoff = utcnow() - timedelta(days=days)

    def work() -> tuple[int, int]:
        events = prune_security_events(db.session(), older_than=cutoff)
        sessions = sign_in_sessions.prune(db.session(), older_than=cutoff)
        return events, sessions

    events, sessions = run_in_transaction(db.session(), work)
    click.echo(
        f"Deleted {events} security events and {sessions} sign-in sessions"
        f" from before {cutoff:%Y-%m-%d %H:%M} UTC."
    )
