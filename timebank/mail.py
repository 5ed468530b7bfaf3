"""Email through Flask-Mail, or into an outbox folder during development.

``send_email`` writes each message as a ``.eml`` file to ``MAIL_OUTBOX`` when that is
set (the default when no ``MAIL_SERVER`` is configured), and sends it through the
configured server otherwise. The demo page ``/auth/outbox`` lists the written messages
to the person signed in, so that nobody needs a mail server to see what they are sent.
Someone not signed in yet (who applied to join, and must open the link emailed to
them) sees there only the mail their own browser's request caused: such a message is
marked with a secret kept in that browser's session (``demo_reader``), never with
anything another visitor could guess. Nothing here logs an address or a message body.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from flask import Flask, abort, current_app, render_template, session
from flask_login import current_user
from flask_mail import Mail, Message

mail = Mail()

# How many of the newest messages the outbox page shows.
OUTBOX_PAGE_SIZE = 50
_LINK = re.compile(r"(https?://[^\s<>\"]+)")
# The header marking a demo outbox message as readable by one browser (a hash of the
# secret in that browser's session), and the session key of that secret.
READER_HEADER = "X-Timebank-Demo-Reader"
READER_KEY = "outbox_reader"


def init_mail(app: Flask, instance_path: str) -> None:
    if not app.config.get("MAIL_SERVER") and not app.config.get("MAIL_OUTBOX"):
        app.config["MAIL_OUTBOX"] = str(Path(instance_path) / "outbox")
    mail.init_app(app)
    if app.config.get("MAIL_OUTBOX") and app.config.get("DEMO_OUTBOX_PAGE"):
        app.add_url_rule("/auth/outbox", "outbox", outbox_page)


def demo_outbox_on() -> bool:
    config = current_app.config
    return bool(config.get("MAIL_OUTBOX") and config.get("DEMO_OUTBOX_PAGE"))


def _reader_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


def demo_reader() -> str | None:
    """On a demo server: the mark that lets this browser read, in the demo outbox, the
    mail its request is about to cause (kept in its session). Elsewhere None."""
    if not demo_outbox_on():
        return None
    secret = session.get(READER_KEY)
    if not isinstance(secret, str):
        secret = session[READER_KEY] = secrets.token_urlsafe(16)
    return _reader_hash(secret)


def send_email(
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    demo_reader: str | None = None,
) -> None:
    message = Message(
        subject=subject,
        recipients=[to],
        body=text_body,
        html=html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    outbox = current_app.config.get("MAIL_OUTBOX")
    if outbox:
        if demo_reader:
            message.extra_headers = {READER_HEADER: demo_reader}
        folder = Path(outbox)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        path = folder / name
        path.write_text(message.as_string(), encoding="utf-8")
        path.chmod(0o600)
        return
    mail.send(message)


@dataclass
class OutboxMessage:
    to: str
    subject: str
    sent_at: datetime
    body_parts: list[tuple[str, bool]]  # (text, is a link)


def _text_of(parsed) -> str:
    part = parsed.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def read_outbox(
    folder: str | Path,
    limit: int = OUTBOX_PAGE_SIZE,
    *,
    to: str | None = None,
    reader: str | None = None,
) -> list[OutboxMessage]:
    """The newest messages first; with ``to`` or ``reader``, only those addressed to
    ``to`` or marked for ``reader``."""
    path = Path(folder)
    if not path.is_dir():
        return []
    files = sorted(path.glob("*.eml"), key=lambda f: f.name, reverse=True)
    everything = to is None and reader is None
    if everything:
        files = files[:limit]
    messages: list[OutboxMessage] = []
    for file in files:
        if len(messages) >= limit:
            break
        parsed = message_from_bytes(file.read_bytes(), policy=policy.default)
        if not everything:
            addressed = to is not None and (
                str(parsed["To"] or "").strip().lower() == to.strip().lower()
            )
            marked = reader is not None and str(parsed[READER_HEADER] or "") == reader
            if not (addressed or marked):
                continue
        text = _text_of(parsed)
        parts = [(piece, index % 2 == 1) for index, piece in enumerate(_LINK.split(text))]
        stamp = int(file.name.split("-", 1)[0]) / 1e9
        messages.append(
            OutboxMessage(
                to=str(parsed["To"] or ""),
                subject=str(parsed["Subject"] or ""),
                sent_at=datetime.fromtimestamp(stamp, UTC),
                body_parts=[p for p in parts if p[0]],
            )
        )
    return messages


def outbox_page():
    """The demo's mail, but only what was sent to the person signed in, and what this
    browser's own requests caused (an applicant's confirmation link): reset and
    invitation links are keys to accounts, and anyone can reach a demo server."""
    folder = current_app.config.get("MAIL_OUTBOX")
    if not folder or not current_app.config.get("DEMO_OUTBOX_PAGE"):
        abort(404)
    secret = session.get(READER_KEY)
    reader = _reader_hash(secret) if isinstance(secret, str) else None
    if current_user.is_authenticated:
        messages = read_outbox(folder, to=current_user.person.email, reader=reader)
    elif reader is not None:
        messages = read_outbox(folder, reader=reader)
    else:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    return render_template("auth/outbox.html", messages=messages)
