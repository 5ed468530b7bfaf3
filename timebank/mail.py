"""Email through Flask-Mail, or into an outbox folder during development.

``send_email`` writes each message as a ``.eml`` file to ``MAIL_OUTBOX`` when that is
set (the default when no ``MAIL_SERVER`` is configured), and sends it through the
configured server otherwise. The demo page ``/auth/outbox`` lists the written messages
to the person signed in, so that nobody needs a mail server to see what they are sent.
Nothing here logs an address or a message body.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from flask import Flask, abort, current_app, render_template
from flask_login import current_user, login_required
from flask_mail import Mail, Message

mail = Mail()

# How many of the newest messages the outbox page shows.
OUTBOX_PAGE_SIZE = 50
_LINK = re.compile(r"(https?://[^\s<>\"]+)")


def init_mail(app: Flask, instance_path: str) -> None:
    if not app.config.get("MAIL_SERVER") and not app.config.get("MAIL_OUTBOX"):
        app.config["MAIL_OUTBOX"] = str(Path(instance_path) / "outbox")
    mail.init_app(app)
    if app.config.get("MAIL_OUTBOX") and app.config.get("DEMO_OUTBOX_PAGE"):
        app.add_url_rule("/auth/outbox", "outbox", outbox_page)


def send_email(to: str, subject: str, text_body: str, html_body: str | None = None) -> None:
    message = Message(
        subject=subject,
        recipients=[to],
        body=text_body,
        html=html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
    )
    outbox = current_app.config.get("MAIL_OUTBOX")
    if outbox:
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
    folder: str | Path, limit: int = OUTBOX_PAGE_SIZE, *, to: str | None = None
) -> list[OutboxMessage]:
    """The newest messages first; with ``to``, only those addressed to it."""
    path = Path(folder)
    if not path.is_dir():
        return []
    files = sorted(path.glob("*.eml"), key=lambda f: f.name, reverse=True)
    if to is None:
        files = files[:limit]
    messages: list[OutboxMessage] = []
    for file in files:
        if len(messages) >= limit:
            break
        parsed = message_from_bytes(file.read_bytes(), policy=policy.default)
        if to is not None and str(parsed["To"] or "").strip().lower() != to.strip().lower():
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


@login_required
def outbox_page():
    """The demo's mail, but only what was sent to the person signed in: reset and
    invitation links are keys to accounts, and anyone can reach a demo server."""
    folder = current_app.config.get("MAIL_OUTBOX")
    if not folder or not current_app.config.get("DEMO_OUTBOX_PAGE"):
        abort(404)
    messages = read_outbox(folder, to=current_user.person.email)
    return render_template("auth/outbox.html", messages=messages)
