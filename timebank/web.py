"""Small helpers the views share: run a ledger operation as one transaction and turn
a domain error into a message beside the right form field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash
from flask_wtf import FlaskForm

from timebank.extensions import db
from timebank.i18n import ledger_message
from timebank.ledger.database import run_in_transaction
from timebank.ledger.errors import LedgerError, NotFoundError

T = TypeVar("T")


def perform(
    work: Callable[[], T],
    form: FlaskForm | None = None,
    remap: dict[str, str] | None = None,
    *,
    own_account_id: int | None = None,
) -> T | None:
    """Run ``work`` in one transaction. On a domain error nothing is written; the
    message goes to the form field it names (``remap`` renames the ledger's field names
    to this form's), or to the top of the form, or a page-level message; None is
    returned. ``own_account_id``: the reader's account, whose limits are told to them in
    their own words."""
    try:
        return run_in_transaction(db.session(), work)
    except NotFoundError:
        abort(404)
    except LedgerError as error:
        message = ledger_message(error, own_account_id=own_account_id)
        name = (remap or {}).get(error.field or "", error.field)
        if form is not None and name and name in form._fields:
            form._fields[name].errors = [*form._fields[name].errors, message]
        elif form is not None:
            form.form_errors.append(message)
        else:
            flash(message, "error")
        return None


def get_in_bank(model, object_id: int, time_bank_id: int):
    """The object with this id if it belongs to this time bank, else 404 (never 403:
    a coordinator of another bank learns nothing about what exists here)."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "time_bank_id", None) != time_bank_id:
        abort(404)
    return obj


def then_true(work: Callable[[], object]) -> Callable[[], bool]:
    """``work`` as a step that returns True once it has run, for ``perform`` to tell
    success (True) from a refusal (None) with services that return nothing."""

    def run() -> bool:
        work()
        return True

    return run
