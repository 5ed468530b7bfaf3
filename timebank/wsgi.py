"""The WSGI entry point for gunicorn (``gunicorn timebank.wsgi:app``): production unless
``TIMEBANK_ENVIRONMENT=development`` says otherwise, so a server started without its
settings refuses to start instead of running with a made-up key on SQLite."""

from __future__ import annotations

from timebank.app import create_app
from timebank.production_settings import PRODUCTION

app = create_app(environment=PRODUCTION)
