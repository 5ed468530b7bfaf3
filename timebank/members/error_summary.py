"""The error summary at the top of a form: each problem with the field it belongs to."""

from __future__ import annotations

from timebank.quick_gettext import lazy_gettext as _l

EXPIRED = _l("This page was open too long, so nothing was saved. Please check and send it again.")


def problems(form) -> list[tuple[str, str]]:
    """(anchor, message) for the error summary, in the order of the form."""
    out = []
    for field in form:
        if not field.errors:
            continue
        if field.type == "CSRFTokenField":
            out.append(("", EXPIRED))
        elif field.type == "RadioField":
            out.append((f"{field.id}-0", field.errors[0]))
        else:
            out.append((field.id, field.errors[0]))
    out.extend(("", message) for message in form.form_errors)
    return out
