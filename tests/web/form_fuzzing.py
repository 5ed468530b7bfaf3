"""The machinery of the form fuzz (tests/web/test_form_fuzz.py): find every form of the
app and the role that sees it, then send each hostile values with Hypothesis.

Forms are found as a person finds them: every page of the URL map is opened as the
role its area is for (members, coordinators, partners; the public and sign-in pages
as a visitor and as a member), and each ``<form>`` on it is read (its action, its
fields, their types and choices). Every POST route is a target: with the fields of its
form when a page shows one, with none otherwise (then only the missing-fields case and
unknown fields are sent). GET routes are targets for the query parameters their filter
forms and links use.

Each example is one request with a valid CSRF token. It fails on a 500 (an exception
in the view, or a 5xx answer), and on a field error (400 or 422) after which a table
of the ledger or the community holds a different number of rows, or the balances
moved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from tests.two_step_support import give_code_with_csrf_token, set_up_two_step
from tests.web.support import PASSWORD, csrf_token_from
from timebank.community.models import Invitation, Listing, Message, Notification
from timebank.jobs.queue import THREADS
from timebank.ledger.models import (
    Account,
    AuditEntry,
    Category,
    Membership,
    Organisation,
    Person,
    Transfer,
)

# --- hostile values -------------------------------------------------------------------

NUMBERS = [
    "2147483648",
    str(2**63),
    "9" * 40,
    "-1",
    "-2147483649",
    "0",
    "-0",
    "١٢",  # Arabic-Indic digits
    "१२",  # Devanagari digits
    "\uff11\uff12",  # full-width digits
    "1e9",
    "1.5",
    "NaN",
    "inf",
    " 7 ",
]
DATES = [
    "9999-12-31",
    "0001-01-01",
    "0000-00-00",
    "2024-02-30",
    "10000-01-01",
    "-2024-01-01",
    "31/12/2024",
    "2024-1-1",
    "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661",  # in Arabic-Indic digits
]
TEXTS = [
    "\x00",
    "a\x00b",
    "\x1b[2J\x07",
    "\u200b\u200b",
    "\u202e\u2066",
    "\ufeff",
    "x" * 5_000,
    "ŵ" * 70_000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%(name)s {0} %s",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "",
    " ",
]
HOSTILE = [*NUMBERS, *DATES, *TEXTS]
MISSING = object()


@dataclass
class FormField:
    name: str
    kind: str  # the input's type, or "select" / "textarea"
    values: list[str] = field(default_factory=list)  # the page's value, or the choices


@dataclass
class Target:
    method: str
    endpoint: str
    url: str
    role: str
    fields: dict[str, FormField] = field(default_factory=dict)
    found_on_page: bool = False
    statuses: list[int] = field(default_factory=list)  # what each request was answered

    @property
    def name(self) -> str:
        return f"{self.method} {self.url} as {self.role}"


# --- reading pages --------------------------------------------------------------------


class _Forms(HTMLParser):
    """Every form on a page (method, action, fields) and every link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, dict[str, FormField]]] = []
        self.links: list[str] = []
        self._fields: dict[str, FormField] | None = None
        self._select: FormField | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._fields = {}
            self.forms.append((a.get("method", "get").upper(), a.get("action", ""), self._fields))
        elif self._fields is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            known = self._fields.setdefault(a["name"], FormField(a["name"], kind))
            known.values.append(a.get("value", ""))
        elif tag == "textarea":
            self._fields.setdefault(a["name"], FormField(a["name"], "textarea"))
        elif tag == "select":
            self._select = self._fields.setdefault(a["name"], FormField(a["name"], "select"))
        elif tag == "option" and self._select is not None:
            self._select.values.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


# --- finding the targets --------------------------------------------------------------

AREA_ROLES = {"coordinators": ["coordinator"], "members": ["member"], "partners": ["partner"]}
ANYONE = ["visitor", "member"]
# Not fuzzed: signing out (it ends the role's session for every later target), the
# API (Schemathesis fuzzes it: tests/api/test_fuzz.py), PDF files (a WeasyPrint drawing
# each, a second or more) and the operators' endpoints.
SKIP_ENDPOINTS = {"auth.sign_out", "static", "health.healthz", "health.readyz", "metrics.metrics"}


