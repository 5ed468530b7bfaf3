"""Helpers for request tests (shared by the web and coordinator tests)."""

from tests.web.test_auth import (  # noqa: F401
    PASSWORD,
    csrf_token_from,
    location_path,
    make_member,
    sign_in,
)
