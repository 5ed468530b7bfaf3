"""Time-based one-time codes (RFC 6238, through pyotp) and recovery codes: pure
functions of a secret, a code and a moment, with no database and no clock of their own.

A code is good for its own 30-second step and the step on either side (a phone's clock
may be a little out). Which step matched is returned, so the caller can refuse that
step, and any before it, the next time: a code cannot be used twice (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

INTERVAL = 30
DIGITS = 6
# Steps either side of now that are still accepted.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code is read off paper and typed.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_CODE = re.compile(rf"^[0-9]{{{DIGITS}}}$")


def new_secret() -> str:
    """A new random secret, 160 bits in base32 (what authenticator apps expect)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def step_at(moment: datetime) -> int:
    """The 30-second step ``moment`` (aware) falls in."""
    if moment.tzinfo is None:
        raise ValueError("step_at needs an aware datetime")
    return int(moment.timestamp()) // INTERVAL


def code_at(secret: str, step: int) -> str:
    """The code of ``step`` (tests and the demo use it to type what a phone would)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step)


def clean_code(typed: str | None) -> str:
    """What was typed, without the spaces and hyphens people put in codes."""
    return re.sub(r"[\s-]", "", typed or "")


def looks_like_totp(typed: str | None) -> bool:
    return bool(_CODE.match(clean_code(typed)))


def matching_step(
    secret: str, typed: str | None, moment: datetime, *, after_step: int | None = None
) -> int | None:
    """The step whose code is ``typed``, among now and one step either side, and only a
    step later than ``after_step`` (the last one used); None when none matches."""
    code = clean_code(typed)
    if not _CODE.match(code):
        return None
    now = step_at(moment)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        # Every candidate is compared, in constant time, whatever matched first.
        if hmac.compare_digest(code_at(secret, step), code) and found is None:
            found = step
    return found


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """``count`` single-use codes like ``k3m9p-x7c2d`` (about 49 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(key: bytes, typed: str | None) -> str:
    """The stored form of a recovery code: HMAC-SHA256 under a key the database does not
    hold, so a copy of the database alone cannot be searched for the codes."""
    normalised = clean_code(typed).lower()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
