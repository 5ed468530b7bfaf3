"""The keys two-step sign-in keeps its secrets under, derived from one master key (the
app's secret key): one to encrypt TOTP secrets (Fernet: AES-128-CBC with an
HMAC-SHA256 tag), one to hash recovery codes. Neither is stored in the database, so a
copy of the database alone gives no working code.

Changing the master key makes the stored TOTP secrets and recovery codes unreadable:
everyone who had two-step sign-in turned on must have it reset by a coordinator (or,
for a coordinator, from the command line) and set it up again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken


def _derive(master: bytes, purpose: str) -> bytes:
    label = f"timebank two-step sign-in: {purpose}".encode()
    return hmac.new(master, label, hashlib.sha256).digest()


class UnreadableSecretError(Exception):
    """The secret was encrypted under another key (the master key changed)."""


@dataclass(frozen=True)
class SecretBox:
    encryption_key: bytes
    hashing_key: bytes

    @classmethod
    def from_master_key(cls, master: str | bytes) -> SecretBox:
        raw = master.encode() if isinstance(master, str) else master
        return cls(
            encryption_key=base64.urlsafe_b64encode(_derive(raw, "encrypt secrets")),
            hashing_key=_derive(raw, "hash recovery codes"),
        )

    def encrypt(self, plain: str) -> str:
        return Fernet(self.encryption_key).encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return Fernet(self.encryption_key).decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise UnreadableSecretError("the secret cannot be read with this key") from error
