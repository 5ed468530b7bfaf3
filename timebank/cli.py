"""Command-line tools: ``flask --app timebank.app timebank ...``.

Each command runs in one transaction: it writes everything or nothing.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from timebank.auth.password_policy import (
    MAX_PASSWORD_LENGTH,
    PasswordProblem,
    context_words,
    password_problem,
)
from timebank.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from timebank.community.people import create_person, get_person_by_email
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.banks import add_membership, create_time_bank
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import MemberKind, Role, TimeBank
from timebank.ledger.verify import verify_ledger
from timebank.ledger.verify_incremental import verify_since_checkpoint

# The command speaks English (no request, so no reader's language).
CLI_PASSWORD_PROBLEMS = {
    PasswordProblem.TOO_SHORT: f"use at least {MIN_PASSWORD_LENGTH} characters.",
    PasswordProblem.TOO_LONG: f"use no more than {MAX_PASSWORD_LENGTH} characters.",
    PasswordProblem.COMMON: "it is on the list of common passwords that attackers try first.",
    PasswordProblem.GUESSABLE: "it is too easy to guess from the name, the email or the site.",
}


@click.group("timebank")
def timebank_cli() -> None:
    """Run and check a time bank."""


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@timebank_cli.command("verify")
@click.option("--bank", "slug", default=None, help="Check only the time bank with this short name.")
@click.option(
    "--since-checkpoint",
    is_flag=True,
    help="Check only what changed since the last clean check (a full check for a bank"
    " without one), and move the checkpoint of each bank found consistent.",
)
@with_appcontext
def verify_command(slug: str | None, since_checkpoint: bool) -> None:
    """Recompute every balance and check the audit chain. Exit 1 if anything is wrong."""
    bank_id = None
    if slug:
        bank_id = db.session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == slug))
        if bank_id is None:
            _fail(f"no time bank called {slug!r}.")
        db.session.rollback()  # so that verify reads from one snapshot of its own
    if since_checkpoint:
        problems = verify_since_checkpoint(db.session(), bank_id)
        db.session.commit()
    else:
        problems = verify_ledger(db.session(), bank_id)
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
            db.session(),
            lambda: create_time_bank(
                db.session(),
                name=name,
                slug=slug,
                floor_minutes=floor_hours * 60,
                timezone=timezone,
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
    problem = password_problem(password, context_words(email=email, name=display_name))
    if problem is not None:
        _fail(f"the password cannot be used: {CLI_PASSWORD_PROBLEMS[problem]}")

    def work():
        bank = db.session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
        if bank is None:
            raise errors.NotFoundError(f"no time bank called {slug!r}.")
        person = get_person_by_email(db.session(), email)
        if person is None:
            person = create_person(
                db.session(),
                email=email,
                display_name=display_name,
                password_hash=hash_password(password),
            )
        return add_membership(
            db.session(),
            actor=None,
            bank=bank,
            person=person,
            role=Role.COORDINATOR,
            kind=MemberKind(kind),
        )

    try:
        membership = run_in_transaction(db.session(), work)
    except errors.LedgerError as error:
        _fail(error.message)
    person = membership.person
    click.echo(f"{person.display_name} is now a coordinator of {slug}.")
    if person.display_name != display_name.strip():
        click.echo("They already had an account, so their name and password are unchanged.")


@timebank_cli.command("reset-two-step")
@click.option("--email", required=True, help="The person whose two-step sign-in is reset.")
@with_appcontext
def reset_two_step_command(email: str) -> None:
    """Turn off someone's two-step sign-in (a coordinator who lost their phone and their
    recovery codes, with no other coordinator to do it): they are signed out everywhere
    and, if their role needs it, set it up again at their next sign-in."""
    from timebank.community import sign_in_sessions, two_step
    from timebank.community.sign_in_sessions import Ended

    person = get_person_by_email(db.session(), email)
    if person is None:
        _fail(f"No one has the email address {email!r}.")

    def work() -> None:
        two_step.turn_off(db.session(), person)
        person.session_version += 1
        sign_in_sessions.end_all(db.session(), person_id=person.id, reason=Ended.SIGNED_OUT)

    run_in_transaction(db.session(), work)
    click.echo(f"Two-step sign-in is off for {email}; they are signed out everywhere.")


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
    from timebank.demo import (
        DEMO_PASSWORD,
        DEMO_SLUG,
        VALLEY_SLUG,
        demo_sign_ins,
        seed_demo,
        seed_second_bank,
    )

    def exists(slug: str) -> bool:
        return db.session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == slug)) is not None

    if exists(DEMO_SLUG) and exists(VALLEY_SLUG):
        click.echo("The demo time banks are already there; nothing was added.")
    elif exists(DEMO_SLUG):
        # A demo made before the partner's second bank existed: add that bank only.
        try:
            summary = run_in_transaction(
                db.session(), lambda: seed_second_bank(db.session(), seed=seed + 1)
            )
        except errors.LedgerError as error:
            _fail(
                f"the second demo bank could not be created, nothing was written: {error.message}"
            )
        click.echo(summary.describe())
    else:
        try:
            summary = run_in_transaction(db.session(), lambda: seed_demo(db.session(), seed=seed))
        except errors.LedgerError as error:
            _fail(f"the demo could not be created, nothing was written: {error.message}")
        click.echo(summary.describe())
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in demo_sign_ins(db.session()):
        click.echo(f"  {role:<12} {email}")


def _import_command(
    slug: str,
    email: str,
    layout_name: str,
    path: str,
    dry_run: bool,
    members_path: str | None = None,
) -> None:
    """Shared by the import commands: check every row, then (unless --dry-run) import
    them all in one transaction, with progress on stderr."""
    from pathlib import Path

    from timebank.importing import Issue, Layout, file_sha256, load_lookups
    from timebank.importing import runs as import_runs
    from timebank.importing.balances import hours_and_minutes
    from timebank.importing.checking import check_file, reports_sha256
    from timebank.importing.identity import known_keys_in
    from timebank.ledger.models import Membership, Person

    layout = Layout(layout_name)
    file_path = Path(path)
    members_file = Path(members_path) if members_path else None
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
    lookups = load_lookups(db.session(), bank.id)
    db.session.rollback()

    def show(issue: Issue) -> None:
        note = "note: " if issue.warning else ""
        click.echo(f"line {issue.line}: {note}{issue.message}", err=True)

    report = check_file(
        lookups,
        file_path,
        layout,
        keep=0,
        members_path=members_file,
        known=known_keys_in(db.session(), bank.id, end_transaction=True),
        on_issue=show,
    )
    if report.no_rows:
        click.echo("The file has no rows to import. Nothing was imported.", err=True)
        sys.exit(1)
    if report.file_problem:
        click.echo(
            f"The file cannot be read as: {layout.label}. Nothing was imported.",
            err=True,
        )
        sys.exit(1)
    if report.error_count:
        click.echo(
            f"{report.error_count:,} bad row(s) out of {report.total_rows:,}. Nothing was"
            " imported: correct them and run the command again.",
            err=True,
        )
        sys.exit(1)
    if report.repeats:
        click.echo(f"{report.repeats:,} rows are already imported and will be skipped.")
    if report.balances_checked:
        click.echo(
            f"{report.balance_difference_count:,} of {report.balances_checked:,} balances"
            " would differ from TimeOverflow's members report."
        )
    _show_differences(report.balance_differences, hours_and_minutes)
    if dry_run:
        click.echo(f"{report.ready_rows:,} rows ready to import. Nothing was written (dry run).")
        return
    if members_file is not None:
        sha256 = reports_sha256(members_file, file_path)
    else:
        sha256 = file_sha256(file_path)
    run = import_runs.create_run(
        db.session(),
        actor=actor,
        layout=layout,
        filename=file_path.name,
        sha256=sha256,
        stored_as="",
        members_stored_as="" if members_file is not None else None,
    )
    import_runs.record_check(run, report)
    db.session.flush()
    import_runs.claim(db.session(), run)
    db.session.commit()

    def progress(rows: int) -> None:
        click.echo(f"  {rows:,} of {report.total_rows:,} rows written", err=True)

    result = import_runs.execute(
        db.session(),
        run.id,
        file_path,
        progress_hook=progress,
        remove_file=False,
        members_path=members_file,
    )
    if not result.ok:
        click.echo(f"Error: nothing was imported. {result.message}", err=True)
        sys.exit(1)
    click.echo(result.message)
    if result.outcome is not None:
        from timebank.invitation_mail import send_import_invitations

        send_import_invitations(result.outcome.invitations)
        _show_differences(result.outcome.balance_differences, hours_and_minutes)


def _show_differences(differences, hours_and_minutes) -> None:
    for d in differences:
        click.echo(
            f"  member {d.number} ({d.name}), line {d.line}: TimeOverflow says"
            f" {hours_and_minutes(d.expected_seconds)}, here"
            f" {hours_and_minutes(d.minutes * 60)} (difference"
            f" {hours_and_minutes(d.difference_seconds)})"
        )


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


@timebank_cli.command("import-timeoverflow")
@click.option("--bank", "slug", required=True, help="The time bank's short name.")
@click.option("--coordinator", "email", required=True, help="Email of the coordinator importing.")
@click.option(
    "--members",
    "members_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="TimeOverflow's members report (CSV), as downloaded.",
)
@click.option(
    "--transfers",
    "transfers_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="TimeOverflow's transfers report (CSV), as downloaded.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@with_appcontext
def import_timeoverflow_command(
    slug: str, email: str, members_path: str, transfers_path: str, dry_run: bool
) -> None:
    """Import members and past exchanges from TimeOverflow's two reports together, all
    or nothing, with every member's balance checked against the members report."""
    _import_command(
        slug, email, "timeoverflow-reports", transfers_path, dry_run, members_path=members_path
    )


