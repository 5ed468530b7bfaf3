"""The application factory: config -> extensions -> blueprints -> CLI."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from timebank.config import Config
from timebank.extensions import csrf, db, login_manager, migrate
from timebank.ledger.database import configure_engine

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so a development server never runs
    with a guessable key and sessions survive restarts."""
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    app.config.from_prefixed_env("TIMEBANK")
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'timebank.sqlite3'}"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    from timebank.auth import views as auth_views
    from timebank.auth.limits import init_limits
    from timebank.auth.reset import redact_tokens_in_request_log
    from timebank.coordinators import bp as coordinators_bp
    from timebank.errors import register_error_handlers
    from timebank.filters import register_filters
    from timebank.i18n import init_i18n
    from timebank.mail import init_mail
    from timebank.members import views as member_views
    from timebank.navigation import register_navigation
    from timebank.notification_mail import init_notification_mail

    app.register_blueprint(auth_views.bp)
    init_limits(app)
    init_mail(app, app.instance_path)
    init_notification_mail(app)
    redact_tokens_in_request_log()
    app.register_blueprint(member_views.bp)
    app.register_blueprint(coordinators_bp)
    register_error_handlers(app)
    register_filters(app)
    init_i18n(app)
    register_navigation(app)

    from timebank.cli import timebank_cli

    app.cli.add_command(timebank_cli)

    @app.get("/")
    def index():
        from flask import redirect, url_for
        from flask_login import current_user

        if current_user.is_authenticated:
            return redirect(url_for("members.dashboard"))
        return redirect(url_for("auth.sign_in"))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            " base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
        )
        return response

    return app
