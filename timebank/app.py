"""The application factory: config -> extensions -> blueprints -> CLI."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, request

from timebank import production_settings
from timebank.config import Config
from timebank.extensions import csrf, db, login_manager, migrate
from timebank.ledger.database import begin_reads_deferred, configure_engine, end_reads_deferred

ROOT = Path(__file__).resolve().parent.parent
# The templates, static files, catalogues and migrations ship inside the package, so an
# installed wheel runs the app as the working tree does.
PACKAGE = Path(__file__).resolve().parent


def _instance_path() -> str | None:
    """instance/ in the working tree; for an installed wheel, TIMEBANK_INSTANCE_PATH
    or Flask's own choice (<prefix>/var/timebank.app-instance)."""
    chosen = os.environ.get("TIMEBANK_INSTANCE_PATH")
    if chosen:
        return chosen
    if (ROOT / "pyproject.toml").exists():
        return str(ROOT / "instance")
    return None


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


def create_app(
    test_config: dict[str, Any] | None = None, *, environment: str | None = None
) -> Flask:
    """The app. ``environment`` is the default of ``ENVIRONMENT`` before the
    environment's ``TIMEBANK_ENVIRONMENT`` (timebank.wsgi passes "production")."""
    app = Flask(
        __name__,
        instance_path=_instance_path(),
        instance_relative_config=True,
        template_folder=str(PACKAGE / "templates"),
        static_folder=str(PACKAGE / "static"),
    )
    app.config.from_object(Config)
    if environment:
        app.config["ENVIRONMENT"] = environment
    app.config.from_prefixed_env("TIMEBANK")
    if test_config:
        app.config.update(test_config)
    production_settings.check(app.config)
    production_settings.host_only_session_cookie(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'timebank.sqlite3'}"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    from timebank.form_messages import init_form_messages
    from timebank.ids import IdConverter
    from timebank.links import init_links
    from timebank.text_rules import init_text_rules
    from timebank.widget_attributes import init_widget_attributes

    # Before any route is added: every <int:...> stops at the largest id.
    app.url_map.converters["int"] = IdConverter
    init_links(app)
    init_text_rules()
    init_form_messages()
    init_widget_attributes()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    from timebank.api.setup import init_api
    from timebank.auth import views as auth_views
    from timebank.auth.limits import init_limits
    from timebank.auth.refusals import init_refusals
    from timebank.auth.reset import redact_tokens_in_request_log
    from timebank.auth.security import init_two_step_gate
    from timebank.auth.session_timeouts import init_session_timeouts
    from timebank.auth.sessions import init_sessions
    from timebank.coordinators import bp as coordinators_bp
    from timebank.errors import register_error_handlers
    from timebank.filters import register_filters
    from timebank.headers import register_security_headers
    from timebank.health import init_health
    from timebank.i18n import init_i18n
    from timebank.jobs.report_refresh import init_report_refresh
    from timebank.mail import init_mail
    from timebank.members import views as member_views
    from timebank.metrics import init_metrics
    from timebank.navigation import register_navigation
    from timebank.notification_mail import init_notification_mail
    from timebank.partners import bp as partners_bp
    from timebank.public import bp as public_bp
    from timebank.request_log import configure_logging, init_request_log
    from timebank.transfer_words import register_transfer_words

    # First of all the request hooks: every later one (the two-step gate, the session
    # timeouts) may read the database, and a page's reads take no write lock.
    @app.before_request
    def reads_take_no_write_lock():
        # SQLite: a page that only reads begins a deferred transaction (no write lock);
        # writes go through run_in_transaction, which begins IMMEDIATE.
        if request.method in ("GET", "HEAD", "OPTIONS"):
            g.sqlite_read_token = begin_reads_deferred()

    @app.teardown_request
    def reads_done(_error=None):
        token = g.pop("sqlite_read_token", None)
        if token is not None:
            end_reads_deferred(token)

    app.register_blueprint(auth_views.bp)
    init_two_step_gate(app)
    app.register_blueprint(public_bp)
    init_health(app)
    init_request_log(app)
    init_metrics(app)
    if not production_settings.is_development(app.config):
        configure_logging(app.config.get("LOG_LEVEL") or "INFO")
    init_limits(app)
    init_session_timeouts(app)
    init_sessions(app)
    init_refusals(app)
    init_mail(app, app.instance_path)
    init_notification_mail(app)
    init_report_refresh(app)
    redact_tokens_in_request_log()
    app.register_blueprint(member_views.bp)
    app.register_blueprint(coordinators_bp)
    app.register_blueprint(partners_bp)
    register_error_handlers(app)
    register_filters(app)
    register_transfer_words(app)
    init_i18n(app)
    register_navigation(app)
    init_api(app)

    from timebank.cli import timebank_cli
    from timebank.security_log_cli import security_log_cli

    app.cli.add_command(timebank_cli)
    app.cli.add_command(security_log_cli)

    @app.get("/")
    def index():
        from flask import redirect, url_for
        from flask_login import current_user

        from timebank.navigation import home_url

        if current_user.is_authenticated:
            return redirect(home_url())
        return redirect(url_for("auth.sign_in"))

    register_security_headers(app)

    return app