def _skipped(endpoint: str, rule: str) -> bool:
    return endpoint in SKIP_ENDPOINTS or endpoint.startswith("api") or rule.endswith(".pdf")


def roles_for(endpoint: str) -> list[str]:
    return AREA_ROLES.get(endpoint.split(".", 1)[0], ANYONE)


def _urls(rules, ids: dict[str, list], *, first_only: bool = False):
    """Each rule's URL with each object its parameters can name (an applicant and a
    member, a listing that is active and one that is paused...)."""
    for rule in rules:
        names = sorted(rule.arguments)
        choices = [ids[name][:1] if first_only else ids[name] for name in names]
        for values in itertools.product(*choices):
            yield rule, rule.build(dict(zip(names, values, strict=True)), False)[1]


def find_targets(
    app, clients: dict, ids: dict[str, list], *, pages: set[str] | None = None
) -> list[Target]:
    """Every POST route and every GET route with query parameters, with the form that
    posts to it and the role that sees that form (reading only the pages of the
    endpoints ``pages``, if given)."""
    adapter = app.url_map.bind("localhost")
    rules = [r for r in app.url_map.iter_rules() if not _skipped(r.endpoint, r.rule)]
    posts: dict[str, Target] = {}
    queries: dict[str, Target] = {}
    for rule, url in _urls(rules, ids):
        if "GET" not in rule.methods or (pages is not None and rule.endpoint not in pages):
            continue
        for role in roles_for(rule.endpoint):
            response = clients[role].get(url)
            if response.status_code != 200 or "text/html" not in response.content_type:
                continue
            page = _Forms()
            page.feed(response.get_data(as_text=True))
            for method, action, fields in page.forms:
                action_url = urlsplit(action).path or url
                try:
                    endpoint, _ = adapter.match(action_url, method=method)
                except HTTPException:
                    continue
                if _skipped(endpoint, action_url):
                    continue
                found = posts if method == "POST" else queries
                if endpoint not in found:
                    found[endpoint] = Target(method, endpoint, action_url, role, {}, True)
                target = found[endpoint]
                if target.role == role and target.url == action_url:
                    for name, value in fields.items():
                        target.fields.setdefault(name, value)
            for link in page.links:
                parts = urlsplit(link)
                if not parts.query or parts.netloc:
                    continue
                try:
                    endpoint, _ = adapter.match(parts.path, method="GET")
                except HTTPException:
                    continue
                if _skipped(endpoint, parts.path):
                    continue
                target = queries.setdefault(
                    endpoint, Target("GET", endpoint, parts.path, role, {}, True)
                )
                if target.url == parts.path:
                    for name, value in parse_qsl(parts.query, keep_blank_values=True):
                        target.fields.setdefault(name, FormField(name, "text", [value]))
    for rule, url in _urls(rules, ids, first_only=True):
        if "POST" in rule.methods and rule.endpoint not in posts:
            posts[rule.endpoint] = Target("POST", rule.endpoint, url, roles_for(rule.endpoint)[-1])
    return list(posts.values()) + [t for t in queries.values() if t.fields]


# --- values ---------------------------------------------------------------------------


def _values_for(form_field: FormField) -> st.SearchStrategy:
    own = [v for v in form_field.values if v]
    typed: list[str] = []
    if form_field.kind == "number":
        typed = NUMBERS
    elif form_field.kind in ("date", "month", "datetime-local"):
        typed = DATES
    one = st.one_of(
        st.sampled_from(own or [""]),
        st.sampled_from(typed or TEXTS),
        st.sampled_from(HOSTILE),
        st.text(max_size=12),
    )
    return st.one_of(
        st.just(MISSING),
        one.map(lambda value: [value]),
        st.lists(one, min_size=2, max_size=3),  # a list where one value is expected
    )


def bodies(target: Target) -> st.SearchStrategy:
    """The form's fields, each missing, one value (its own, typed, hostile, any) or
    several; sometimes a field the form does not have."""
    names = sorted(n for n in target.fields if not n.endswith("csrf_token"))
    if not names:
        names = ["id", "selected", "value"]
        fields = {n: FormField(n, "text") for n in names}
    else:
        fields = target.fields
    return st.fixed_dictionaries(
        {name: _values_for(fields[name]) for name in names},
        optional={"unexpected": st.sampled_from(HOSTILE).map(lambda v: [v])},
    )


