"""``Link`` headers (RFC 8288) for the API's lists: ``rel="next"`` (and ``prev`` for
numbered pages) carrying the same query with the cursor or page moved on."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request


def link(**changes: object) -> str:
    args = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: str(v) for k, v in changes.items() if v is not None})
    return f"{request.base_url}?{urlencode(sorted(args.items()))}"


def links(**rels: dict[str, object] | None) -> dict[str, str]:
    """``links(next={"after": 12})`` -> ``{"Link": '<...?after=12>; rel="next"'}``."""
    parts = [f'<{link(**changes)}>; rel="{rel}"' for rel, changes in rels.items() if changes]
    return {"Link": ", ".join(parts)} if parts else {}
