"""An email is sent once, however often its job runs.

Before sending, the job claims the notification's mark in Redis (``SET NX``) as
"sending" for ``SENDING_SECONDS``; once the mail server has taken the message the mark
becomes "sent" for ``SENT_SECONDS``. A retry that finds "sent" does nothing. One that
finds "sending" (another worker is sending it, or died while sending) raises
``EmailInFlight`` so the queue tries again later; when the mark has expired the email
is sent. A failure to send gives the claim back, so the next try sends it.

The one case left where a person could get an email twice: a worker killed after the
mail server took the message and before the mark was set, and then only after
``SENDING_SECONDS``.
"""

from __future__ import annotations

SENDING, SENT = b"sending", b"sent"
SENDING_SECONDS = 10 * 60
SENT_SECONDS = 30 * 24 * 60 * 60


class EmailInFlight(RuntimeError):
    """Another try of this email is sending it (or died doing so): try again later."""


class EmailMarks:
    def __init__(self, connection, prefix: str) -> None:
        self.connection = connection
        self.prefix = prefix

    def _key(self, notification_id: int) -> str:
        return f"{self.prefix}:email-sent:{notification_id}"

    def claim(self, notification_id: int) -> bool:
        """True: this try sends the email. False: it was sent already."""
        key = self._key(notification_id)
        if self.connection.set(key, SENDING, nx=True, ex=SENDING_SECONDS):
            return True
        if self.connection.get(key) == SENT:
            return False
        raise EmailInFlight(f"notification {notification_id} is being sent")

    def sent(self, notification_id: int) -> None:
        self.connection.set(self._key(notification_id), SENT, ex=SENT_SECONDS)

    def release(self, notification_id: int) -> None:
        self.connection.delete(self._key(notification_id))

    def is_sent(self, notification_id: int) -> bool:
        return self.connection.get(self._key(notification_id)) == SENT
