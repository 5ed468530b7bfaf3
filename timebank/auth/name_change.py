"""Changing one's name: the name every time bank one belongs to shows, on lists,
exchanges and messages. It is not a credential, so no "confirm it's you" is asked; each
bank's audit log records that the name changed (not the names: see
``community.people.rename_person``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from timebank.auth.name_field import name_field
from timebank.auth.views import bp
from timebank.community.people import rename_person
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.quick_gettext import lazy_gettext as _l


class NameForm(FlaskForm):
    display_name = name_field(
        _l("Your name"),
        description=_l("As you would like the other members to see it."),
        when_empty=_l("Enter your name."),
        when_too_long=_l("Keep your name under 120 characters."),
    )


@bp.route("/name", methods=["GET", "POST"])
@login_required
def change_name():
    person = current_user.person
    form = NameForm(data={"display_name": person.display_name})
    if form.validate_on_submit():
        session = db.session()
        new_name = form.display_name.data
        if run_in_transaction(session, lambda: rename_person(session, person, new_name)):
            flash(_("Your name is now %(name)s.", name=new_name))
        else:
            flash(_("Your name is unchanged."))
        return redirect(url_for("auth.security"), code=303)
    return (
        render_template("auth/change_name.html", form=form),
        400 if form.errors else 200,
    )
