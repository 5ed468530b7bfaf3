"""Error pages in plain language."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import SecurityError

from timebank.quick_gettext import lazy_gettext as _l


def register_error_handlers(app: Flask) -> None:
    messages = {
        400: (_l("Something in the request was not right"), _l("Please go back and try again.")),
        403: (
            _l("You cannot see this page"),
            _l("Your role in this time bank does not include it."),
        ),
        404: (_l("Page not found"), _l("Check the address and try again.")),
        405: (_l("That cannot be done here"), _l("Please go back and try again.")),
        500: (
            _l("Something went wrong on our side"),
            _l("Nothing was changed. Please try again."),
        ),
    }

    def handler(error):
        if request.path.startswith("/api/"):
            from timebank.api.problems import from_http_exception

            return from_http_exception(error)
        code = getattr(error, "code", 500) or 500
        title, detail = messages.get(code, messages[500])
        # Keep the Allow header of a 405 so clients learn which methods work.
        headers = [(k, v) for k, v in getattr(error, "get_headers", list)() if k == "Allow"]
        body = render_template("error.html", title=str(title), detail=str(detail), code=code)
        return body, code, headers

    def untrusted_host(_error):
        # No page: a host the site does not serve gets no links built on its name.
        return "Unknown host\n", 400, [("Content-Type", "text/plain; charset=utf-8")]

    for code in messages:
        app.register_error_handler(code, handler)
    app.register_error_handler(SecurityError, untrusted_host)
