"""Applying signed out, as a newcomer does: the form, then the link emailed to the
address, then "Confirm my application" (issue 11: nothing is created before that).

``apply_and_confirm`` does all three and returns the confirming response (a redirect to
the application's status page, signed in). ``confirm_path`` reads the link from the
mail written to the test's outbox folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from timebank.mail import read_outbox

CONFIRM_LINK = re.compile(r"https?://[^\s\"<>]+/auth/apply/confirm/[A-Za-z0-9_\-]+")
CHECK_EMAIL = "Check your email"


def confirm_links(app, email: str) -> list[str]:
    """The paths of the confirming links sent to ``email``, newest first."""
    folder = Path(app.config["MAIL_OUTBOX"])
    links = []
    for message in read_outbox(folder, to=email):
        text = "".join(part for part, _ in message.body_parts)
        links += [urlsplit(link).path for link in CONFIRM_LINK.findall(text)]
    return links


def confirm_path(app, email: str) -> str:
    """The newest confirming link sent to ``email`` (its path)."""
    links = confirm_links(app, email)
    assert links, f"no link to confirm an application was sent to {email}"
    return links[0]


def _csrf_token(html: str) -> str | None:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return match.group(1) if match else None


def confirm(client, path: str):
    """Open the emailed link and press "Confirm my application"."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    # One button, whatever the page's language.
    assert html.count('<form method="post"') == 1 and 'type="submit"' in html
    token = _csrf_token(html)
    return client.post(path, data={"csrf_token": token} if token else {})


def apply_and_confirm(client, apply_path: str, data: dict):
    """Post the apply form signed out, check the answer is "Check your email", then
    confirm by the emailed link. Returns the confirming response."""
    answer = client.post(apply_path, data=data)
    assert answer.status_code == 200, answer.status_code
    assert CHECK_EMAIL in answer.get_data(as_text=True)
    return confirm(client, confirm_path(client.application, data["email"].strip().lower()))
