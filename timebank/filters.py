"""Template filters that put ledger values into plain words."""

from __future__ import annotations

from flask import Flask

from timebank.ledger.rules import format_minutes

STATUS_LABELS = {
    "pending": "Waiting",
    "posted": "Done",
    "rejected": "Not accepted",
}


def register_filters(app: Flask) -> None:
    app.add_template_filter(format_minutes, "hours")
    app.add_template_filter(
        lambda status: STATUS_LABELS.get(str(status), str(status)), "status_label"
    )
