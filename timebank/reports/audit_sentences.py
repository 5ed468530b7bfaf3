"""One sentence for each audit entry: what happened, to whom, by how much, and why
("Jo Bennett gave 2 h to Sam Patel", "Suspended Sam Patel: moved away").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from timebank.ledger.models import (
    AccountKind,
)
from timebank.reports.audit_fields import Words, field_order, words_of
from timebank.reports.audit_names import Names
from timebank.reports.audit_wording import humanise
from timebank.reports.wording import Wording


def _amount(doc: dict[str, Any], w: Wording) -> str:
    minutes = doc.get("minutes")
    return w.minutes(minutes) if isinstance(minutes, int) else w.gettext("time")


def _movement(doc: dict[str, Any], names: Names) -> dict[str, str]:
    """The parameters of a sentence about time moving: time, giver, receiver."""
    return {
        "time": _amount(doc, names.wording),
        "giver": names.account(doc.get("credit_account_id")),
        "receiver": names.account(doc.get("debit_account_id")),
    }


def _opening(doc: dict[str, Any], names: Names) -> str:
    w = names.wording
    raw_minutes = doc.get("minutes")
    minutes = raw_minutes if isinstance(raw_minutes, int) else 0
    credit, debit = doc.get("credit_account_id"), doc.get("debit_account_id")
    # account_kinds is keyed by int ids: anything else (None, a malformed value) is
    # not an equity account, exactly as a failed dict lookup would say.
    if isinstance(credit, int) and names.account_kinds.get(credit) == AccountKind.EQUITY:
        holder, signed = debit, -minutes
    else:
        holder, signed = credit, minutes
    return w.gettext(
        "Brought in an opening balance of %(time)s for %(holder)s",
        time=w.minutes(signed),
        holder=names.account(holder),
    )


def _with_reason(text: str, doc: dict[str, Any], w: Wording) -> str:
    reason = doc.get("reason")
    if not reason:
        return text
    return w.gettext("%(text)s. Reason: %(reason)s", text=text, reason=reason)


def _transfer_sentence(verb: str, doc: dict[str, Any], names: Names) -> str | None:
    w = names.wording
    params = _movement(doc, names)
    if verb == "recorded":
        return w.gettext("Recorded %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "confirmed":
        return w.gettext("Confirmed %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "approved":
        return w.gettext("Approved %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "rejected":
        return w.gettext("Rejected %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "corrected":
        return w.gettext("Corrected %(time)s from %(giver)s to %(receiver)s", **params)
    if verb == "withdrawn":
        return w.gettext("Withdrew %(time)s from %(giver)s to %(receiver)s", **params)
    return None


def _summarise_transfer(
    verb: str, entity_id: int | None, after: dict[str, Any], doc: dict[str, Any], names: Names
) -> str:
    w = names.wording
    if verb == "reversed":
        # The reversal mirrors the original: its receiver gave, its giver received.
        original = {
            "minutes": doc.get("minutes"),
            "credit_account_id": doc.get("debit_account_id"),
            "debit_account_id": doc.get("credit_account_id"),
        }
        text = w.gettext(
            "Reversed exchange %(id)s (%(time)s from %(giver)s to %(receiver)s)",
            id=doc.get("reverses_id"),
            **_movement(original, names),
        )
        return _with_reason(text, doc, w)
    if verb == "opening_balance":
        return _opening(doc, names)
    sentence = _transfer_sentence(verb, doc, names)
    if sentence is not None:
        text = sentence
        if doc.get("kind") == "group":
            text = w.gettext("%(text)s (group exchange)", text=text)
        if verb == "approved" and after.get("own_entry"):
            text = w.gettext("%(text)s: an exchange they are part of", text=text)
        if verb == "recorded" and after.get("status") == "posted":
            text = w.gettext("%(text)s; done at once", text=text)
        elif verb == "recorded" and after.get("status") == "pending":
            text = w.gettext("%(text)s; waiting", text=text)
        if verb in ("rejected", "corrected"):
            return _with_reason(text, doc, w)
        return text
    if verb == "imported":
        return w.gettext(
            "Imported exchange %(id)s: %(time)s from %(giver)s to %(receiver)s",
            id=entity_id,
            **_movement(doc, names),
        )
    movement = w.gettext("%(time)s from %(giver)s to %(receiver)s", **_movement(doc, names))
    return f"{humanise(verb)} exchange {entity_id}: {movement}"


# Each membership sentence as a function, so that only the one an entry needs is
# translated (the log shows many entries a page).
_MEMBERSHIP_SENTENCES: dict[str, Callable[[Wording, str], str]] = {
    "applied": lambda w, who: w.gettext("Applied: %(who)s", who=who),
    "application_approved": lambda w, who: w.gettext("Application approved: %(who)s", who=who),
    "application_declined": lambda w, who: w.gettext("Application declined: %(who)s", who=who),
    "role_changed": lambda w, who: w.gettext("Role changed: %(who)s", who=who),
    "kind_changed": lambda w, who: w.gettext("Kind changed: %(who)s", who=who),
    "suspended": lambda w, who: w.gettext("Suspended: %(who)s", who=who),
    "reactivated": lambda w, who: w.gettext("Reactivated: %(who)s", who=who),
    "rejoined": lambda w, who: w.gettext("Joined again by invitation: %(who)s", who=who),
    "profile_updated": lambda w, who: w.gettext("Profile updated: %(who)s", who=who),
    "renamed": lambda w, who: w.gettext("Name changed: %(who)s", who=who),
    "two_step_reset": lambda w, who: w.gettext("Two-step sign-in reset: %(who)s", who=who),
    "sessions_ended": lambda w, who: w.gettext("Signed out everywhere: %(who)s", who=who),
}


def _membership_sentence(verb: str, who: str, w: Wording) -> str:
    sentence = _MEMBERSHIP_SENTENCES.get(verb)
    return sentence(w, who) if sentence else f"{humanise(verb)}: {who}"


def _summarise_membership(
    verb: str,
    entity_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    names: Names,
    words: Words,
) -> str:
    w = names.wording
    who = names.membership(entity_id) if entity_id is not None else w.gettext("a member")
    if verb == "created":
        role = after.get("role")
        status = after.get("status")
        if role == "coordinator":
            text = w.gettext("Added %(who)s to the time bank as a coordinator", who=who)
        elif role == "partner":
            text = w.gettext("Added %(who)s to the time bank as a partner", who=who)
        else:
            text = w.gettext("Added %(who)s to the time bank", who=who)
        if status and status != "active":
            text += f" ({words.word('status', status)})"
        return text
    changed = [words.label(c).lower() for c in after if before.get(c) != after.get(c)]
    text = _membership_sentence(verb, who, w)
    if changed and before:
        text += f" ({', '.join(changed)})"
    return _with_reason(text, {**before, **after}, w)


def _summarise_organisation(
    verb: str, entity_id: int | None, after: dict[str, Any], names: Names
) -> str:
    w = names.wording
    name = (
        after.get("name") or names.organisations.get(entity_id or 0) or w.gettext("an organisation")
    )
    sentence = _ORGANISATION_SENTENCES.get(verb)
    return sentence(w, name) if sentence else f"{humanise(verb)}: organisation {name}"


_ORGANISATION_SENTENCES: dict[str, Callable[[Wording, str], str]] = {
    "created": lambda w, name: w.gettext("Added the organisation %(name)s", name=name),
    "staff_added": lambda w, name: w.gettext("Staff added: organisation %(name)s", name=name),
    "staff_removed": lambda w, name: w.gettext("Staff removed: organisation %(name)s", name=name),
    "deactivated": lambda w, name: w.gettext("Deactivated: organisation %(name)s", name=name),
    "reactivated": lambda w, name: w.gettext("Reactivated: organisation %(name)s", name=name),
}


def _summarise_report_read(verb: str, doc: dict[str, Any], w: Wording) -> str:
    """A partner or a coordinator read a reciprocity report (timebank.reports.report_reads)."""
    dates: dict[str, str] = {}
    for key in ("date_from", "date_to"):
        try:
            dates[key] = w.day(date.fromisoformat(str(doc.get(key))))
        except ValueError:
            dates[key] = "?"
    period = {"start": dates["date_from"], "end": dates["date_to"]}
    partner = doc.get("audience") != "coordinator"
    network = doc.get("page") == "network"
    if verb == "viewed":
        if network:
            text = w.gettext(
                "Looked at the partners' network view for %(start)s to %(end)s", **period
            )
        else:
            text = w.gettext("Read the partners' report for %(start)s to %(end)s", **period)
    else:
        kind = str(doc.get("format", "")).upper()
        if partner:
            text = w.gettext(
                "Downloaded the partners' report for %(start)s to %(end)s as %(format)s",
                format=kind,
                **period,
            )
        else:
            text = w.gettext(
                "Downloaded the coordinators' report for %(start)s to %(end)s as %(format)s",
                format=kind,
                **period,
            )
    banks = doc.get("time_banks")
    if isinstance(banks, int) and banks > 1:
        text = w.gettext("%(text)s (one report over %(count)s time banks)", text=text, count=banks)
    return text


# Entries said in one plain sentence, with the id of what they are about: each a
# function, made once, so that only the sentence an entry needs is translated.
_OTHER_SENTENCES: dict[str, Callable[[Wording, int], str]] = {
    "coordinator_note.added": lambda w, i: w.gettext(
        "Coordinator note added (coordinator note %(id)s)", id=i
    ),
    "invitation.created": lambda w, i: w.gettext("Invitation created (invitation %(id)s)", id=i),
    "invitation.revoked": lambda w, i: w.gettext("Invitation revoked (invitation %(id)s)", id=i),
    "invitation.accepted": lambda w, i: w.gettext("Invitation accepted (invitation %(id)s)", id=i),
    "category.added": lambda w, i: w.gettext("Category added (category %(id)s)", id=i),
    "category.renamed": lambda w, i: w.gettext("Category renamed (category %(id)s)", id=i),
    "category.retired": lambda w, i: w.gettext("Category retired (category %(id)s)", id=i),
    "category.reactivated": lambda w, i: w.gettext("Category reactivated (category %(id)s)", id=i),
    "category.sensitivity_changed": lambda w, i: w.gettext(
        "Category sensitivity changed (category %(id)s)", id=i
    ),
    "import.completed": lambda w, i: w.gettext("Import completed (import run %(id)s)", id=i),
    "listing.posted": lambda w, i: w.gettext("Listing posted (listing %(id)s)", id=i),
    "listing.edited": lambda w, i: w.gettext("Listing edited (listing %(id)s)", id=i),
    "listing.paused": lambda w, i: w.gettext("Listing paused (listing %(id)s)", id=i),
    "listing.resumed": lambda w, i: w.gettext("Listing resumed (listing %(id)s)", id=i),
    "listing.closed": lambda w, i: w.gettext("Listing closed (listing %(id)s)", id=i),
}


def _other_sentence(action: str, entity_id: int, w: Wording) -> str | None:
    """Entries said in one plain sentence, with the id of what they are about."""
    sentence = _OTHER_SENTENCES.get(action)
    return sentence(w, entity_id) if sentence else None


def summarise(
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    names: Names,
    words: Words | None = None,
) -> str:
    """One plain sentence for an audit entry, e.g. "Approved 1 h 30 min from Ann to Bob"."""
    words = words or words_of(names.wording)
    w = names.wording
    prefix, _dot, verb = action.partition(".")
    doc = {**before, **after}
    if prefix == "transfer":
        return _summarise_transfer(verb, entity_id, after, doc, names)
    if prefix == "pot":
        amount = _amount(doc, w)
        if verb == "donation":
            donor = names.account(doc.get("debit_account_id"))
            return w.gettext(
                "%(donor)s gave %(time)s to the community pot", donor=donor, time=amount
            )
        if verb == "grant":
            recipient = names.account(doc.get("credit_account_id"))
            text = w.gettext(
                "Granted %(time)s from the community pot to %(recipient)s",
                time=amount,
                recipient=recipient,
            )
            if after.get("own_entry"):
                text = w.gettext("%(text)s: a grant to themselves", text=text)
            return _with_reason(text, doc, w)
    if prefix == "membership":
        return _summarise_membership(verb, entity_id, before, after, names, words)
    if prefix == "time_bank":
        if verb == "created":
            name = after.get("name", "")
            if not name:
                return w.gettext("Created the time bank")
            return w.gettext("Created the time bank %(name)s", name=name)
        if verb == "policy_changed":
            changed = [
                words.label(k).lower()
                for k in sorted(set(before) | set(after), key=field_order)
                if before.get(k) != after.get(k)
            ]
            if not changed:
                return w.gettext("Saved the time bank's settings (nothing changed)")
            return w.gettext(
                "Changed the time bank's settings: %(fields)s", fields=", ".join(changed)
            )
    if prefix == "organisation":
        return _summarise_organisation(verb, entity_id, after, names)
    if prefix == "report" and verb in ("viewed", "downloaded"):
        return _summarise_report_read(verb, doc, w)
    if prefix == "export":
        if verb == "members":
            return w.gettext("Downloaded the members list as a spreadsheet (CSV)")
        if verb == "transfers":
            return w.gettext("Downloaded the transfers list as a spreadsheet (CSV)")
        if verb == "balances":
            return w.gettext("Downloaded the balances list as a spreadsheet (CSV)")
        return f"Downloaded the {verb.replace('_', ' ')} list as a spreadsheet (CSV)"
    if entity_id is not None:
        sentence = _other_sentence(action, entity_id, w)
        if sentence is not None:
            return _with_reason(sentence, doc, w)
    # An action with no sentence of its own (none today): its name in words.
    subject = entity_type.replace("_", " ")
    text = f"{humanise(prefix)} {humanise(verb).lower()}"
    if entity_id is not None:
        text += f" ({subject} {entity_id})"
    return _with_reason(text, doc, w)
