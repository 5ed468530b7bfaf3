"""The audit log: every change in the time bank, newest first, with filters, and whether
its hash chain still verifies.

The chain check reads the whole log, so it runs on a view only while the log is at
most ``AUTO_VERIFY_MAX_ENTRIES`` long (0.1-0.45 s at that size, measured); a longer
log is checked when the coordinator asks (``?check=1``), and the page says so. Within
``RECHECK_WHOLE_AFTER`` of a clean whole check a view checks only the entries written
since (``verify_chain_since_whole_check``), and the page says when the whole log was
checked; ``?check=1`` checks it whole again.

The table's rows are kept as rendered by everything they are drawn from (the entries'
columns, the names they refer to, the bank's time zone; the reader's language and
time zone: ``kept_parts.KeptRenders``), so a page shown again is not put into words
again. An entry never changes; a name that does is a new key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.coordinators.audit_rows import RowWords, audit_rows
from timebank.extensions import db
from timebank.filters import date_time_writer, hours_in_this_language
from timebank.i18n import ReadersWording
from timebank.ids import id_arg
from timebank.kept_parts import KeptRenders
from timebank.quick_gettext import fill, gettext, translations
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.audit_chain_check import (
    AUTO_VERIFY_MAX_ENTRIES,
    RECHECK_WHOLE_AFTER,
    chain_length,
    verify_chain_since_whole_check,
)
from timebank.reports.audit_log import PER_PAGE, SYSTEM, AuditFilter, AuditPage, list_audit
from timebank.reports.audit_wording import action_kinds
from timebank.reports.people_search import find_people, name_of
from timebank.reports.wording import Wording
from timebank.select_widget import QuickSelect


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    # Typed names: search as you type with the script, a plain search without it. The
    # member chosen travels as an id (``actor``, ``member``), never as a name.
    actor_name = StringField(_l("Done by"), validators=[Optional(), Length(max=120)])
    system = BooleanField(_l("Only what the system did (no person)"))
    member_name = StringField(_l("About member"), validators=[Optional(), Length(max=120)])
    kind = SelectField(
        _l("Kind of action"), choices=[], default="", validate_choice=True, widget=QuickSelect()
    )
    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("To date"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date must be the same as or after the start date."))


class _PageWording(ReadersWording):
    """The reader's wording, each template translated and each amount of time and day
    written once for the page: fifty entries ask for the same few (their kind, "none",
    the sentences' templates, "1 h", the dates of exchanges) hundreds of times, and each
    look-up finds the request's language again. The request's catalogue and locale are
    found at the first words asked for. The same words as ``ReadersWording``."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._times: dict[int, str] = {}
        self._days: dict[date, str] = {}
        self._catalogue: Any = None
        self._hours: Callable[[int], str] | None = None

    def gettext(self, template: str, **params: Any) -> str:
        text = self._texts.get(template)
        if text is None:
            if self._catalogue is None:
                self._catalogue = translations()
            text = self._texts[template] = self._catalogue.ugettext(template)
        return text % params if params else text

    def minutes(self, value: int) -> str:
        text = self._times.get(value)
        if text is None:
            if self._hours is None:
                self._hours = hours_in_this_language()
            text = self._times[value] = self._hours(value)
        return text

    def day(self, value: date) -> str:
        text = self._days.get(value)
        if text is None:
            text = self._days[value] = super().day(value)
        return text


@dataclass
class Chosen:
    """One person filter: the member chosen (if any) and, after a plain search that
    matched several, the matches to choose from."""

    membership_id: int | None = None
    matches: list[tuple[int, str]] = field(default_factory=list)
    more: bool = False


def _form(wording: Wording) -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.kind.choices = [
        SelectChoice("", wording.gettext("Any kind")),
        *(SelectChoice(value, label) for value, label in action_kinds(wording).items()),
    ]
    return form


def _choose(name_field: StringField, id_name: str) -> Chosen:
    """The member a filter is about: the id in the address (its name then shown in the
    box), or the one member whose name matches what was typed; otherwise an error on the
    field and, if several match, the matches."""
    session, bank_id = db.session(), bank().id
    typed = (name_field.data or "").strip()
    membership_id = request.args.get(id_name, type=id_arg)
    if membership_id is not None:
        name = name_of(session, bank_id, membership_id)
        if name is not None and typed in ("", name):
            name_field.data = name
            return Chosen(membership_id)
        if not typed:
            name_field.errors = [_("That member is not in this time bank.")]
            return Chosen()
    if not typed:
        return Chosen()
    found, more = find_people(session, bank_id, typed)
    exact = [(i, n) for i, n in found if n.lower() == typed.lower()]
    if len(found) == 1 or len(exact) == 1:
        membership_id, name_field.data = (exact or found)[0]
        return Chosen(membership_id)
    if not found:
        name_field.errors = [_("No member's name contains “%(text)s”.", text=typed)]
        return Chosen()
    name_field.errors = [_("Several members match: choose one below, or type more of the name.")]
    return Chosen(matches=found, more=more)


def _choosing(filter_args: dict[str, str], id_name: str, drop: tuple[str, ...]):
    """A link that chooses one member for a filter, keeping the other filters."""
    kept: dict[str, Any] = {k: v for k, v in filter_args.items() if k not in drop}
    return lambda membership_id: url_for("coordinators.audit", **{**kept, id_name: membership_id})


def _row_words() -> RowWords:
    """The words every row repeats, translated once per page (through the request's
    catalogue: Flask-Babel's ``gettext`` finds it again for each): our catalogue's
    words, trusted as the template's ``_`` trusts them (and, like it, formatted: "%%"
    is "%")."""
    return RowWords(
        when=fill(gettext("When"), {}),
        who=fill(gettext("Who"), {}),
        what=fill(gettext("What"), {}),
        details=fill(gettext("Details"), {}),
        system=fill(gettext("system"), {}),
        no_fields=fill(gettext("No fields were recorded for this entry."), {}),
        of_entry=gettext("of log entry %(number)s"),
        entry=gettext("Log entry %(number)s"),
        was_now=gettext(
            '<span class="audit-before">was %(before)s</span>,'
            ' <span class="audit-after">now %(after)s</span>'
        ),
        was_removed=gettext('<span class="audit-before">was %(before)s</span>, now removed'),
    )


# A page's rows are about 80 kB: the pages a few coordinators are reading.
KEPT_PAGES = 16
_kept_rows = KeptRenders(KEPT_PAGES)


def _rows_html(page: AuditPage) -> Markup:
    """The table's rows, kept by what they are drawn from."""
    return _kept_rows.draw(
        "coordinators/audit_rows",
        page.drawn_from,
        lambda: audit_rows(page.rows, _row_words(), date_time_writer()),
    )


def forget_kept_rows() -> None:
    """Drop every kept page of rows (for tests)."""
    _kept_rows.forget_all()


def _nonnegative(name: str) -> int | None:
    return request.args.get(name, type=id_arg)


@bp.get("/audit")
def audit():
    time_bank = bank()
    wording = _PageWording()
    form = _form(wording)
    valid = form.validate()
    actor = _choose(form.actor_name, "actor")
    member = _choose(form.member_name, "member")
    valid = valid and not form.actor_name.errors and not form.member_name.errors
    page = None
    filters = AuditFilter()
    # ``actor=system``: the address the drop-down used to make.
    by_system = bool(form.system.data) or request.args.get("actor") == SYSTEM
    form.system.data = by_system
    if valid:
        filters = AuditFilter(
            actor=SYSTEM if by_system else actor.membership_id,
            member_id=member.membership_id,
            kind=form.kind.data or None,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
        page = list_audit(
            db.session(),
            time_bank,
            filters,
            before=_nonnegative("before"),
            after=_nonnegative("after"),
            wording=wording,
        )
    length = chain_length(db.session(), time_bank.id)
    check_requested = request.args.get("check") == "1"
    chain = None
    if length <= AUTO_VERIFY_MAX_ENTRIES or check_requested:
        kept = current_app.extensions.setdefault("audit_whole_checks", {})
        chain = verify_chain_since_whole_check(
            db.session(), time_bank.id, kept, whole=check_requested
        )
    # The links to other pages carry ids and dates, never a typed name.
    filter_args = {
        name: request.args[name]
        for name in ("kind", "date_from", "date_to")
        if request.args.get(name)
    }
    if by_system:
        filter_args["system"] = "y"
    elif actor.membership_id is not None:
        filter_args["actor"] = str(actor.membership_id)
    if member.membership_id is not None:
        filter_args["member"] = str(member.membership_id)
    return render_template(
        "coordinators/audit.html",
        bank=time_bank,
        form=form,
        valid=valid,
        page=page,
        entries=_rows_html(page) if page and page.entries else None,
        filters=filters,
        filter_args=filter_args,
        actor=actor,
        member=member,
        choose_actor=_choosing(filter_args, "actor", drop=("actor", "system")),
        choose_member=_choosing(filter_args, "member", drop=("member",)),
        chain=chain,
        chain_length=length,
        per_page=PER_PAGE,
        auto_verify_max=AUTO_VERIFY_MAX_ENTRIES,
        recheck_minutes=int(RECHECK_WHOLE_AFTER.total_seconds() // 60),
    )
