"""What the benchmarks share: throwaway databases, timing and the results files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

# Importing the extensions attaches the history triggers to ``Base.metadata`` (once), so
# ``create_all`` builds the same tables, constraints and triggers as the migration.
import timebank.extensions  # noqa: F401
from timebank.ledger.database import configure_engine
from timebank.ledger.models import Base

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str:
    return os.environ.get(
        "TIMEBANK_BENCH_POSTGRES_URL", os.environ.get("TIMEBANK_TEST_POSTGRES_URL", DEFAULT_PG)
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None


def write_results(benchmark: str, figures: list[Figure]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{benchmark}.json"
    path.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")
    return path


@contextmanager
def sqlite_database() -> Iterator[sa.Engine]:
    """A fresh SQLite file configured as the app configures it (WAL, synchronous=FULL,
    BEGIN IMMEDIATE), with the ledger's tables; removed afterwards."""
    directory = tempfile.mkdtemp(prefix="timebank-bench-")
    engine = sa.create_engine(f"sqlite:///{directory}/bench.sqlite3")
    configure_engine(engine)
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgresql_database() -> Iterator[sa.Engine]:
    """A schema of its own on the PostgreSQL server with the ledger's tables; dropped
    afterwards."""
    base = pg_base_url()
    schema = f"tb_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in base else "?"
    engine = sa.create_engine(f"{base}{joiner}options=-csearch_path%3D{schema}")
    configure_engine(engine)
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_gunicorn(
    *, database_url: str, secret: str, mail_outbox: str, settings: dict[str, str]
) -> tuple[subprocess.Popen, int]:
    """gunicorn with the project's ``gunicorn.conf.py`` on a free port of 127.0.0.1,
    ``WEB_CONCURRENCY`` workers (default 2), in its own process group; returns it and
    its port once ``/healthz`` answers (a minute at most).

    The caller's ``TIMEBANK_`` settings are left out. The app runs with
    ``TIMEBANK_ENVIRONMENT=development`` so that its cookies are not Secure (plain http
    on loopback), with warnings only in its log; ``settings`` adds the benchmark's own
    (names without the ``TIMEBANK_`` prefix)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TIMEBANK_")},
        "TIMEBANK_ENVIRONMENT": "development",
        "TIMEBANK_SECRET_KEY": secret,
        "TIMEBANK_SQLALCHEMY_DATABASE_URI": database_url,
        "TIMEBANK_MAIL_OUTBOX": mail_outbox,
        "TIMEBANK_EXTERNAL_ORIGIN": f"http://127.0.0.1:{port}",
        "TIMEBANK_SESSION_COOKIE_SECURE": "false",
        "TIMEBANK_REMEMBER_COOKIE_SECURE": "false",
        "TIMEBANK_BIND": f"127.0.0.1:{port}",
        "TIMEBANK_LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        **{f"TIMEBANK_{name}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "timebank.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.5)
    stop_gunicorn(process)
    raise RuntimeError("gunicorn did not answer /healthz within a minute")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Stop a gunicorn ``serve_gunicorn`` started: its whole process group, killed if it
    has not stopped 30 s after being asked."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:  # already gone
        process.wait()
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
