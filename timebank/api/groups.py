"""Group exchanges (coordinators, as on their pages): one giver to many (a workshop)
or many givers to one (a working party), posted together or not at all."""

from __future__ import annotations

from flask_smorest import Blueprint

from timebank.api import shapes
from timebank.api.access import coordinator_in
from timebank.api.idempotency import Written, run_write
from timebank.api.schemas import GroupExchangeSchema, RecordGroupExchange, TransferSchema
from timebank.api.transfers import IDEMPOTENCY_KEY, WRITE_ERRORS, _account_in
from timebank.extensions import db
from timebank.ledger.group import record_group_exchange

blp = Blueprint(
    "api_groups",
    __name__,
    url_prefix="/api/v1/group-exchanges",
    description="Group exchanges (coordinators).",
)


@blp.route("", methods=["POST"])
@blp.arguments(RecordGroupExchange)
@blp.response(201, GroupExchangeSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY], responses=WRITE_ERRORS)
def record(body):
    """Record one transfer between ``hub_account`` and each participant (each with
    their own minutes), all or nothing. ``hub_gives``: the hub gave time to everyone."""
    membership = coordinator_in(body["bank"])
    bank_id = membership.time_bank_id

    def work() -> Written:
        hub = _account_in(bank_id, body["hub_account"], "hub_account")
        participants = [
            (_account_in(bank_id, p["account"], "participants"), p["minutes"])
            for p in body["participants"]
        ]
        done = record_group_exchange(
            db.session(),
            actor=membership,
            hub=hub,
            hub_gives=body["hub_gives"],
            participants=participants,
            service_date=body["service_date"],
            description=body["description"],
            category=body["category"],
        )
        return Written(
            {
                "batch": done[0].batch_id,
                "transfers": [TransferSchema().dump(shapes.transfer(t)) for t in done],
            },
            201,
        )

    return run_write(work, field_names={"counterpart": "participants"})
