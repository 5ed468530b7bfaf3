"""The app's keys for two-step sign-in, and the one place its events are logged."""

from __future__ import annotations

from flask import current_app

from timebank.auth.security_log import log_event
from timebank.community.secret_box import SecretBox


def secret_box() -> SecretBox:
    """Keys derived from the app's secret key (see timebank.community.secret_box)."""
    return SecretBox.from_master_key(current_app.config["SECRET_KEY"])


def log_two_step_event(
    kind: str, person_id: int, *, actor_id: int | None = None, time_bank_id: int | None = None
) -> None:
    """Write a two-step event (turned on or off, a code refused, a recovery code used,
    new recovery codes, a coordinator's reset) to the security event log: the person's
    id and what happened, never a secret or a code."""
    log_event(kind, person_id=person_id, actor_id=actor_id, time_bank_id=time_bank_id)
