"""pages_gunicorn: the member dashboard's throughput under gunicorn against the sign-in
page's, on the same server in the same run, at the demo's size.

The demo is built as the ``pages`` benchmark builds it (a SQLite file of its own) and
served by gunicorn with the project's ``gunicorn.conf.py`` (``WEB_CONCURRENCY`` workers,
default 2, each with ``TIMEBANK_THREADS`` threads) in the development environment (no
Redis, so the limits count in memory; CSRF off, so the client signs in with one POST).
A client of ``BENCH_GUNICORN_CONNECTIONS`` (8) threads, each on its own kept-alive
connection, asks for one page as fast as the server answers for
``BENCH_GUNICORN_SECONDS`` (5) seconds; the sign-in page (signed out) and the dashboard
(signed in as the demo member, with the browser the session was issued to) take turns,
``BENCH_GUNICORN_ROUNDS`` (3) rounds each, so a change in the machine's load falls on
both. The figures are requests per second over all rounds and the median time of a
request as the client saw it; the ratio is dashboard / sign-in page (the aim: 0.4 or
more). The client shares the machine with the server: on 2 cores both figures are
lower than a separate client would see, and the ratio is what travels.
"""

from __future__ import annotations

import http.client
import http.cookies
import os
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from bench.common import Figure, env_int, serve_gunicorn, stop_gunicorn
from bench.pages import _demo_app
from timebank.demo import DEMO_PASSWORD
from timebank.demo.cast import MEMBER_EMAIL

SECRET = "bench-gunicorn-secret-key-0123456789abcdef"
USER_AGENT = "timebank-bench/1.0 (pages_gunicorn)"
SIGN_IN = "/auth/sign-in"
DASHBOARD = "/members/"


def _serve(directory: str) -> tuple[subprocess.Popen, int]:
    return serve_gunicorn(
        database_url=f"sqlite:///{directory}/demo.sqlite3",
        secret=SECRET,
        mail_outbox=f"{directory}/outbox",
        settings={
            "WTF_CSRF_ENABLED": "false",
            "THREADS": os.environ.get("TIMEBANK_THREADS", "4"),
        },
    )


def _sign_in(port: int) -> str:
    """The member's session cookie (``name=value; ...``), issued to USER_AGENT."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"email": MEMBER_EMAIL, "password": DEMO_PASSWORD})
    connection.request(
        "POST",
        SIGN_IN,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"the demo member could not sign in ({response.status})")
    cookies = [
        value.split(";", 1)[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie"
    ]
    connection.close()
    return "; ".join(cookies)


class _Cookies:
    """What a browser keeps between requests: each connection of the client is one
    browser, which stores the cookies a response sets and sends them back. (Without it
    every request of the dashboard carried the cookie issued at sign-in, so each one
    showed and cleared the sign-in's flashed notice again and had its session cookie
    signed again, and each sign-in page made a new CSRF token.)"""

    def __init__(self, header: str) -> None:
        self.values = dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)

    def keep(self, set_cookies: list[str]) -> None:
        for set_cookie in set_cookies:
            parsed = http.cookies.SimpleCookie()
            parsed.load(set_cookie)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.values.pop(name, None)
                else:
                    self.values[name] = morsel.value

    def header(self) -> dict[str, str]:
        if not self.values:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.values.items())}


def _hammer(port: int, path: str, headers: dict, seconds: float, connections: int):
    """(requests answered 200, each request's seconds) for ``seconds``."""
    deadline = time.perf_counter() + seconds
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        browser = _Cookies(headers.get("Cookie", ""))
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    connection.request("GET", path, headers={**headers, **browser.header()})
                    response = connection.getresponse()
                    response.read()
                    browser.keep(response.msg.get_all("Set-Cookie") or [])
                except (http.client.HTTPException, OSError):
                    # A worker restarting (gunicorn's max_requests) closes its kept-alive
                    # connections: open another and carry on.
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    continue
                if response.status != 200:
                    with lock:
                        failures.append(f"{path}: {response.status}")
                    return
                mine.append(time.perf_counter() - started)
        finally:
            connection.close()
            with lock:
                times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"requests failed: {failures[:3]}")
    return len(times), elapsed, times


def run() -> list[Figure]:
    seconds = env_int("BENCH_GUNICORN_SECONDS", 5)
    rounds = env_int("BENCH_GUNICORN_ROUNDS", 3)
    connections = env_int("BENCH_GUNICORN_CONNECTIONS", 8)
    directory = tempfile.mkdtemp(prefix="timebank-bench-gunicorn-")
    app = _demo_app(directory)
    with app.app_context():
        from timebank.extensions import db

        db.engine.dispose()  # the served processes open the file themselves
    process, port = _serve(directory)
    try:
        pages = {
            "sign_in": (SIGN_IN, {"User-Agent": USER_AGENT}),
            "dashboard": (DASHBOARD, {"User-Agent": USER_AGENT, "Cookie": _sign_in(port)}),
        }
        totals = {name: [0, 0.0, []] for name in pages}
        for path, headers in pages.values():  # warm every worker up
            _hammer(port, path, headers, 1, connections)
        for _ in range(rounds):
            for name, (path, headers) in pages.items():
                count, elapsed, times = _hammer(port, path, headers, seconds, connections)
                totals[name][0] += count
                totals[name][1] += elapsed
                totals[name][2].extend(times)
    finally:
        stop_gunicorn(process)
    rate = {name: count / elapsed for name, (count, elapsed, _times) in totals.items()}
    median_ms = {name: statistics.median(t[2]) * 1000 for name, t in totals.items()}
    return [
        Figure("pages_gunicorn.workers", int(os.environ.get("WEB_CONCURRENCY", "2")), "workers"),
        Figure("pages_gunicorn.threads", int(os.environ.get("TIMEBANK_THREADS", "4")), "threads"),
        Figure("pages_gunicorn.connections", connections, "connections"),
        Figure("pages_gunicorn.sign_in", round(rate["sign_in"], 1), "requests/s"),
        Figure(
            "pages_gunicorn.dashboard",
            round(rate["dashboard"], 1),
            "requests/s",
            round(rate["sign_in"], 1),
            round(rate["dashboard"] / rate["sign_in"], 2),
        ),
        Figure("pages_gunicorn.sign_in.median", round(median_ms["sign_in"], 2), "ms"),
        Figure("pages_gunicorn.dashboard.median", round(median_ms["dashboard"], 2), "ms"),
    ]
