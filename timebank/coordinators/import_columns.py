"""Coordinators: say which column of an uploaded file holds which field of its layout.

Offered when the file's first row does not name the columns as the layout does
("Full name", "E-mail"), or when the coordinator asks for it on upload; and again on
a file checked clean but not yet imported. One drop-down per field, preselected with
the best guess (``timebank.importing.mapping``); "Show the rows" reads the first rows
with the columns chosen and says what the check would say of each; "Check the file"
keeps the columns with the import run and runs the same dry run as any upload. Bad
choices are answered at the field and change nothing.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.coordinators.imports import _layout_label, _load, stored_path, words
from timebank.extensions import db
from timebank.importing import runs as import_runs
from timebank.importing.mapping import (
    MAPPABLE,
    Field,
    Mapping,
    fields_of,
    guess_mapping,
    mapping_problems,
    read_header_cells,
)
from timebank.importing.models import ImportRun
from timebank.importing.preview import MappedRow, mapped_preview, preview_rows
from timebank.importing.rows import Layout, load_lookups
from timebank.importing.words import Text

NOT_IN_FILE = ""
MAX_LABEL = 40


def columns_form(fields: list[Field], header: list[str], mapping: Mapping, formdata=None):
    """A form with one drop-down per field: "not in the file" or one of the columns."""

    class ColumnsForm(FlaskForm):
        pass

    choices = [SelectChoice(NOT_IN_FILE, _("Not in the file"))] + [
        SelectChoice(str(position), column_label(position, name))
        for position, name in enumerate(header)
    ]
    for field in fields:
        setattr(
            ColumnsForm,
            field.name,
            SelectField(
                LazyString(words, field.label),
                choices=choices,
                default=str(mapping[field.name]) if field.name in mapping else NOT_IN_FILE,
            ),
        )
    if formdata is None:
        return ColumnsForm(formdata=None)
    return ColumnsForm()


def column_label(position: int, name: str) -> str:
    name = name.strip()
    if len(name) > MAX_LABEL:
        name = name[: MAX_LABEL - 1] + "…"
    if not name:
        return _("Column %(number)s (no name)", number=position + 1)
    return _("Column %(number)s: %(name)s", number=position + 1, name=name)


def chosen(form, fields: list[Field]) -> Mapping:
    return {
        field.name: int(form[field.name].data)
        for field in fields
        if form[field.name].data not in (None, NOT_IN_FILE)
    }


def _run_to_map(import_id: int) -> ImportRun:
    run = _load(import_id)
    try:
        layout = Layout(run.layout)
    except ValueError:
        abort(404)
    if layout not in MAPPABLE:
        abort(404)
    return run


@bp.route("/imports/<int:import_id>/columns", methods=["GET", "POST"])
def import_columns(import_id: int):
    run = _run_to_map(import_id)
    path = stored_path(run)
    header = read_header_cells(path) if path is not None else None
    if not import_runs.can_map(run) or header is None:
        flash(_("The columns of this import can no longer be chosen: upload the file again."))
        return redirect(url_for("coordinators.import_detail", import_id=run.id))
    layout = Layout(run.layout)
    fields = fields_of(layout)
    kept = import_runs.mapping_of(run)
    mapping = kept if kept is not None else guess_mapping(layout, header)
    # On a post, a field not sent is "not in the file", never the guess.
    posted = request.method == "POST"
    form = columns_form(fields, header, {} if posted else mapping, formdata=posted or None)
    status = 200
    if posted:
        if not form.validate_on_submit():  # a value that is not one of the choices
            mapping = {}
        else:
            mapping = chosen(form, fields)
            problems = mapping_problems(layout, mapping, len(header))
            for name, text in problems.items():
                if name in form:
                    form[name].errors = [*form[name].errors, words(text)]
            if not problems and request.form.get("action") == "check":
                return _check(run, path, mapping)
        if form.errors:
            status = 400
    preview: list[MappedRow] = []
    file_problem: Text | None = None
    # A guess that leaves a needed field without a column: no rows to show yet.
    incomplete = bool(mapping_problems(layout, mapping, len(header)))
    if not form.errors and not incomplete and path is not None:
        preview, file_problem = mapped_preview(
            path, layout, load_lookups(db.session(), bank().id), mapping
        )
        db.session.rollback()  # the lookups' read: nothing is held while the page is drawn
    shown = [field for field in fields if field.name in mapping]
    return (
        render_template(
            "coordinators/import_columns.html",
            run=run,
            form=form,
            needed=[field for field in fields if field.required],
            optional=[field for field in fields if not field.required],
            partners={field.name: _partner(field, fields) for field in fields},
            header=header,
            shown=shown,
            labels={field.name: words(field.label) for field in fields},
            preview=[(row, words(row.problems) if row.problems else None) for row in preview],
            file_problem=words(file_problem) if file_problem else None,
            layout_label=_layout_label(run.layout),
            matched=run.status == import_runs.CHECKED,
            incomplete=incomplete,
        ),
        status,
    )


def _partner(field: Field, fields: list[Field]) -> str | None:
    """The other field of a pair of which one is needed ("or: Giver's email")."""
    for other in fields:
        if other.name != field.name and other.choices == field.choices and len(field.choices) > 1:
            return words(other.label)
    return None


def _check(run: ImportRun, path, mapping: Mapping):
    """Keep the columns and run the dry run, as an upload does."""
    if not import_runs.begin_check(db.session(), run):
        db.session.rollback()
        flash(_("The columns of this import can no longer be chosen: upload the file again."))
        return redirect(url_for("coordinators.import_detail", import_id=run.id))
    import_runs.remember_mapping(run, mapping)
    import_runs.remember_preview(run, preview_rows(path))
    report = import_runs.dry_run(db.session(), run, path)
    if not report.ok:
        path.unlink(missing_ok=True)
    db.session.commit()
    return redirect(url_for("coordinators.import_detail", import_id=run.id))
