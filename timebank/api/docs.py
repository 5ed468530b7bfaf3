"""The API's documentation page at /api/v1/docs: every operation of the OpenAPI
description with its parameters, body and answers, drawn on the server (no script, so
the site's Content Security Policy stays strict). The description itself is at
/api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from timebank.api.problems import CODES, TYPE_PREFIX
from timebank.ledger import errors

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array" and "items" in schema:
        inner = _ref_name(schema["items"])
        return f"[{inner}]" if inner else "array"
    return schema.get("type")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            out.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "parameters": [*item.get("parameters", []), *op.get("parameters", [])],
                    "body": _ref_name(body.get("schema")),
                    "responses": [
                        (
                            code,
                            r.get("description", "")
                            if "$ref" not in r
                            else r["$ref"].rsplit("/", 1)[-1],
                        )
                        for code, r in op.get("responses", {}).items()
                    ],
                }
            )
    return out


def problem_types() -> list[str]:
    codes = {cls.code for cls in _subclasses(errors.LedgerError)} | set(CODES.values())
    codes |= {"token_read_only", "idempotency_key_missing", "idempotency_key_invalid"}
    codes |= {"idempotency_key_reused", "invalid_request"}
    return sorted(TYPE_PREFIX + code for code in codes)


def _subclasses(cls: type[errors.LedgerError]) -> set[type[errors.LedgerError]]:
    found: set[type[errors.LedgerError]] = set()
    sub: type[errors.LedgerError]
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@bp.get("/docs")
def page():
    spec = current_app.extensions["timebank_api"].spec.to_dict()
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=operations(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
        problem_types=problem_types(),
    )
