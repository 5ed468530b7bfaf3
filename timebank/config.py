"""Defaults only. ``create_app`` reads the environment (``TIMEBANK_*``) over these."""

from __future__ import annotations


class Config:
    # Set TIMEBANK_SECRET_KEY in production; without it a random key is created once
    # and kept in instance/secret_key.
    SECRET_KEY: str | None = None
    # Default: SQLite in the instance folder (filled in by create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    # Uploads larger than this are refused before they are read (a million
    # TimeOverflow rows is about 70 MB).
    MAX_CONTENT_LENGTH = 200 * 1024 * 1024
    # Where uploaded import files wait (default instance/imports; never served).
    IMPORT_FOLDER: str | None = None
    # Sign-in and "forgot password" attempts (Flask-Limiter). Use
    # redis://127.0.0.1:6379 when several worker processes serve the app.
    RATELIMIT_STORAGE_URI = "memory://"
    SIGN_IN_LIMIT_PER_ADDRESS = "10 per minute"
    SIGN_IN_LIMIT_PER_ACCOUNT = "5 per minute"
    RESET_LIMIT_PER_ADDRESS = "10 per minute"
    RESET_LIMIT_PER_ACCOUNT = "3 per minute"
    # Password-reset links stop working after this many seconds.
    PASSWORD_RESET_MAX_AGE = 60 * 60
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
