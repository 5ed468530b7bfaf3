"""Who or what a pending entry is waiting for, seen by one of its people or by anyone.

An entry that asks for confirmation is confirmed by the person who did not record it
(``transfers.confirm_transfer``); one that asks for approval waits for a coordinator.
Either may come first. Pure: pages and notifications say it in words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Confirmer(enum.StrEnum):
    YOU = "you"  # the reader confirms
    OTHER = "other"  # the other person confirms


@dataclass(frozen=True)
class Waiting:
    """What a pending entry still needs. ``confirmer`` is None when no confirmation is
    outstanding; ``coordinator`` says whether an approval is."""

    confirmer: Confirmer | None
    coordinator: bool
    # A coordinator approved it already and it waits only for the confirmation.
    approved: bool = False
    confirmed: bool = False

    @property
    def anything(self) -> bool:
        return self.confirmer is not None or self.coordinator


def waiting_for(
    *,
    needs_confirmation: bool,
    confirmed: bool,
    needs_approval: bool,
    approved: bool,
    recorded_by_id: int | None,
    reader_id: int | None,
) -> Waiting:
    """What a pending entry waits for, for the member ``reader_id`` (one of its people),
    or for anyone else (a coordinator: then the confirmer is always "the other person",
    meaning whoever did not record it)."""
    confirmer = None
    if needs_confirmation and not confirmed:
        mine = reader_id is not None and recorded_by_id != reader_id
        confirmer = Confirmer.YOU if mine else Confirmer.OTHER
    return Waiting(
        confirmer=confirmer,
        coordinator=needs_approval and not approved,
        approved=needs_approval and approved,
        confirmed=needs_confirmation and confirmed,
    )
