"""Security headers on every response.

- The usual: no sniffing, same-origin referrers, no framing, a strict CSP.
- Permissions-Policy: the app uses no camera, microphone, location or payment.
- Strict-Transport-Security when the request came over HTTPS (directly, or through a
  proxy the app is told about with PROXY_COUNT), so a browser never falls back to http.
- Cache-Control: no-store on everything a signed-in person is sent (pages, CSV
  statements), so a shared computer's cache keeps none of it; static files keep theirs.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000; includeSubDomains"


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("Permissions-Policy", PERMISSIONS)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and current_user and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response
