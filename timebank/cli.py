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


def _import_command(slug: str, email: str, layout_name: str, path: str, dry_run: bool) -> None:
    """Shared by import-members and import-transfers: check every row, then (unless
    --dry-run) import them all in one transaction, with progress on stderr."""
    from pathlib import Path

    from timebank.importing import Issue, Layout, file_sha256, load_lookups
    from timebank.importing import runs as import_runs
    from timebank.importing.checking import CheckReport
    from timebank.importing.rows import BadFile, read_rows
    from timebank.ledger.models import Membership, Person

    layout = Layout(layout_name)
    file_path = Path(path)
    bank = db.session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        _fail(f"no time bank called {slug!r}.")
    actor = db.session.scalar(
        sa.select(Membership)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.time_bank_id == bank.id, Person.email == email.strip().lower())
    )
    if actor is None or not actor.is_coordinator:
        _fail(f"{email} is not an active coordinator of {slug}.")
    lookups = load_lookups(db.session, bank.id)
    db.session.rollback()
    report = CheckReport()
    try:
        for item in read_rows(file_path, layout, lookups):
            if isinstance(item, Issue):
                if item.warning:
                    report.warning_count += 1
                    click.echo(f"line {item.line}: note: {item.message}", err=True)
                else:
                    report.total_rows += 1
                    report.error_count += 1
                    click.echo(f"line {item.line}: {item.message}", err=True)
            else:
                report.total_rows += 1
                report.ready_rows += 1
    except BadFile as error:
        click.echo(f"line {error.line}: {error.message}", err=True)
        report.error_count += 1
    if report.error_count:
        click.echo(
            f"{report.error_count:,} bad row(s) out of {report.total_rows:,}. Nothing was"
            " imported: correct them and run the command again.",
            err=True,
        )
        sys.exit(1)
    if dry_run:
        click.echo(f"{report.ready_rows:,} rows ready to import. Nothing was written (dry run).")
        return
    sha256 = file_sha256(file_path)
    run = import_runs.create_run(
        db.session,
        actor=actor,
        layout=layout,
        filename=file_path.name,
        sha256=sha256,
        stored_as="",
    )
    import_runs.record_check(run, report)
    db.session.flush()
    import_runs.claim(db.session, run)
    db.session.commit()

    def show(rows: int) -> None:
        click.echo(f"  {rows:,} of {report.total_rows:,} rows written", err=True)

    result = import_runs.execute(
        db.session, run.id, file_path, progress_hook=show, remove_file=False
    )
    if not result.ok:
        click.echo(f"Error: nothing was imported. {result.message}", err=True)
        sys.exit(1)
    click.echo(result.message)


@timebank_cli.command("import-members")
@click.option("--bank", "slug", required=True, help="The time bank's short name.")
@click.option("--coordinator", "email", required=True, help="Email of the coordinator importing.")
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_members_command(slug: str, email: str, dry_run: bool, path: str) -> None:
    """Import members (generic layout with a header row; see docs/import-formats.md)."""
    _import_command(slug, email, "members", path, dry_run)


@timebank_cli.command("import-transfers")
@click.option("--bank", "slug", required=True, help="The time bank's short name.")
@click.option("--coordinator", "email", required=True, help="Email of the coordinator importing.")
@click.option(
    "--layout",
    type=click.Choice(["timeoverflow", "generic"]),
    default="timeoverflow",
    show_default=True,
    help="TimeOverflow's transfer export (no header) or the generic layout with a header.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_transfers_command(slug: str, email: str, layout: str, dry_run: bool, path: str) -> None:
    """Import past exchanges, all or nothing, with the balances verified at the end."""
    name = "timeoverflow-transfers" if layout == "timeoverflow" else "transfers"
    _import_command(slug, email, name, path, dry_run)
