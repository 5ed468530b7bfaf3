"""How the audit log is put into words: the kinds of action a coordinator filters by,
and what an entry is about ("exchange 12"). The sentences are written through a
:class:`~timebank.reports.wording.Wording` (English unless the web layer passes one in
the reader's language).
"""

from __future__ import annotations

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


def entity_words(entity_type: str, entity_id: int | None, w: Wording = ENGLISH) -> str:
    """What an entry is about, e.g. "exchange 12"."""
    if entity_id is None:
        words = {
            "transfer": w.gettext("exchange"),
            "membership": w.gettext("member"),
            "time_bank": w.gettext("time bank"),
        }
        return words.get(entity_type) or entity_type.replace("_", " ")
    sentences = {
        "transfer": lambda: w.gettext("exchange %(id)s", id=entity_id),
        "membership": lambda: w.gettext("member %(id)s", id=entity_id),
        "time_bank": lambda: w.gettext("time bank %(id)s", id=entity_id),
        "organisation": lambda: w.gettext("organisation %(id)s", id=entity_id),
        "category": lambda: w.gettext("category %(id)s", id=entity_id),
        "invitation": lambda: w.gettext("invitation %(id)s", id=entity_id),
        "coordinator_note": lambda: w.gettext("coordinator note %(id)s", id=entity_id),
        "import_run": lambda: w.gettext("import run %(id)s", id=entity_id),
        "listing": lambda: w.gettext("listing %(id)s", id=entity_id),
    }
    sentence = sentences.get(entity_type)
    return sentence() if sentence else f"{entity_type.replace('_', ' ')} {entity_id}"


def humanise(word: str) -> str:
    return word.replace("_", " ").capitalize()
