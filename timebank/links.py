"""Absolute links for emails and pages that are read away from the site (reset links,
invitations, notifications).

Every such link starts with the configured ``EXTERNAL_ORIGIN``, never with the Host
header of the request that caused it: a stranger who posts the forgotten-password form
with ``Host: evil.example`` must not get a working reset link sent to their own site.
The same origin names the hosts the app answers (``TRUSTED_HOSTS``), and a proxy in
front is trusted for the client's address and scheme only when ``PROXY_COUNT`` says
how many there are.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app

# What `make run` serves: the default when no origin is configured.
DEFAULT_ORIGIN = "http://127.0.0.1:5000"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class OriginError(ValueError):
    """EXTERNAL_ORIGIN is not an http(s) origin."""


def parse_origin(origin: str) -> tuple[str, str, str]:
    """(scheme, host with port, path prefix) of a configured origin, or OriginError."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginError(
            f"EXTERNAL_ORIGIN must look like https://timebank.example.org, not {origin!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise OriginError("EXTERNAL_ORIGIN takes no user, query or fragment")
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


def _host_list(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [host.strip() for host in value.split(",") if host.strip()]
    return [str(host) for host in value]


def init_links(app: Flask) -> None:
    """Check the origin, derive the trusted hosts from it when none are given, and put
    ProxyFix in front only when a proxy count is configured."""
    origin = app.config.get("EXTERNAL_ORIGIN") or DEFAULT_ORIGIN
    parse_origin(origin)
    app.config["EXTERNAL_ORIGIN"] = origin.strip().rstrip("/")
    trusted = _host_list(app.config.get("TRUSTED_HOSTS"))
    if trusted is None:
        hostname = urlsplit(app.config["EXTERNAL_ORIGIN"]).hostname or ""
        trusted = [hostname]
        if hostname in LOOPBACK_HOSTS:
            # A development server answers on every loopback name.
            trusted = list(LOOPBACK_HOSTS)
    app.config["TRUSTED_HOSTS"] = trusted
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address and scheme only: the host never comes from a header.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0
        )


def external_url(endpoint: str, **values) -> str:
    """The absolute link to ``endpoint`` at the configured origin, inside a request or
    not (a background import sends invitations too)."""
    scheme, netloc, prefix = parse_origin(current_app.config["EXTERNAL_ORIGIN"])
    adapter = current_app.url_map.bind(netloc, script_name=prefix or "/", url_scheme=scheme)
    return adapter.build(endpoint, values, force_external=True)