# Sent to every target first, in every field at once: the values that broke pages before.
EVERY_FIELD = [["\x00"], ["9" * 40], ["9999-12-31"], ["-1", "١٢"], MISSING]


def explicit_bodies(target: Target) -> list[dict]:
    names = sorted(n for n in target.fields if not n.endswith("csrf_token")) or ["id"]
    return [dict.fromkeys(names, values) for values in EVERY_FIELD]


def as_multidict(target: Target, body: dict, token: str | None) -> MultiDict:
    """The request's fields, with the session's CSRF token in each token field of the
    form (a form with a prefix names it ``<prefix>-csrf_token``)."""
    data = MultiDict()
    for name, values in body.items():
        if values is MISSING:
            continue
        for value in values:
            data.add(name, value)
    if token and target.method == "POST":
        for name in [n for n in target.fields if n.endswith("csrf_token")] or ["csrf_token"]:
            data.add(name, token)
    return data


# --- what must not change -------------------------------------------------------------

COUNTED = (Transfer, AuditEntry, Membership, Person, Listing, Message, Category, Organisation)


def ledger_state(session) -> tuple:
    """Row counts of the tables a form writes, and every account's counters, once the
    background jobs of earlier requests (emails, imports: threads without Redis) are
    done, so that only the request in between can have changed them."""
    for thread in list(THREADS.values()):
        thread.join(60)
    session.rollback()
    counts = tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model)) for model in COUNTED
    )
    extra = tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Invitation, Notification)
    )
    balances = session.execute(
        sa.select(
            sa.func.sum(Account.posted_debits),
            sa.func.sum(Account.posted_credits),
            sa.func.sum(Account.pending_debits),
            sa.func.sum(Account.pending_credits),
        )
    ).one()
    session.rollback()
    return (*counts, *extra, tuple(balances))


# --- the fuzz -------------------------------------------------------------------------


@dataclass
class Failure:
    target: str
    problem: str


def fuzz(
    target: Target,
    client,
    session,
    *,
    token: str | None,
    examples: int,
    failures: list[Failure],
) -> int:
    """Send ``examples`` hostile requests to one target; record what went wrong. Returns
    how many requests were sent."""
    sent = 0

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: reported as sent
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies(target))
    def one_request(body):
        nonlocal sent
        data = as_multidict(target, body, token)
        before = ledger_state(session) if target.method == "POST" else None
        sent += 1
        if target.method == "POST":
            response = client.post(target.url, data=data)
        else:
            response = client.get(target.url, query_string=data)
        status = response.status_code
        target.statuses.append(status)
        assert status < 500, f"{status} for {_shown(data)}"
        if before is not None and status in (400, 422):
            after = ledger_state(session)
            assert after == before, f"a field error ({status}) wrote: {_shown(data)}"

    for body in explicit_bodies(target):
        one_request = example(body=body)(one_request)
    try:
        one_request()
    except Exception as error:  # a 500 raised in the view, or an assertion above
        # A failure that did not come back when Hypothesis sent the request again is a
        # failure too (the first answer was wrong): report what it was.
        causes = getattr(error, "exceptions", None) or [error]
        problem = "; ".join(f"{type(e).__name__}: {e}" for e in causes)
        failures.append(Failure(target.name, _short(problem)))
    return sent


def _short(text: str) -> str:
    return text if len(text) < 400 else text[:400] + "..."


def _shown(data: MultiDict) -> str:
    shown = [(k, v[:40]) for k, v in data.items(multi=True) if not k.endswith("csrf_token")]
    return _short(repr(shown))


# --- roles ----------------------------------------------------------------------------


def signed_in_client(app, email: str | None, home: str):
    """A client for a role, signed in (with the sign-in form's CSRF token) unless a
    visitor, and its session's CSRF token (read from its ``home`` page, after signing
    in: signing in starts a new session)."""
    client = app.test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    if email is not None:
        # Coordinators and partners give the code from their authenticator too.
        two_step_on = set_up_two_step(app, email)
        response = client.post(
            "/auth/sign-in",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_token_from(page)},
        )
        assert response.status_code == 302, f"{email} could not sign in"
        if two_step_on:
            assert give_code_with_csrf_token(client, email).status_code == 302
        page = client.get(home).get_data(as_text=True)
    return client, csrf_token_from(page)
