"""Command-line tools: ``flask --app timebank.app timebank ...``.

Each command runs in one transaction: it writes everything or nothing.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from timebank.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.banks import (
    add_membership,
    create_person,
    create_time_bank,
    get_person_by_email,
)
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import MemberKind, Role, TimeBank
from timebank.ledger.verify import verify_ledger


@click.group("timebank")
def timebank_cli() -> None:
    """Run and check a time bank."""


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@timebank_cli.command("verify")
@click.option("--bank", "slug", default=None, help="Check only the time bank with this short name.")
@with_appcontext
def verify_command(slug: str | None) -> None:
    """Recompute every balance and check the audit chain. Exit 1 if anything is wrong."""
    bank_id = None
    if slug:
        bank_id = db.session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == slug))
        if bank_id is None:
            _fail(f"no time bank called {slug!r}.")
    problems = verify_ledger(db.session, bank_id)
    db.session.rollback()
    if problems:
        click.echo(f"The ledger has {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"- {problem.message}", err=True)
        sys.exit(1)
    click.echo(
        "The ledger is consistent: every balance matches its transfers, each time bank"
        " sums to zero and the audit chain is intact."
    )


@timebank_cli.command("create-bank")
@click.option("--name", required=True, help="The time bank's name, as people know it.")
@click.option("--slug", required=True, help="A short name: lower-case letters, digits, hyphens.")
@click.option(
    "--floor-hours",
    type=click.IntRange(max=0),
    default=-10,
    show_default=True,
    help="How far below zero a balance may go (hours, 0 or less).",
)
@click.option("--timezone", default="Europe/London", show_default=True)
@with_appcontext
def create_bank_command(name: str, slug: str, floor_hours: int, timezone: str) -> None:
    """Create a time bank with its community pot and default categories."""
    try:
        bank = run_in_transaction(
            db.session,
            lambda: create_time_bank(
                db.session, name=name, slug=slug, floor_minutes=floor_hours * 60, timezone=timezone
            ),
        )
    except errors.LedgerError as error:
        _fail(error.message)
    click.echo(f"Created time bank {bank.name!r} ({bank.slug}).")


@timebank_cli.command("create-coordinator")
@click.option("--bank", "slug", required=True, help="The time bank's short name.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in MemberKind]),
    default=MemberKind.PROFESSIONAL.value,
    show_default=True,
)
@click.password_option(help="At least 10 characters; asked for if not given.")
@with_appcontext
def create_coordinator_command(
    slug: str, email: str, display_name: str, kind: str, password: str
) -> None:
    """Create a coordinator (or make an existing person one) in a time bank."""
    if len(password) < MIN_PASSWORD_LENGTH:
        _fail(f"the password must be at least {MIN_PASSWORD_LENGTH} characters.")

    def work():
        bank = db.session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
        if bank is None:
            raise errors.NotFoundError(f"no time bank called {slug!r}.")
        person = get_person_by_email(db.session, email)
        if person is None:
            person = create_person(
                db.session,
                email=email,
                display_name=display_name,
                password_hash=hash_password(password),
            )
        return add_membership(
            db.session,
            actor=None,
            bank=bank,
            person=person,
            role=Role.COORDINATOR,
            kind=MemberKind(kind),
        )

    try:
        membership = run_in_transaction(db.session, work)
    except errors.LedgerError as error:
        _fail(error.message)
    person = membership.person
    click.echo(f"{person.display_name} is now a coordinator of {slug}.")
    if person.display_name != display_name.strip():
        click.echo("They already had an account, so their name and password are unchanged.")


@timebank_cli.command("demo")
@click.option(
    "--seed",
    type=int,
    default=2024,
    show_default=True,
    help="Random seed, so the demo is the same each time.",
)
@with_appcontext
def demo_command(seed: int) -> None:
    """Create the demo time bank, unless it exists already (running it twice adds nothing)."""
    from timebank.demo import DEMO_PASSWORD, DEMO_SLUG, demo_sign_ins, seed_demo

    if db.session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == DEMO_SLUG)):
        click.echo("The demo time bank is already there; nothing was added.")
    else:
        try:
            summary = run_in_transaction(db.session, lambda: seed_demo(db.session, seed=seed))
        except errors.LedgerError as error:
            _fail(f"the demo could not be created, nothing was written: {error.message}")
        click.echo(summary.describe())
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in demo_sign_ins(db.session):
        click.echo(f"  {role:<12} {email}")
