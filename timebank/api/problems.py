"""Errors as ``application/problem+json`` (RFC 9457): one stable ``type`` for each
domain error (``urn:timebank:problem:<code>``, the ``code`` of the ledger's error
classes), the field it belongs to, and ``detail`` in the caller's language
(``Accept-Language``: en or cy). The web pages put the same errors beside form fields
(``timebank.web.perform``); this is the API's edge for the same hierarchy."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from timebank.i18n import ledger_message
from timebank.ledger import errors
from timebank.quick_gettext import lazy_gettext as _l

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:timebank:problem:"

# HTTP status by domain error class (the first match in the class's MRO wins).
STATUS_OF: tuple[tuple[type[errors.LedgerError], int], ...] = (
    (errors.NotFoundError, 404),
    (errors.NotAllowedError, 403),
    (errors.TransferStateError, 409),
    (errors.IdempotencyConflictError, 409),
    (errors.DuplicateError, 409),
    (errors.LimitError, 422),
    (errors.LedgerError, 422),
)

TITLES = {
    400: _l("The request could not be read"),
    401: _l("A valid access token is needed"),
    403: _l("Your role does not allow this"),
    404: _l("Not found"),
    405: _l("This method is not allowed here"),
    406: _l("That format cannot be given"),
    409: _l("This conflicts with what is already recorded"),
    413: _l("The request is too large"),
    415: _l("Send the body as JSON"),
    422: _l("The request broke a rule"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}

# marshmallow's and webargs's own messages, so that field errors can be read in Welsh.
FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is needed."),
    "Unknown field.": _l("This field is not known here."),
    "Field may not be null.": _l("This field may not be empty."),
    "Not a valid integer.": _l("Give a whole number."),
    "Not a valid string.": _l("Give text."),
    "Not a valid date.": _l("Give a date as YYYY-MM-DD."),
    "Not a valid boolean.": _l("Give true or false."),
    "Not a valid list.": _l("Give a list."),
    "Invalid input type.": _l("This is not the kind of value expected here."),
    "Invalid value.": _l("This value is not allowed here."),
    "Must be one of: {choices}.": _l("Give one of the values allowed here."),
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    errors_list: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": str(TITLES.get(status, TITLES[500])),
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
    if errors_list:
        body["errors"] = errors_list
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def status_of(error: errors.LedgerError) -> int:
    for cls, status in STATUS_OF:
        if isinstance(error, cls):
            return status
    return 422


def from_ledger_error(
    error: errors.LedgerError,
    field_names: dict[str, str] | None = None,
    *,
    own_account_id: int | None = None,
):
    """A domain error as problem+json; ``field_names`` renames the ledger's field names
    to the request body's; ``own_account_id``: the caller's account, whose limits are
    told to them in their own words (as on the pages)."""
    field = (field_names or {}).get(error.field or "", error.field)
    detail = ledger_message(error, own_account_id=own_account_id)
    return problem(status_of(error), error.code, detail, field=field)


def _field_message(message: str) -> str:
    if message in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[message])
    if message.startswith("Must be one of:"):
        return str(FIELD_MESSAGES["Must be one of: {choices}."])
    return message


def _flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs's ``{"json": {"field": ["message"]}}`` as ``[{field, message}]``."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key in ("json", "query", "headers", "path") and not prefix:
                name = ""
            out.extend(_flatten(value, name))
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, str):
                out.append({"field": prefix, "message": _field_message(item)})
            else:
                out.extend(_flatten(item, prefix))
    elif isinstance(messages, str):
        out.append({"field": prefix, "message": _field_message(messages)})
    return out


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "server_error",
}

DETAILS = {
    400: _l("The request could not be read. Send JSON that matches the API's description."),
    401: _l("Send a personal access token in the Authorization header: Bearer <token>."),
    403: _l("Your role in this time bank does not allow this."),
    404: _l("There is nothing here, or it is not yours to see."),
    405: _l("This address does not take that method."),
    406: _l("This API answers in JSON only."),
    409: _l("This conflicts with what is already recorded."),
    413: _l("The request is too large."),
    415: _l("Send the body as JSON (Content-Type: application/json)."),
    422: _l("Some of the values sent are not right."),
    429: _l("Too many requests with this token. Wait a minute and try again."),
    500: _l("Nothing was changed. Please try again."),
}


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    headers = dict(getattr(error, "get_headers", list)())
    keep = {k: v for k, v in headers.items() if k in ("Allow", "Retry-After", "WWW-Authenticate")}
    code = data.get("code") if isinstance(data, dict) and data.get("code") else CODES.get(status)
    detail = data.get("detail") if isinstance(data, dict) and data.get("detail") else None
    if messages:
        listed = _flatten(messages)
        # A webargs body that is not JSON comes as a 400 with one message.
        return problem(
            status,
            code or "invalid_request",
            str(detail or DETAILS.get(status, DETAILS[422])),
            field=listed[0]["field"] if len(listed) == 1 and listed[0]["field"] else None,
            errors_list=listed,
            headers=keep,
        )
    return problem(
        status,
        code or "server_error",
        str(detail or DETAILS.get(status, DETAILS[500])),
        field=data.get("field") if isinstance(data, dict) else None,
        headers=keep,
    )


def unauthorized() -> Response:
    return problem(
        401,
        "unauthorized",
        _("Send a personal access token in the Authorization header: Bearer <token>."),
        headers={"WWW-Authenticate": 'Bearer realm="timebank"'},
    )
