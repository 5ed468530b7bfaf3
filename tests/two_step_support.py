"""Two-step sign-in for tests that sign in as a coordinator or a partner.

A bank requires two-step sign-in of its coordinators and partners by default, so the
tests' sign-in helpers satisfy it as a person would: the person has an authenticator
(here a known secret, set up the way a finished set-up leaves it) and types the code it
shows after the password. Nothing in the app is switched off for tests.

``code_for(app, email)`` gives a code the app will accept now: this step's or the
next's, whichever has not been used yet (a code never works twice). When a test signs
the same person in more often than that within 30 seconds, or with the clock frozen,
the last used step is moved back, as if the next 30 seconds had passed.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, has_app_context

from timebank.community import totp, two_step
from timebank.community.people import get_person_by_email
from timebank.community.secret_box import SecretBox
from timebank.extensions import db
from timebank.ledger.clock import now, utcnow

TEST_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CODE_PAGE = "/auth/sign-in/code"

T = TypeVar("T")


def in_app(app: Flask, work: Callable[[], T]) -> T:
    """Run ``work`` in an app context (and database session) of its own, after
    committing what the test built (as the request-scoped test client does)."""
    if has_app_context():
        db.session.commit()

    def run() -> T:
        with app.app_context():
            return work()

    try:
        return contextvars.Context().run(run)
    finally:
        if has_app_context():
            db.session.expire_all()


def box_of(app: Flask) -> SecretBox:
    return SecretBox.from_master_key(app.config["SECRET_KEY"])


def set_up_two_step(app: Flask, email: str, secret: str = TEST_SECRET) -> bool:
    """Give ``email`` an authenticator with ``secret`` if their role needs one and they
    have none yet (as finishing the set-up page does). Returns whether two-step sign-in
    is on for them."""

    def work() -> bool:
        person = get_person_by_email(db.session(), email)
        if person is None:
            return False
        if two_step.is_on(db.session(), person):
            return True
        if not two_step.is_required(person):
            return False
        existing = db.session.get(two_step.TwoStep, person.id)
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        db.session.add(
            two_step.TwoStep(
                person_id=person.id,
                secret_encrypted=box_of(app).encrypt(secret),
                enabled_at=utcnow(),
            )
        )
        db.session.commit()
        return True

    return in_app(app, work)


def code_for(app: Flask, email: str) -> str:
    """A code the app accepts now for ``email`` (see the module's docstring)."""

    def work() -> str:
        person = get_person_by_email(db.session(), email)
        assert person is not None, f"no person {email}"
        record = db.session.get(two_step.TwoStep, person.id)
        assert record is not None and record.enabled_at is not None, "two-step sign-in is off"
        secret = box_of(app).decrypt(record.secret_encrypted)
        current = totp.step_at(now())
        for step in (current, current + 1):
            if record.last_step is None or step > record.last_step:
                return totp.code_at(secret, step)
        record.last_step = current - 1
        db.session.commit()
        return totp.code_at(secret, current)

    return in_app(app, work)


def give_code_with_csrf_token(client, email: str):
    """The code step on an app with CSRF protection on: read the form's token first."""
    page = client.get(CODE_PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "the code page has no CSRF token"
    return client.post(
        CODE_PAGE, data={"code": code_for(client.application, email), "csrf_token": token[1]}
    )


def sign_in_with_code(client, email: str, password: str, **kw):
    """Post the password and, when the app asks for it, the code: the last answer."""
    app = client.application
    follow = kw.pop("follow_redirects", False)
    two_step_on = set_up_two_step(app, email)
    response = client.post(
        "/auth/sign-in",
        data={"email": email, "password": password},
        follow_redirects=follow and not two_step_on,
        **kw,
    )
    location = response.headers.get("Location", "")
    if two_step_on and response.status_code == 302 and location.endswith(CODE_PAGE):
        response = client.post(
            CODE_PAGE, data={"code": code_for(app, email)}, follow_redirects=follow, **kw
        )
    elif follow and two_step_on and response.status_code in (301, 302, 303):
        response = client.get(location, follow_redirects=True)
    return response


def give_code_in_browser(page, app: Flask, email: str) -> None:
    """After the password in a real browser: type the code when the app asks for it."""
    if page.url.split("?")[0].endswith(CODE_PAGE):
        page.fill("#code", code_for(app, email))
        with page.expect_navigation():
            page.click("main button[type=submit]")
