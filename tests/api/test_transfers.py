"""Transfers through the API, on both engines: recording idempotently, the life cycle
(confirm, approve, reject, reverse), every refusal as problem+json, and paging."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.api.support import YESTERDAY, call, exchange
from tests.api.test_tokens import assert_problem
from timebank.community.models import Notification
from timebank.ledger.models import Transfer
from timebank.ledger.verify import verify_ledger

# Writes through the ledger: run on both engines (make test).
pytestmark = pytest.mark.both_engines

T = "/api/v1/transfers"


def count(session) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count(Transfer.id)))


def test_recording_follows_confirmation_and_approval_to_posted(client, session, world):
    tokens = world["tokens"]
    made = call(client, "POST", T, tokens["alice"], json=exchange(world), key="k1")
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "pending" and body["needs_confirmation"] and body["needs_approval"]
    assert made.headers["Location"].endswith(f"{T}/{body['id']}")
    # Bob is told, as the web page tells him.
    assert session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.membership_id == world["bob"].id
        )
    )
    # Alice cannot confirm her own entry; Bob can.
    assert_problem(
        call(client, "POST", f"{T}/{body['id']}/confirm", tokens["alice"]), 403, "not_allowed"
    )
    confirmed = call(client, "POST", f"{T}/{body['id']}/confirm", tokens["bob"])
    assert confirmed.status_code == 200 and confirmed.get_json()["confirmed_at"]
    # A member cannot approve; the coordinator can.
    assert call(client, "POST", f"{T}/{body['id']}/approve", tokens["bob"]).status_code == 403
    approved = call(client, "POST", f"{T}/{body['id']}/approve", tokens["cora"])
    assert approved.get_json()["status"] == "posted"
    again = call(client, "POST", f"{T}/{body['id']}/approve", tokens["cora"])
    assert_problem(again, 409, "already_resolved")
    balance = call(client, "GET", f"/api/v1/accounts/{world['alice'].account.id}", tokens["alice"])
    assert balance.get_json()["balance"] == 60
    assert verify_ledger(session) == []


def test_the_same_key_and_body_return_the_first_answer_a_different_body_409(client, session, world):
    alice = world["tokens"]["alice"]
    first = call(client, "POST", T, alice, json=exchange(world), key="retry-1")
    replay = call(client, "POST", T, alice, json=exchange(world), key="retry-1")
    assert replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert count(session) == 1
    other = call(client, "POST", T, alice, json=exchange(world, minutes=30), key="retry-1")
    body = assert_problem(other, 409, "idempotency_key_reused")
    assert body["field"] == "Idempotency-Key"
    assert count(session) == 1
    # Another person's same key is their own.
    bobs = call(client, "POST", T, world["tokens"]["bob"], json=exchange(world), key="retry-1")
    assert bobs.status_code == 201 and bobs.get_json()["id"] != first.get_json()["id"]
    assert_problem(
        call(client, "POST", T, alice, json=exchange(world), key=False),
        400,
        "idempotency_key_missing",
    )


def test_a_refused_write_keeps_nothing_and_names_the_field(client, session, world):
    alice = world["tokens"]["alice"]
    # The floor is -2 h: receiving 3 h is refused, in English and in Welsh.
    big = exchange(world, giver="bob", receiver="alice", minutes=180)
    en = assert_problem(call(client, "POST", T, alice, json=big, key="f1"), 422, "below_floor")
    assert en["field"] == "minutes"
    cy = assert_problem(
        call(client, "POST", T, alice, json=big, key="f2", lang="cy"), 422, "below_floor"
    )
    assert cy["detail"] != en["detail"]
    assert count(session) == 0
    # Corrected, the same key now records.
    ok = call(client, "POST", T, alice, json={**big, "minutes": 60}, key="f1")
    assert ok.status_code == 201
    self_body = exchange(world, giver="alice", receiver="alice")
    assert_problem(call(client, "POST", T, alice, json=self_body), 422, "self_transfer")
    future = exchange(world, service_date="2999-01-01")
    assert (
        assert_problem(call(client, "POST", T, alice, json=future), 422, "date_in_future")["field"]
        == "service_date"
    )


def test_a_body_with_unknown_or_wrong_fields_is_422_with_each_field(client, world):
    alice = world["tokens"]["alice"]
    body = assert_problem(
        call(client, "POST", T, alice, json={**exchange(world), "admin": True}),
        422,
        "invalid_request",
    )
    assert {"field": "admin", "message": "This field is not known here."} in body["errors"]
    body = assert_problem(
        call(client, "POST", T, alice, json={"bank": "x"}, lang="cy"), 422, "invalid_request"
    )
    assert {e["field"] for e in body["errors"]} >= {"bank", "minutes", "giver_account"}
    assert {"field": "minutes", "message": "Mae angen y maes hwn."} in body["errors"]
    not_json = call(
        client, "POST", T, alice, data="{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code in (400, 422)
    assert not_json.content_type == "application/problem+json"


def test_another_banks_objects_answer_404_as_if_they_did_not_exist(client, session, world):
    made = call(client, "POST", T, world["tokens"]["alice"], json=exchange(world)).get_json()
    dan = world["tokens"]["dan"]
    missing = call(client, "GET", f"{T}/999999", dan)
    theirs = call(client, "GET", f"{T}/{made['id']}", dan)
    assert_problem(theirs, 404, "not_found")
    assert theirs.get_json() == missing.get_json()
    for action in ("confirm", "approve"):
        assert_problem(call(client, "POST", f"{T}/{made['id']}/{action}", dan), 404, "not_found")
    assert_problem(call(client, "GET", f"{T}?bank={world['a'].id}", dan), 404, "not_found")
    # An account of another bank in a body is "not found" too.
    body = exchange(world, receiver="bob")
    body["receiver_account"] = world["dan"].account.id
    assert call(client, "POST", T, world["tokens"]["alice"], json=body).status_code == 422
    # A coordinator of the bank sees it.
    assert call(client, "GET", f"{T}/{made['id']}", world["tokens"]["cora"]).status_code == 200


def test_reject_and_reverse_need_a_reason(client, session, world):
    tokens = world["tokens"]
    made = call(client, "POST", T, tokens["alice"], json=exchange(world)).get_json()
    assert_problem(
        call(client, "POST", f"{T}/{made['id']}/reject", tokens["bob"], json={"reason": " "}),
        422,
        "missing_reason",
    )
    rejected = call(
        client, "POST", f"{T}/{made['id']}/reject", tokens["bob"], json={"reason": "Not me"}
    )
    assert rejected.get_json()["status"] == "rejected"
    posted = call(
        client, "POST", T, tokens["cora"], json=exchange(world, giver="bob", receiver="alice")
    ).get_json()
    assert posted["status"] == "posted"
    assert (
        call(
            client, "POST", f"{T}/{posted['id']}/reverse", tokens["alice"], json={"reason": "x"}
        ).status_code
        == 403
    )
    reversal = call(
        client, "POST", f"{T}/{posted['id']}/reverse", tokens["cora"], json={"reason": "Typo"}
    )
    assert reversal.status_code == 201 and reversal.get_json()["reverses"] == posted["id"]
    assert_problem(
        call(client, "POST", f"{T}/{posted['id']}/reverse", tokens["cora"], json={"reason": "2"}),
        409,
        "already_reversed",
    )
    assert verify_ledger(session) == []


def test_lists_filter_and_page_by_keyset_with_link_headers(client, world):
    cora = world["tokens"]["cora"]
    ids = [
        call(
            client, "POST", T, cora, json=exchange(world, *("alice", "bob")[:: 1 - 2 * (i % 2)])
        ).get_json()["id"]
        for i in range(5)
    ]
    seen, url = [], f"{T}?bank={world['a'].id}&limit=2&status=posted"
    while url:
        page = call(client, "GET", url, cora)
        assert page.status_code == 200
        seen += [t["id"] for t in page.get_json()]
        link = page.headers.get("Link")
        url = link.split(">")[0].lstrip("<").replace("http://localhost", "") if link else None
    assert seen == sorted(ids, reverse=True)
    # Alice sees what touches her; Dan (another bank) nothing of it.
    mine = call(
        client, "GET", f"{T}?bank={world['a'].id}&from={YESTERDAY}", world["tokens"]["alice"]
    )
    assert len(mine.get_json()) == 5
    assert (
        call(client, "GET", f"{T}?bank={world['a'].id}", world["tokens"]["bob"]).get_json()
        == mine.get_json()
    )
    assert call(client, "GET", f"{T}?bank={world['a'].id}&status=nonsense", cora).status_code == 422


def test_a_group_exchange_posts_together_for_a_coordinator_only(client, session, world):
    body = {
        "bank": world["a"].id,
        "hub_account": world["alice"].account.id,
        "hub_gives": True,
        "participants": [
            {"account": world["bob"].account.id, "minutes": 60},
            {"account": world["cora"].account.id, "minutes": 30},
        ],
        "service_date": YESTERDAY.isoformat(),
        "description": "Workshop",
    }
    assert (
        call(
            client, "POST", "/api/v1/group-exchanges", world["tokens"]["alice"], json=body
        ).status_code
        == 403
    )
    made = call(client, "POST", "/api/v1/group-exchanges", world["tokens"]["cora"], json=body)
    assert made.status_code == 201
    assert len(made.get_json()["transfers"]) == 2 and made.get_json()["batch"]
    assert count(session) == 2
    # The hub would go past the floor: nothing is written.
    body["hub_gives"] = False
    body["participants"][0]["minutes"] = 600
    refused = call(client, "POST", "/api/v1/group-exchanges", world["tokens"]["cora"], json=body)
    assert refused.status_code == 422
    assert count(session) == 2
