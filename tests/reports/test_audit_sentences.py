"""The audit log's words for what an entry is about and for membership changes: each
kind and each change in its own words, and anything unknown in plain words from its
name (each sentence is translated only when an entry needs it)."""

from __future__ import annotations

import pytest

from timebank.reports.audit_names import Names
from timebank.reports.audit_sentences import summarise
from timebank.reports.audit_wording import entity_words

NAMES = Names(memberships={7: "Ann Jones"})


@pytest.mark.parametrize(
    ("kind", "entity_id", "words"),
    [
        ("transfer", 12, "exchange 12"),
        ("membership", 7, "member 7"),
        ("time_bank", 1, "time bank 1"),
        ("organisation", 3, "organisation 3"),
        ("category", 4, "category 4"),
        ("invitation", 5, "invitation 5"),
        ("coordinator_note", 6, "coordinator note 6"),
        ("import_run", 8, "import run 8"),
        ("listing", 9, "listing 9"),
        ("api_token", 2, "api token 2"),
        ("transfer", None, "exchange"),
        ("membership", None, "member"),
        ("time_bank", None, "time bank"),
        ("import_run", None, "import run"),
    ],
)
def test_what_an_entry_is_about(kind, entity_id, words):
    assert entity_words(kind, entity_id) == words


@pytest.mark.parametrize(
    ("verb", "sentence"),
    [
        ("applied", "Applied: Ann Jones"),
        ("application_approved", "Application approved: Ann Jones"),
        ("application_declined", "Application declined: Ann Jones"),
        ("role_changed", "Role changed: Ann Jones"),
        ("kind_changed", "Kind changed: Ann Jones"),
        ("suspended", "Suspended: Ann Jones"),
        ("reactivated", "Reactivated: Ann Jones"),
        ("rejoined", "Joined again by invitation: Ann Jones"),
        ("profile_updated", "Profile updated: Ann Jones"),
        ("renamed", "Name changed: Ann Jones"),
        ("two_step_reset", "Two-step sign-in reset: Ann Jones"),
        ("sessions_ended", "Signed out everywhere: Ann Jones"),
        ("moved_house", "Moved house: Ann Jones"),
    ],
)
def test_each_membership_change_in_its_own_words(verb, sentence):
    assert summarise(f"membership.{verb}", "membership", 7, {}, {}, NAMES) == sentence
