"""My sign-in and security: two-step sign-in set up, turned off, new recovery codes.

Every change asks the person to confirm it is them first when their last confirmation
is old (timebank.auth.recent). Turning it on or off, and new recovery codes, end every
other session of the person (the session version moves on) and keep this one.

The gate (:func:`require_two_step_setup`): a coordinator or partner of a bank that
requires two-step sign-in, signed in without it, reaches nothing but the set-up page,
the confirm page and signing out until it is on.
"""

from __future__ import annotations

import segno
from flask import (
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from timebank.auth.recent import recent_sign_in_required
from timebank.auth.sessions import end_other_sessions
from timebank.auth.two_step_keys import log_two_step_event, secret_box
from timebank.auth.views import bp
from timebank.community import totp, two_step
from timebank.community.security_events import MFA_DISABLED, MFA_ENABLED, MFA_RECOVERY_CODES_RENEWED
from timebank.community.sign_in_sessions import Ended
from timebank.extensions import db
from timebank.ledger.models import Person
from timebank.navigation import home_url
from timebank.quick_gettext import lazy_gettext as _l
from timebank.safe_redirect import is_local_path
from timebank.web import perform

ISSUER = "Time bank"
# Reachable while two-step set-up is required and not done.
OPEN_DURING_SETUP = {
    "auth.two_step_setup",
    "auth.confirm",
    "auth.sign_out",
    "outbox",
    "language.choose_language",
    "static",
}


class SetUpForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Enter the 6 digits the app shows.")), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
        },
    )


class ActionForm(FlaskForm):
    pass


def _keep_this_session(person: Person) -> None:
    """End every other session of ``person`` and carry this one over."""
    end_other_sessions(person, Ended.OTHERS_ENDED)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# The QR standard lets the maker choose any of its eight masks; segno otherwise draws the
# code eight times to score them (two thirds of the page's time). 3 is the one it
# chooses most often for these addresses; tests/web/test_two_step.py decodes the code.
QR_MASK = 3


def _qr_code(uri: str) -> Markup:
    svg = segno.make(uri, error="m", micro=False, mask=QR_MASK).svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="qr-code"
    )
    # Drawn here, inline: the secret never goes to another site to be made a picture.
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))  # noqa: S704


def _no_store(body, status: int = 200):
    response = current_app.make_response((body, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _next_target() -> str | None:
    target = request.args.get("next")
    return target if is_local_path(target) else None


@bp.route("/security/two-step", methods=["GET", "POST"])
@login_required
@recent_sign_in_required()
def two_step_setup():
    person = current_user.person
    target = _next_target()
    box = secret_box()
    # Read once, without a transaction that writes (whose commit would also expire
    # everything loaded for the page): reloading the page shows the secret waiting.
    state = two_step.setup_state(db.session(), box, person)
    if state.on:
        return redirect(target or url_for("auth.security"))
    form = SetUpForm()
    if form.validate_on_submit():
        typed = form.code.data
        codes = perform(lambda: two_step.finish_setup(db.session(), box, person, typed), form)
        if codes is not None:
            log_two_step_event(MFA_ENABLED, person.id)
            _keep_this_session(person)
            return _no_store(
                render_template(
                    "auth/recovery_codes.html",
                    codes=codes,
                    just_turned_on=True,
                    target=target or url_for("auth.security"),
                )
            )
    # A code that did not match changed nothing: the same secret is still waiting.
    secret = state.waiting_secret or perform(
        lambda: two_step.start_setup(db.session(), box, person)
    )
    if secret is None:
        return redirect(url_for("auth.security"))
    uri = totp.provisioning_uri(secret, account=person.email, issuer=ISSUER)
    return _no_store(
        render_template(
            "auth/two_step_setup.html",
            form=form,
            qr_code=_qr_code(uri),
            secret=_grouped(secret),
            required=two_step.is_required(person),
            target=target,
        ),
        400 if form.errors else 200,
    )


def _back_to_security(**_kwargs) -> str:
    return url_for("auth.security")


@bp.post("/security/two-step/recovery-codes")
@login_required
@recent_sign_in_required(back=_back_to_security)
def new_recovery_codes():
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.security"))
    person = current_user.person
    box = secret_box()
    codes = perform(lambda: two_step.new_recovery_codes(db.session(), box, person))
    if codes is None:
        return redirect(url_for("auth.security"))
    log_two_step_event(MFA_RECOVERY_CODES_RENEWED, person.id)
    return _no_store(
        render_template(
            "auth/recovery_codes.html",
            codes=codes,
            just_turned_on=False,
            target=url_for("auth.security"),
        )
    )


@bp.post("/security/two-step/off")
@login_required
@recent_sign_in_required(back=_back_to_security)
def two_step_off():
    form = ActionForm()
    if form.validate_on_submit():
        person = current_user.person
        perform(lambda: two_step.turn_off(db.session(), person))
        log_two_step_event(MFA_DISABLED, person.id)
        _keep_this_session(person)
        if two_step.is_required(person):
            flash(_("Two-step sign-in is off. Your role needs it: set it up again now."))
            return redirect(url_for("auth.two_step_setup"))
        flash(_("Two-step sign-in is off."))
    return redirect(url_for("auth.security"))


def require_two_step_setup():
    """Before every request: send someone who must use two-step sign-in and has not
    set it up to the set-up page."""
    if not current_user.is_authenticated or request.endpoint in OPEN_DURING_SETUP:
        return None
    if request.blueprint in ("api", "health") or request.endpoint is None:
        return None
    person = current_user.person
    if not two_step.is_required(person) or two_step.is_on(db.session(), person):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if target == url_for("auth.sign_in") or not is_local_path(target):
        target = None
    if target is None or target == home_url():
        return redirect(url_for("auth.two_step_setup"))
    return redirect(url_for("auth.two_step_setup", next=target))


def init_two_step_gate(app: Flask) -> None:
    app.before_request(require_two_step_setup)
