"""The OpenAPI description is valid OpenAPI 3 and describes every route under
/api/v1; the documentation page lists every operation."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

OPEN = {"/api/v1/openapi.json", "/api/v1/docs"}


def _spec_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_the_description_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"


def test_every_api_route_is_in_the_description_with_its_methods(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule not in OPEN:
            routes.setdefault(_spec_path(rule.rule), set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}
            )
    assert routes
    for path, methods in routes.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), path
    # Every write says it needs an Idempotency-Key; every error is problem+json.
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "post":
                names = [p["name"] for p in op.get("parameters", [])]
                assert "Idempotency-Key" in names, path
    for name, response in spec["components"]["responses"].items():
        if "content" in response:
            assert list(response["content"]) == ["application/problem+json"], name


def test_the_documentation_page_lists_every_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method in set(item) - {"parameters"}:
            assert f"{method.upper()} {path}" in html
    assert "urn:timebank:problem:below_floor" in html
    welsh = client.get("/api/v1/docs", headers={"Accept-Language": "cy"})
    assert 'lang="cy"' in welsh.get_data(as_text=True)
