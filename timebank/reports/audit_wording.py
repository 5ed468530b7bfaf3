"""How the audit log is put into words: the kinds of action a coordinator filters by,
and what an entry is about ("exchange 12"). The sentences are written through a
:class:`~timebank.reports.wording.Wording` (English unless the web layer passes one in
the reader's language).
"""

from __future__ import annotations

from collections.abc import Callable

from timebank.reports.wording import ENGLISH, Wording


def action_kinds(w: Wording = ENGLISH) -> dict[str, str]:
    """The kinds of action a coordinator can filter by: the prefix before the dot."""
    return {
        "transfer": w.gettext("Exchanges and corrections"),
        "pot": w.gettext("Community pot"),
        "membership": w.gettext("Members and roles"),
        "invitation": w.gettext("Invitations"),
        "coordinator_note": w.gettext("Coordinator notes"),
        "organisation": w.gettext("Organisations"),
        "time_bank": w.gettext("Time bank settings"),
        "category": w.gettext("Categories"),
        "import": w.gettext("Imports"),
        "export": w.gettext("Exports"),
        "report": w.gettext("Reports read by partners and downloaded"),
    }


ACTION_KINDS = action_kinds()


# What an entry is about, by the kind of thing, as functions so that only the words an
# entry needs are translated (the log shows many entries a page).
_ENTITY_KINDS: dict[str, Callable[[Wording], str]] = {
    "transfer": lambda w: w.gettext("exchange"),
    "membership": lambda w: w.gettext("member"),
    "time_bank": lambda w: w.gettext("time bank"),
}
_ENTITIES: dict[str, Callable[[Wording, int], str]] = {
    "transfer": lambda w, i: w.gettext("exchange %(id)s", id=i),
    "membership": lambda w, i: w.gettext("member %(id)s", id=i),
    "time_bank": lambda w, i: w.gettext("time bank %(id)s", id=i),
    "organisation": lambda w, i: w.gettext("organisation %(id)s", id=i),
    "category": lambda w, i: w.gettext("category %(id)s", id=i),
    "invitation": lambda w, i: w.gettext("invitation %(id)s", id=i),
    "coordinator_note": lambda w, i: w.gettext("coordinator note %(id)s", id=i),
    "import_run": lambda w, i: w.gettext("import run %(id)s", id=i),
    "listing": lambda w, i: w.gettext("listing %(id)s", id=i),
}


def entity_words(entity_type: str, entity_id: int | None, w: Wording = ENGLISH) -> str:
    """What an entry is about, e.g. "exchange 12"."""
    if entity_id is None:
        kind = _ENTITY_KINDS.get(entity_type)
        return (kind(w) if kind else "") or entity_type.replace("_", " ")
    sentence = _ENTITIES.get(entity_type)
    return sentence(w, entity_id) if sentence else f"{entity_type.replace('_', ' ')} {entity_id}"


def humanise(word: str) -> str:
    return word.replace("_", " ").capitalize()
