"""flask-smorest's ``abort``, typed as what it is: it always raises (an HTTP error that
the API answers as problem+json), so code after it never runs."""

from __future__ import annotations

from typing import Any, NoReturn

from flask_smorest import abort as smorest_abort


def abort(http_status_code: int, **kwargs: Any) -> NoReturn:
    smorest_abort(http_status_code, **kwargs)
    raise AssertionError("flask_smorest.abort returned")  # it never does
