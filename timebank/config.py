"""Defaults only. ``create_app`` reads the environment (``TIMEBANK_*``) over these."""

from __future__ import annotations


class Config:
    # "development" (the default for `flask` and `make run`) or "production" (the
    # default of timebank.wsgi, which gunicorn serves). Production refuses to start
    # without a strong SECRET_KEY, PostgreSQL, Redis and EXTERNAL_ORIGIN
    # (timebank/production_settings.py).
    ENVIRONMENT = "development"
    # Set TIMEBANK_SECRET_KEY in production (at least 32 random characters, the same on
    # every app server); in development without it a random key is created once and
    # kept in instance/secret_key.
    SECRET_KEY: str | None = None
    # Redis (redis://host:6379/0): the job queue, and the rate limits' counts unless
    # RATELIMIT_STORAGE_URI says otherwise. Without it (development) jobs run in the
    # web process and counts are kept in memory.
    REDIS_URL: str | None = None
    # The RQ queue's name; jobs of another name are another installation's.
    JOB_QUEUE = "timebank"
    # A failed job is tried again this many times, after these many seconds each.
    JOB_RETRIES = 3
    JOB_RETRY_INTERVALS = [30, 120, 600]
    # After each commit that posts (or reverses) in a bank, queue a rebuild of its cached
    # reports (timebank/jobs/report_refresh.py). Only with Redis.
    REBUILD_REPORTS_AFTER_POSTING = True
    # How long an import may run in the worker before it is stopped (and marked failed).
    IMPORT_JOB_TIMEOUT = 4 * 60 * 60
    # /metrics (Prometheus) answers only to "Authorization: Bearer <this>"; unset: 404.
    METRICS_TOKEN: str | None = None
    # Default: SQLite in the instance folder (filled in by create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Where people reach the site, e.g. https://timebank.example.org: every link in an
    # email starts with it (never with the request's Host header). Default: the
    # development server, http://127.0.0.1:5000.
    EXTERNAL_ORIGIN: str | None = None
    # The host names the app answers; others get 400. Default: the origin's host (and
    # every loopback name for the development origin). A list, or names with commas.
    TRUSTED_HOSTS: list[str] | str | None = None
    # How many reverse proxies stand in front: their X-Forwarded-For and
    # X-Forwarded-Proto are then believed (never X-Forwarded-Host). 0: none.
    PROXY_COUNT = 0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    # A sign-in ends after this many seconds without a request, and this many seconds
    # after signing in whatever happens (timebank/auth/session_timeouts.py).
    SESSION_IDLE_TIMEOUT = 30 * 60
    SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    # Uploads larger than this are refused before they are read (a million
    # TimeOverflow rows is about 70 MB).
    MAX_CONTENT_LENGTH = 200 * 1024 * 1024
    # Where uploaded import files wait (default instance/imports; never served).
    IMPORT_FOLDER: str | None = None
    # Exports: more rows than this are written to a file by a background job (with its
    # progress on a page) instead of streamed in the request; the files wait in
    # EXPORT_FOLDER (default instance/exports) for a day.
    EXPORT_IN_REQUEST_MAX_ROWS = 20_000
    EXPORT_FOLDER: str | None = None
    # Sign-in and "forgot password" attempts (Flask-Limiter): REDIS_URL when that is
    # set (counts shared by every worker and app server), else memory:// (one process).
    RATELIMIT_STORAGE_URI: str | None = None
    SIGN_IN_LIMIT_PER_ADDRESS = "10 per minute"
    # Tries at one account from browsers that have never signed in to it: tightening
    # over the minute, the hour and the day. A browser that has signed in to the
    # account before skips these and has its own count (timebank/auth/known_devices.py),
    # so nobody can lock the owner out by spending them.
    SIGN_IN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour;100 per day"
    SIGN_IN_LIMIT_PER_KNOWN_DEVICE = "10 per minute;100 per day"
    # Changing a password asks for the current one: counted per person too.
    PASSWORD_CHANGE_LIMIT_PER_ADDRESS = "10 per minute"  # noqa: S105 (a limit)
    PASSWORD_CHANGE_LIMIT_PER_ACCOUNT = "5 per minute;20 per day"  # noqa: S105 (a limit)
    RESET_LIMIT_PER_ADDRESS = "10 per minute"
    # Asking for a new email address (each sends a mail to the address typed): per person.
    EMAIL_CHANGE_LIMIT_PER_ADDRESS = "10 per minute"
    EMAIL_CHANGE_LIMIT_PER_ACCOUNT = "3 per minute;10 per day"
    RESET_LIMIT_PER_ACCOUNT = "3 per minute"
    # Applications to join (each signed-out one emails the address given): per client
    # address, and per email address (or per person, signed in).
    APPLY_LIMIT_PER_ADDRESS = "10 per hour"
    APPLY_LIMIT_PER_ACCOUNT = "3 per hour"
    # Every use of one personal access token for the API (TIMEBANK_API_RATE_LIMIT).
    API_RATE_LIMIT = "120 per minute"
    # Someone is asked for their password again (and their two-step code, when it is on)
    # before changing roles, settings or their own sign-in, when they last gave it more
    # than this many minutes ago.
    REAUTHENTICATE_AFTER_MINUTES = 10
    # Minutes between the password and the two-step code at sign-in.
    TWO_STEP_PENDING_MINUTES = 5
    # Password-reset links stop working after this many seconds.
    PASSWORD_RESET_MAX_AGE = 60 * 60
    # Links to confirm a new email address stop working after this many seconds.
    EMAIL_CHANGE_MAX_AGE = 60 * 60
    # Mail (Flask-Mail). Without MAIL_SERVER, messages are written as .eml files to
    # MAIL_OUTBOX (default instance/outbox) instead of being sent.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Time bank <no-reply@localhost>"
    MAIL_OUTBOX: str | None = None
    # The /auth/outbox page listing written messages, for demos only (`make run`).
    DEMO_OUTBOX_PAGE = False
