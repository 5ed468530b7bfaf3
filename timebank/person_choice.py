"""Choosing one person in a form without a drop-down of every member of the bank.

A form names a person with two fields: a text box for (part of) the name, and the
chosen person's id in a hidden field of the name the drop-down used to have
(``counterpart``, ``hub``, ``recipient``...). With the script
(``static/js/person-search.js``) the box is a combobox that offers names as you type
from a JSON search (``/members/people/search``, ``/coordinators/people/search``) and
fills in the id. Without it the form still works in steps: a whole name that is one
person's is taken as theirs; otherwise the names that contain what was typed come back
as a choice (``<id field>_pick`` radio buttons) beside the rest of the form as it was
filled in. Nothing is ever chosen for the person on a partial match.

``Among`` (``reports/people_search.py``) says whom a box may name; the same ``Among``
serves the JSON search and checks the id the form sends back, so a box offers exactly
whom the form accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request
from flask_babel import gettext as _
from wtforms import StringField
from wtforms.widgets import Input

from timebank.extensions import db
from timebank.ids import parse_id
from timebank.reports.people_search import Among, Match, find_among, named_exactly, one_among


class _ChosenIdInput(Input):
    """A hidden input that the form's ``hidden_tag()`` leaves alone: the person box
    (``templates/_person_choice.html``) puts it beside the name."""

    input_type = "hidden"
    validation_attrs: list[str] = []


class PersonIdField(StringField):
    """The id of the person chosen in a person box."""

    widget = _ChosenIdInput()


@dataclass
class Chosen:
    """What a person box holds after a submit: the one chosen, or the matches to choose
    from (and whether there were more than shown)."""

    match: Match | None = None
    matches: list[Match] = field(default_factory=list)
    more: bool = False

    @property
    def id(self) -> int | None:
        return self.match.id if self.match is not None else None


def choose(
    id_field, name_field, time_bank_id: int, among: Among, *, missing: str | None = None
) -> Chosen:
    """Read a submitted person box. On success the id field holds the id and the box
    the person's name; otherwise the box carries the error (``missing`` when nothing
    was typed or chosen) and, after a search, the matches."""
    session = db.session()
    typed = (name_field.data or "").strip()
    chosen = parse_id(id_field.data)
    picked = parse_id(request.form.get(f"{id_field.name}_pick"))
    id_field.data = ""
    if chosen is not None:
        match = one_among(session, time_bank_id, chosen, among)
        # An id stands while the box still shows its name (typing again asks anew).
        if match is not None and typed in ("", match.name, label(match)):
            return _chosen(id_field, name_field, match)
        if match is None and not typed:
            name_field.errors = [*name_field.errors, _("Choose someone from the list.")]
            return Chosen()
    if picked is not None:
        # One of the names offered for what is still in the box.
        match = one_among(session, time_bank_id, picked, among)
        if match is not None and typed.lower() in match.name.lower():
            return _chosen(id_field, name_field, match)
    if not typed:
        name_field.errors = [*name_field.errors, missing or _("Type part of a name.")]
        return Chosen()
    exact = named_exactly(session, time_bank_id, typed, among)
    if len(exact) == 1:
        return _chosen(id_field, name_field, exact[0])
    found, more = find_among(session, time_bank_id, typed, among)
    if not found:
        name_field.errors = [
            *name_field.errors,
            _("Nobody you can choose here has a name containing “%(text)s”.", text=typed),
        ]
        return Chosen()
    name_field.errors = [*name_field.errors, _("Choose one of the names below.")]
    return Chosen(matches=found, more=more)


def preset(id_field, name_field, time_bank_id: int, among: Among, ident: int | None) -> Chosen:
    """Fill a box for a page that opens with someone chosen already (if they may be)."""
    match = one_among(db.session(), time_bank_id, ident, among) if ident is not None else None
    if match is None:
        return Chosen()
    return _chosen(id_field, name_field, match)


def _chosen(id_field, name_field, match: Match) -> Chosen:
    id_field.data = str(match.id)
    name_field.data = label(match)
    return Chosen(match=match)


def label(match: Match) -> str:
    """How a match is named in the box and the list (organisations marked as such)."""
    if match.organisation:
        return _("%(name)s (organisation)", name=match.name)
    return match.name


def as_json(found: list[Match], more: bool) -> dict:
    return {"matches": [{"id": m.id, "name": label(m)} for m in found], "more": more}
