"""Error pages in plain language."""

from __future__ import annotations

from flask import Flask, render_template


def register_error_handlers(app: Flask) -> None:
    messages = {
        400: ("Something in the request was not right", "Please go back and try again."),
        403: ("You cannot see this page", "Your role in this time bank does not include it."),
        404: ("Page not found", "Check the address, or go back to your dashboard."),
        405: ("That cannot be done here", "Please go back and try again."),
        500: ("Something went wrong on our side", "Nothing was changed. Please try again."),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        title, detail = messages.get(code, messages[500])
        # Keep the Allow header of a 405 so clients learn which methods work.
        headers = [(k, v) for k, v in getattr(error, "get_headers", list)() if k == "Allow"]
        body = render_template("error.html", title=title, detail=detail, code=code)
        return body, code, headers

    for code in messages:
        app.register_error_handler(code, handler)
