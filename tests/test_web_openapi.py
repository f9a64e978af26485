"""Tests for hpcapi/openapi.json and its route (hpcapi/web/openapi.py).

The document is hand-written; these tests keep it honest: it is valid OpenAPI, it describes
exactly the app's routes and methods, its error-code enum is exactly the catalogue, its examples
fit its schemas, and answers of the real app (over the fake slurmrestd) fit it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import REPO_ROOT
from flask import Flask
from flask.testing import FlaskClient

from hpcapi.errors import ErrorCode

openapi_spec_validator = pytest.importorskip("openapi_spec_validator")
openapi_schema_validator = pytest.importorskip("openapi_schema_validator")

DOCUMENT_PATH = REPO_ROOT / "hpcapi" / "openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Werkzeug adds these to every rule; they are not part of the API.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
_FLASK_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The OpenAPI document as shipped in the package."""
    loaded: dict[str, Any] = json.loads(Path(DOCUMENT_PATH).read_text(encoding="utf-8"))
    return loaded


def server_prefix(document: dict[str, Any]) -> str:
    """The path every described path is relative to (the first server's)."""
    return urlsplit(document["servers"][0]["url"]).path.rstrip("/")


def described_routes(document: dict[str, Any]) -> dict[str, set[str]]:
    """Every described path (with the server prefix) and its methods."""
    prefix = server_prefix(document)
    return {
        prefix + path: {method.upper() for method in item if method in HTTP_METHODS}
        for path, item in document["paths"].items()
    }


def flask_routes(app: Flask) -> dict[str, set[str]]:
    """Every route of the app, in OpenAPI's path syntax, and its methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _FLASK_VARIABLE.sub(r"{\1}", rule.rule)
        routes.setdefault(path, set()).update(set(rule.methods or ()) - IMPLICIT_METHODS)
    return routes


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every described operation."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (repeatedly) to the object it names."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_against(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    """Validate ``instance`` against an OpenAPI 3.0 schema of the document (refs resolved)."""
    wrapped = {"allOf": [schema], "components": document["components"]}
    openapi_schema_validator.validate(
        instance,
        wrapped,
        cls=openapi_schema_validator.OAS30Validator,
        format_checker=openapi_schema_validator.oas30_format_checker,
    )


def response_schema(document: dict[str, Any], path: str, method: str, status: int) -> Any:
    """The JSON schema of one described response."""
    operation = document["paths"][path][method]
    response = resolve(document, operation["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


# --- the document itself ------------------------------------------------------------------------


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    openapi_spec_validator.validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_is_described_and_every_described_route_exists(
    app: Flask, document: dict[str, Any]
) -> None:
    routes = flask_routes(app)
    described = described_routes(document)
    undescribed = {path: methods for path, methods in routes.items() if path not in described}
    missing = {path: methods for path, methods in described.items() if path not in routes}
    assert not undescribed, f"routes the document does not describe: {undescribed}"
    assert not missing, f"described paths the app does not route: {missing}"
    for path, methods in routes.items():
        assert described[path] == methods, f"{path}: app {methods}, document {described[path]}"


def test_reason_enum_is_exactly_the_error_catalogue(document: dict[str, Any]) -> None:
    failure = document["components"]["schemas"]["Failure"]
    reason = resolve(document, failure["properties"]["reason"])
    enum = reason["enum"]
    assert len(enum) == len(set(enum)), "a code is listed twice"
    catalogue = {code.code for code in ErrorCode}
    assert set(enum) - catalogue == set(), "codes the server no longer has"
    assert catalogue - set(enum) == set(), "codes the document does not list"
    assert failure["required"] == ["status", "reason", "message"]


def test_every_error_response_is_a_failure_with_a_status_some_code_has(
    document: dict[str, Any],
) -> None:
    statuses = {code.http_status for code in ErrorCode}
    failure_ref = "#/components/schemas/Failure"
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = resolve(document, response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": failure_ref}, f"{method} {path} {status}"
            assert int(status) in statuses, f"{method} {path} {status}: no code answers it"


def test_operations_have_ids_and_public_ones_are_only_health_and_the_document(
    document: dict[str, Any],
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert document["security"] == [{"negotiate": []}]
    scheme = document["components"]["securitySchemes"]["negotiate"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "negotiate")
    public = {path for path, _, op in operations(document) if op.get("security") == []}
    assert public == {"/health", "/health/live", "/health/ready", "/metrics", "/openapi.json"}
    for path, _, operation in operations(document):
        if path not in public:
            assert "401" in operation["responses"], path
            assert "403" in operation["responses"], path


def test_examples_fit_their_schemas(document: dict[str, Any]) -> None:
    checked = 0
    for _, _, operation in operations(document):
        bodies = [operation.get("requestBody", {})]
        bodies += [resolve(document, r) for r in operation["responses"].values()]
        for body in bodies:
            for media in body.get("content", {}).values():
                examples = [e["value"] for e in media.get("examples", {}).values()]
                examples += [media["example"]] if "example" in media else []
                for example in examples:
                    check_against(document, media["schema"], example)
                    checked += 1
    for name, schema in document["components"]["schemas"].items():
        if "example" in schema:
            check_against(document, {"$ref": f"#/components/schemas/{name}"}, schema["example"])
            checked += 1
    assert checked > 20


def test_submit_request_schema_names_the_same_fields_as_the_server(
    document: dict[str, Any],
) -> None:
    from hpcapi.core.submit import FIELDS

    properties = document["components"]["schemas"]["SubmitRequest"]["properties"]
    # The document may describe fields before the server has them, never the other way round.
    assert set(FIELDS) <= set(properties)


# --- the route and real answers -----------------------------------------------------------------


def test_served_document_is_the_file_without_authentication(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    response = client.get("/hpcapi/openapi.json", principal=None)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json() == document
    assert response.get_data() == DOCUMENT_PATH.read_bytes()


def test_document_route_refuses_other_methods(client: FlaskClient) -> None:
    response = client.post("/hpcapi/openapi.json", principal=None)
    assert response.status_code == 405
    assert response.get_json()["reason"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/whoami", 200), ("/ping", 200), ("/health", 200), ("/query_status?hours=0", 400)],
)
def test_answers_of_the_app_fit_the_document(
    client: FlaskClient, document: dict[str, Any], path: str, status: int
) -> None:
    response = client.get(server_prefix(document) + path)
    assert response.status_code == status, response.get_data(as_text=True)
    schema = response_schema(document, path.split("?")[0], "get", status)
    check_against(document, schema, response.get_json())


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"partition": "norm"}, 400),
        ({"partition": "norm", "script-body": "#!/bin/bash\n", "nope": 1}, 400),
        ("not an object", 400),
    ],
)
def test_submit_refusals_fit_the_document(
    client: FlaskClient, document: dict[str, Any], body: Any, status: int
) -> None:
    response = client.post(server_prefix(document) + "/submit_job", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    check_against(
        document, response_schema(document, "/submit_job", "post", status), response.get_json()
    )


def test_unauthenticated_answer_fits_the_document(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    response = client.get(server_prefix(document) + "/whoami", principal=None)
    assert response.status_code == 401
    check_against(document, response_schema(document, "/whoami", "get", 401), response.get_json())
