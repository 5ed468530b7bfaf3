"""Wiring the API into the app: flask-smorest's ``Api`` (the OpenAPI description at
/api/v1/openapi.json), its blueprints, the token check before every request, errors as
problem+json, no CSRF (no cookie is read), and the documentation page."""

from __future__ import annotations

import http

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from timebank.api import accounts, docs, groups, listings, people, reports, transfers
from timebank.api.auth import authenticate
from timebank.api.problems import MEDIA_TYPE, from_http_exception
from timebank.api.schemas import ProblemSchema

PREFIX = "/api/v1"
BLUEPRINTS = (people.blp, accounts.blp, transfers.blp, groups.blp, listings.blp, reports.blp)


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


class ProblemApi(Api):
    """flask-smorest's Api with every error answered and described as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error):
        if is_api_request():
            return from_http_exception(error)
        # The web pages' own errors (timebank.errors) for everything else.
        return error


def init_api(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "Timebank API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "The time bank's ledger, notice board and reciprocity reports. "
                    "Authenticate with a personal access token (Authorization: Bearer). "
                    "Errors are application/problem+json (RFC 9457). See docs/api.md."
                )
            },
            "security": [{"personalAccessToken": []}],
            "components": {
                "securitySchemes": {"personalAccessToken": {"type": "http", "scheme": "bearer"}}
            },
        },
    )
    api = ProblemApi(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)

    # Tokens, never cookies: nothing here can be triggered by a page, so no CSRF token.
    csrf = app.extensions["csrf"]
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)

    @app.before_request
    def api_token():
        if is_api_request():
            return authenticate()
        return None

    @app.after_request
    def api_headers(response):
        if is_api_request():
            response.headers["Cache-Control"] = "no-store"
            response.headers["Vary"] = "Authorization, Accept-Language"
            # A token-only API: never set a cookie (Flask-Login or the session).
            response.headers.pop("Set-Cookie", None)
        return response

    app.extensions["timebank_api"] = api
    return api