@timebank_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run the background jobs (emails, imports, report rebuilds) from Redis."""
    from flask import current_app

    from timebank.jobs.worker import NoRedis, run_worker

    try:
        run_worker(current_app._get_current_object(), burst=burst)  # type: ignore[attr-defined]
    except NoRedis as error:
        _fail(str(error))


@timebank_cli.command("rebuild-reports")
@click.option("--bank", "slug", default=None, help="Only the time bank with this short name.")
@with_appcontext
def rebuild_reports_command(slug: str | None) -> None:
    """Queue a rebuild of each time bank's usual reports (the worker runs it; without
    Redis it runs now)."""
    from timebank.jobs import tasks
    from timebank.jobs.queue import enqueue

    query = sa.select(TimeBank.id).order_by(TimeBank.id)
    if slug:
        query = query.where(TimeBank.slug == slug)
    bank_ids = db.session.scalars(query).all()
    db.session.rollback()
    if slug and not bank_ids:
        _fail(f"no time bank called {slug!r}.")
    for bank_id in bank_ids:
        enqueue(tasks.rebuild_reports, bank_id, name=f"reports-{bank_id}", background=False)
    click.echo(f"Report rebuilds queued for {len(bank_ids)} time bank(s).")


@timebank_cli.command("audit-heads")
@click.option(
    "--check",
    "manifest",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A backup's manifest: check that each bank's chain still holds the head it had.",
)
@with_appcontext
def audit_heads_command(manifest: str | None) -> None:
    """Print each time bank's audit chain head (sequence number and hash) as JSON, for a
    backup's manifest; with --check, exit 1 unless every head in the manifest is still
    in its bank's chain (so history rewritten since that backup is found)."""
    import json

    from timebank.ledger.models import AuditChain, AuditEntry

    if manifest is None:
        rows = db.session.execute(
            sa.select(TimeBank.slug, AuditChain.last_seq, AuditChain.last_hash)
            .join(AuditChain, AuditChain.time_bank_id == TimeBank.id)
            .order_by(TimeBank.slug)
        ).all()
        db.session.rollback()
        heads = {slug: {"seq": seq, "hash": hash_} for slug, seq, hash_ in rows}
        click.echo(json.dumps(heads, indent=2, sort_keys=True))
        return
    with open(manifest, encoding="utf-8") as file:
        recorded = json.load(file)
    heads = recorded.get("audit_heads", recorded)
    problems = []
    for slug, head in sorted(heads.items()):
        found = db.session.scalar(
            sa.select(AuditEntry.hash)
            .join(TimeBank, TimeBank.id == AuditEntry.time_bank_id)
            .where(TimeBank.slug == slug, AuditEntry.seq == int(head["seq"]))
        )
        if found is None:
            problems.append(f"{slug}: audit entry {head['seq']} is missing")
        elif found != head["hash"]:
            problems.append(f"{slug}: audit entry {head['seq']} has changed since the backup")
    db.session.rollback()
    if problems:
        for problem in problems:
            click.echo(f"- {problem}", err=True)
        sys.exit(1)
    click.echo(f"Every audit chain holds the head recorded in the manifest ({len(heads)} banks).")
