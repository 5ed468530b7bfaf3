"""Every text field the API reads follows the forms' one text rule (issue 11, finding
5): no control characters, no text made only of invisible characters. The schemas are
found from the routes themselves, so a new endpoint or field cannot miss it."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError, fields

from tests.api.support import call, exchange
from timebank.api import schemas
from timebank.ledger.models import Transfer
from timebank.text_rules import CONTROL_MESSAGE, INVISIBLE_MESSAGE, visible_api_text

HOSTILE = {
    "\x00": CONTROL_MESSAGE,
    "Gardening\x00": CONTROL_MESSAGE,
    "\x1b[31mred": CONTROL_MESSAGE,
    "a\x7fb": CONTROL_MESSAGE,
    "\u200b\u200b": INVISIBLE_MESSAGE,
    "\u2060\u200d\u00a0": INVISIBLE_MESSAGE,
}


@pytest.fixture(autouse=True)
def in_a_request(app):
    """The messages are translated, so read in a request."""
    with app.test_request_context():
        yield


def argument_schemas(app) -> list[Schema]:
    """Every schema an API route reads its arguments with (query, path and body)."""
    found: dict[str, Schema] = {}
    for endpoint, view in app.view_functions.items():
        if not endpoint.startswith("api"):
            continue
        functions = [view]
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            functions = [getattr(view_class, method.lower()) for method in view_class.methods]
        for function in functions:
            for parameter in (
                getattr(function, "_apidoc", {}).get("arguments", {}).get("parameters", [])
            ):
                schema = parameter["schema"]
                schema = schema() if isinstance(schema, type) else schema
                found[type(schema).__name__] = schema
    return list(found.values())


def text_fields(schema: Schema):
    """(schema, the field's name in the request, the field) for every String field, in
    nested schemas and lists too."""
    for name, field in schema.fields.items():
        key = field.data_key or name
        inner = getattr(field, "inner", None)
        if isinstance(inner, fields.Nested):
            field = inner
        if isinstance(field, fields.Nested):
            yield from text_fields(field.schema)
        elif isinstance(field, fields.String) or isinstance(inner, fields.String):
            yield schema, key, field


def test_the_routes_read_with_strict_schemas_that_have_text_fields(app):
    found = argument_schemas(app)
    assert {"RecordTransfer", "Reason", "ListingFilters", "RecordGroupExchange"} <= {
        type(schema).__name__ for schema in found
    }
    assert all(isinstance(schema, schemas.StrictSchema) for schema in found)
    assert len([f for schema in found for f in text_fields(schema)]) >= 7


@pytest.mark.parametrize(("value", "message"), HOSTILE.items())
def test_every_text_field_of_every_api_schema_refuses_hidden_text(app, value, message):
    checked = 0
    for schema in argument_schemas(app):
        for owner, key, field in text_fields(schema):
            sent = [value] if isinstance(field, fields.List) else value
            with pytest.raises(ValidationError) as refused:
                owner.load({key: sent}, partial=True)
            errors = refused.value.messages[key]
            if isinstance(errors, dict):  # a list's errors are by position
                errors = errors[0]
            assert str(message) in errors, (type(owner).__name__, key, errors)
            checked += 1
    assert checked >= 7


def test_each_api_text_field_has_the_forms_own_rule_first_and_ordinary_text_passes(app):
    for schema in argument_schemas(app):
        for owner, key, field in text_fields(schema):
            text = getattr(field, "inner", field)
            assert text.validators[0] is visible_api_text, (type(owner).__name__, key)
    for value in ("Gardening\nwith Ann\r\n\tindented", "Cymraeg: ŵ ŷ", "a\u200bb", "", "   "):
        visible_api_text(value)  # raises nothing


def test_a_nul_in_a_description_is_a_field_error_and_nothing_is_written(client, session, world):
    alice = world["tokens"]["alice"]
    response = call(
        client, "POST", "/api/v1/transfers", alice, json=exchange(world, description="Help\x00")
    )
    assert response.status_code == 422
    assert {"field": "description", "message": str(CONTROL_MESSAGE)} in response.get_json()[
        "errors"
    ]
    assert session.query(Transfer).count() == 0
