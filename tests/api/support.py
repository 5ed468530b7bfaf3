"""Two time banks with members, a coordinator, an organisation and a partner, and a
token for each person; ``call`` sends one API request with a token."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member
from timebank.community.api_tokens import create_token
from timebank.ledger.banks import add_membership
from timebank.ledger.models import Role

TODAY = bank_today()
YESTERDAY = TODAY - timedelta(days=1)


def token_for(session, membership, scope="read_write", days=30) -> str:
    made = create_token(session, person=membership.person, name="test", scope=scope, days=days)
    session.commit()
    return made.secret


def build_world(session) -> dict:
    a = TimeBankFactory(slug="riverside", name="Riverside Time Bank", floor_minutes=-120)
    b = TimeBankFactory(slug="valley", name="Valley Time Bank")
    cora = make_member(
        session, email="cora@example.org", name="Cora", bank=a, role=Role.COORDINATOR
    )
    alice = make_member(session, email="alice@example.org", name="Alice", bank=a)
    bob = make_member(session, email="bob@example.org", name="Bob", bank=a)
    dan = make_member(session, email="dan@example.org", name="Dan", bank=b)
    vera = make_member(
        session, email="vera@example.org", name="Vera", bank=b, role=Role.COORDINATOR
    )
    paula = make_member(session, email="paula@example.org", name="Paula", bank=a, role=Role.PARTNER)
    add_membership(session, actor=None, bank=b, person=paula.person, role=Role.PARTNER)
    session.commit()
    people = {"cora": cora, "alice": alice, "bob": bob, "dan": dan, "vera": vera, "paula": paula}
    return {
        "a": a,
        "b": b,
        **people,
        "tokens": {name: token_for(session, m) for name, m in people.items()},
    }


def call(client, method, path, token=None, *, json=None, key=None, lang=None, **kw):
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if method.upper() == "POST" and key is not False:
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    if lang:
        headers["Accept-Language"] = lang
    return client.open(path, method=method.upper(), json=json, headers=headers, **kw)


def exchange(world, giver="alice", receiver="bob", minutes=60, **extra) -> dict:
    return {
        "bank": world["a"].id,
        "giver_account": world[giver].account.id,
        "receiver_account": world[receiver].account.id,
        "minutes": minutes,
        "service_date": YESTERDAY.isoformat(),
        **extra,
    }
