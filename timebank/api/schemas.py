"""The API's marshmallow schemas: what each resource looks like and what each request
may send (unknown fields in a body are refused). Times are whole minutes, dates ISO
8601, timestamps naive UTC."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from timebank.text_rules import visible_api_text


def _id(**kwargs):
    return fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kwargs)


def Timestamp(**kwargs):
    """A timestamp with its offset (RFC 3339); ``shapes.utc`` marks the stored naive
    UTC values as UTC."""
    return fields.AwareDateTime(**kwargs)


class StrictSchema(Schema):
    """What a request may send: unknown fields are refused, and every text field (a
    ``String``, or a list of them) follows the one text rule of the forms
    (``timebank.text_rules``), added here so that no field can forget it."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        for field in (field_obj, getattr(field_obj, "inner", None)):
            if isinstance(field, fields.String) and visible_api_text not in field.validators:
                field.validators = [visible_api_text, *field.validators]


# --- what the API answers -------------------------------------------------------------


class BankSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    role = fields.String(required=True, metadata={"description": "member, coordinator or partner"})
    kind = fields.String(required=True, metadata={"description": "participant or professional"})
    account = fields.Integer(allow_none=True, required=True)
    membership = fields.Integer(required=True)


class MeSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    preferred_locale = fields.String(allow_none=True, required=True)
    token_scope = fields.String(required=True)
    token_expires_at = Timestamp(required=True)
    banks = fields.List(fields.Nested(BankSchema), required=True)


class ProfileSchema(Schema):
    membership = fields.Integer(required=True)
    bank = fields.Integer(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True)
    kind = fields.String(required=True)
    offers_text = fields.String(required=True)
    needs_text = fields.String(required=True)
    availability = fields.String(required=True)
    area = fields.String(required=True)
    contact_preference = fields.String(required=True)
    consent_reporting = fields.Boolean(required=True)
    consent_research = fields.Boolean(required=True)
    skills = fields.List(fields.String(), required=True)


class MemberSchema(Schema):
    membership = fields.Integer(required=True)
    bank = fields.Integer(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    account = fields.Integer(allow_none=True, required=True)
    joined_at = Timestamp(required=True)


class AccountSchema(Schema):
    id = fields.Integer(required=True)
    bank = fields.Integer(required=True)
    kind = fields.String(required=True)
    holder = fields.String(required=True, metadata={"description": "who holds it, by name"})
    balance = fields.Integer(required=True, metadata={"description": "posted, in minutes"})
    posted_credits = fields.Integer(required=True)
    posted_debits = fields.Integer(required=True)
    pending_credits = fields.Integer(required=True)
    pending_debits = fields.Integer(required=True)


class StatementLineSchema(Schema):
    transfer = fields.Integer(required=True)
    service_date = fields.Date(required=True)
    kind = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(allow_none=True, required=True)
    counterpart = fields.String(required=True)
    counterpart_kind = fields.String(required=True)
    minutes = fields.Integer(required=True, metadata={"description": "+ credited, - debited"})
    running_balance = fields.Integer(allow_none=True, required=True)
    reverses = fields.Integer(allow_none=True, required=True)


class StatementSchema(Schema):
    account = fields.Integer(required=True)
    start = fields.Date(allow_none=True, required=True)
    end = fields.Date(allow_none=True, required=True)
    opening_balance = fields.Integer(required=True)
    closing_balance = fields.Integer(required=True)
    lines = fields.List(fields.Nested(StatementLineSchema), required=True)


class TransferSchema(Schema):
    id = fields.Integer(required=True)
    bank = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, posted, rejected"})
    giver_account = fields.Integer(required=True)
    receiver_account = fields.Integer(required=True)
    minutes = fields.Integer(required=True)
    service_date = fields.Date(required=True)
    description = fields.String(required=True)
    category = fields.String(allow_none=True, required=True)
    needs_confirmation = fields.Boolean(required=True)
    needs_approval = fields.Boolean(required=True)
    recorded_at = Timestamp(required=True)
    confirmed_at = Timestamp(allow_none=True, required=True)
    approved_at = Timestamp(allow_none=True, required=True)
    rejected_at = Timestamp(allow_none=True, required=True)
    posted_at = Timestamp(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    reverses = fields.Integer(allow_none=True, required=True)
    batch = fields.String(allow_none=True, required=True)


class GroupExchangeSchema(Schema):
    batch = fields.String(required=True)
    transfers = fields.List(fields.Nested(TransferSchema), required=True)


class ListingSchema(Schema):
    id = fields.Integer(required=True)
    bank = fields.Integer(required=True)
    membership = fields.Integer(required=True)
    author = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "offer or request"})
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    expires_on = fields.Date(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class ReportSchema(Schema):
    """The reciprocity report (or the network view) as JSON: each number is a number,
    ``null`` where it is not defined, or ``{"suppressed": "small"|"derivable"}`` where a
    partner may not see it, never 0."""

    audience = fields.String(required=True)
    banks = fields.List(fields.Dict(), required=True)
    period = fields.Dict(required=True)
    threshold = fields.Integer(required=True)
    generated_at = Timestamp(required=True)
    sections = fields.Dict(required=True)


# --- what a request may send ----------------------------------------------------------


class BankQuery(StrictSchema):
    bank = _id(required=True, metadata={"description": "the time bank's id"})


class PageQuery(StrictSchema):
    after = _id(
        metadata={"description": "keyset cursor: the members after this membership, by name"}
    )


class TransferFilters(StrictSchema):
    bank = _id(required=True)
    status = fields.String(validate=validate.OneOf(["pending", "posted", "rejected"]))
    kind = fields.String(
        validate=validate.OneOf(
            ["exchange", "group", "donation", "grant", "reversal", "opening_balance"]
        )
    )
    account = _id()
    service_date_from = fields.Date(data_key="from")
    service_date_to = fields.Date(data_key="to")
    after = _id(metadata={"description": "keyset cursor: transfers with a lower id"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class StatementQuery(StrictSchema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class ListingFilters(StrictSchema):
    bank = _id(required=True)
    kind = fields.String(validate=validate.OneOf(["offer", "request"]))
    words = fields.String(validate=validate.Length(max=100))
    after = _id(metadata={"description": "keyset cursor: the listings older than this one"})


class RecordTransfer(StrictSchema):
    bank = _id(required=True)
    giver_account = _id(required=True)
    receiver_account = _id(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=-(2**31), max=2**31 - 1))
    service_date = fields.Date(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    listing = _id(load_default=None, allow_none=True)


class Reason(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(max=5000))


class GroupParticipant(StrictSchema):
    account = _id(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=-(2**31), max=2**31 - 1))


class RecordGroupExchange(StrictSchema):
    bank = _id(required=True)
    hub_account = _id(required=True)
    hub_gives = fields.Boolean(required=True)
    participants = fields.List(
        fields.Nested(GroupParticipant), required=True, validate=validate.Length(min=1, max=500)
    )
    service_date = fields.Date(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class ReportQuery(StrictSchema):
    bank = _id(metadata={"description": "one bank; without it, all the caller's banks"})
    start = fields.Date(data_key="from", required=True)
    end = fields.Date(data_key="to", required=True)


class FieldErrorSchema(Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details; ``type`` is ``urn:timebank:problem:<code>``."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    field = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
