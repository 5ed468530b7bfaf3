"""A person's own personal access tokens for the JSON API: create (named, with a scope
and an expiry; the secret shown once), list and revoke. Any signed-in person may have
them, members and partners alike: a token acts with exactly their memberships. The page
asks to confirm it's you (timebank.auth.recent) when the last confirmation is old, as
every other page that changes how one signs in does."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from timebank.auth.recent import recent_sign_in_required
from timebank.auth.views import bp
from timebank.community.api_tokens import LIFETIMES, Scope, create_token, list_tokens, revoke_token
from timebank.extensions import db
from timebank.ledger.clock import utcnow
from timebank.quick_gettext import lazy_gettext as _l
from timebank.web import perform


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the token a name, so you know where it is used.")),
            Length(max=80, message=_l("Keep the name under 80 characters.")),
        ],
    )
    scope = SelectField(
        _l("What it may do"),
        choices=[
            SelectChoice(Scope.READ.value, _l("Read only")),
            SelectChoice(Scope.READ_WRITE.value, _l("Read, and record and decide exchanges")),
        ],
        default=Scope.READ.value,
    )
    days = SelectField(
        _l("Works for"),
        choices=[SelectChoice(str(d), _l("%(days)s days", days=d)) for d in LIFETIMES],
        default="90",
    )


class RevokeForm(FlaskForm):
    pass


def _render(form: NewTokenForm, secret: str | None = None, status: int = 200):
    return (
        render_template(
            "auth/api_tokens.html",
            form=form,
            revoke_form=RevokeForm(),
            tokens=list_tokens(db.session(), current_user.person),
            secret=secret,
            now=utcnow(),
        ),
        status,
    )


@bp.route("/api-tokens", methods=["GET", "POST"])
@login_required
@recent_sign_in_required()
def api_tokens():
    form = NewTokenForm()
    if not form.is_submitted():
        return _render(form)
    if not form.validate():
        return _render(form, status=422)
    person = current_user.person
    made = perform(
        lambda: create_token(
            db.session,
            person=person,
            name=form.name.data,
            scope=form.scope.data,
            days=int(form.days.data),
        ),
        form,
    )
    if made is None:
        return _render(form, status=422)
    # Shown on this answer only: it is not kept anywhere it could be shown again.
    return _render(NewTokenForm(formdata=None), secret=made.secret, status=201)


@bp.post("/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    form = RevokeForm()
    if form.validate_on_submit():
        person = current_user.person
        token = perform(lambda: revoke_token(db.session(), person=person, token_id=token_id))
        if token is not None:
            flash(_("The token “%(name)s” is revoked. It no longer works.", name=token.name))
    return redirect(url_for("auth.api_tokens"))
