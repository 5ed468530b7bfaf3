"""django-hordak's ``Account.transfer_to``, timed on PostgreSQL: the peer figure of
``ledger_write``.

Runs inside the benchmark's own virtual environment (``bench/.hordak-venv``, made by
``bench.hordak_env``), never the app's: it imports Django and hordak, not timebank.

    python bench/hordak_transfer.py POSTGRES_URL COUNT SECONDS

It makes a schema of its own, runs hordak's migrations there, opens ``MEMBERS``
accounts and moves one unit from account k to account k+1 (the same ring as
``ledger_write``), one ``transaction.atomic()`` per transfer (hordak checks that each
transaction's legs balance with deferred constraint triggers, at commit). It prints one
JSON object (transfers, seconds, rate, hordak's version) and drops the schema.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

# Run as a script, its folder (bench/) would come first on the path: keep the
# installed packages first.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

MEMBERS = 50
WARMUP = 25


def _settings(url: str, schema: str) -> None:
    import django
    from django.conf import settings

    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        SECRET_KEY="bench-only",  # noqa: S106 (a throwaway settings object)
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "mptt",
            "djmoney",
            "hordak",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parts.path.lstrip("/"),
                "USER": parts.username or "",
                "PASSWORD": parts.password or "",
                "HOST": parts.hostname or "",
                "PORT": parts.port or 5432,
                "OPTIONS": {"options": f"-c search_path={schema}"},
            }
        },
        HORDAK_DECIMAL_PLACES=2,
        HORDAK_MAX_DIGITS=13,
        DEFAULT_CURRENCY="EUR",
        CURRENCIES=["EUR"],
    )
    django.setup()


def main(url: str, count: int, seconds: float) -> dict:
    import psycopg

    schema = f"tb_bench_hordak_{uuid.uuid4().hex[:12]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        _settings(url, schema)
        from django.core.management import call_command
        from django.db import connection, transaction
        from djmoney.money import Money
        from hordak.models import Account

        call_command("migrate", verbosity=0)
        accounts = [
            Account.objects.create(name=f"Member {k}", type=Account.TYPES.asset, currencies=["EUR"])
            for k in range(MEMBERS)
        ]
        one = Money(1, "EUR")

        def write(start: int, n: int) -> tuple[int, float]:
            begun, done = time.perf_counter(), 0
            for i in range(start, start + n):
                if time.perf_counter() - begun > seconds:
                    break
                with transaction.atomic():
                    accounts[i % MEMBERS].transfer_to(accounts[(i + 1) % MEMBERS], one)
                done += 1
            return done, time.perf_counter() - begun

        write(0, WARMUP)
        done, took = write(WARMUP, count)
        balance = sum(a.get_balance()["EUR"].amount for a in accounts)
        connection.close()
        return {
            "transfers": done,
            "seconds": took,
            "rate": done / took,
            "hordak": version("django-hordak"),
            "django": version("django"),
            "balances_sum": str(balance),
        }
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
