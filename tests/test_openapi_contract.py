"""The served OpenAPI document, the docs page, /health, and a bounded schemathesis run.

The schemathesis run drives a fresh app in-process (ASGI) with generated requests and checks
that nothing answers 5xx and that every response matches the documented status' schema and
media type.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.experimental import OPEN_API_3_1
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from schemathesis.transports import RequestsTransport
from starlette_testclient import TestClient as ASGIClient

from kanbert.app import DOMAIN_ROUTERS, OPENAPI_PATH, create_app
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.settings import Settings

from recordkit import PLACEHOLDER, Records, build_records, rebuild
from support import API, Space, World

# Examples per operation: bounded for `make test`; a release check runs many more
# (CONTRIBUTING.md: KANBERT_FUZZ_EXAMPLES=1000).
FUZZ_EXAMPLES = int(os.environ.get("KANBERT_FUZZ_EXAMPLES", "25"))
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
CHECKS = (not_a_server_error, response_schema_conformance, content_type_conformance)

# The scope column of resources.md for the operations the server implements today; an
# operation missing here is still checked against its behaviour (test_required_scopes_...).
SPEC_SCOPES: dict[tuple[str, str], list[str]] = {
    ("GET", "/whoami"): [],
    ("GET", "/space"): [],
    ("GET", "/users"): [],
    ("GET", "/clients"): [],
    ("GET", "/clients/full"): ["client:read"],
    ("GET", "/clients/{}"): ["client:read"],
    ("POST", "/clients"): ["client:write"],
    ("PATCH", "/clients/{}"): ["client:write"],
    ("PUT", "/clients/{}/external-identifier"): ["client:write"],
    ("PUT", "/clients/{}/shortcode"): ["client:write"],
    ("DELETE", "/clients/{}"): ["client:write"],
    ("POST", "/clients/{}/restore"): ["client:write"],
    ("DELETE", "/clients/{}/force"): ["client:write"],
    ("POST", "/clients/{}/shares"): ["client:write"],
    ("DELETE", "/clients/{}/shares/{}"): ["client:write"],
    ("GET", "/users/{}"): [],
    ("POST", "/users"): ["user:write"],
    ("PATCH", "/users/{}"): ["user:write"],
    ("DELETE", "/users/{}"): ["user:write"],
    ("POST", "/users/{}/restore"): ["user:write"],
    ("GET", "/user-group"): ["user_group:read"],
    ("GET", "/user-group/{}"): ["user_group:read"],
    ("POST", "/user-group"): ["user_group:write"],
    ("PATCH", "/user-group/{}"): ["user_group:write"],
    ("DELETE", "/user-group/{}"): ["user_group:write"],
    ("PUT", "/user-group/{}/users/{}"): ["user_group:write"],
    ("DELETE", "/user-group/{}/users/{}"): ["user_group:write"],
    ("GET", "/custom-fields"): [],
    ("GET", "/custom-fields/{}"): [],
    ("POST", "/custom-fields"): ["settings:write"],
    ("PATCH", "/custom-fields/{}"): ["settings:write"],
    ("DELETE", "/custom-fields/{}"): ["settings:write"],
    ("POST", "/custom-fields/{}/restore"): ["settings:write"],
    ("GET", "/projects"): [],
    ("GET", "/projects/{}"): [],
    ("POST", "/projects"): ["project:write"],
    ("PATCH", "/projects/{}"): ["project:write"],
    ("DELETE", "/projects/{}"): ["project:write"],
    ("POST", "/projects/{}/restore"): ["project:write"],
    ("DELETE", "/projects/{}/force"): ["project:write"],
    ("PUT", "/projects/{}/team/{}"): ["project:write"],
    ("DELETE", "/projects/{}/team/{}"): ["project:write"],
    ("PUT", "/projects/{}/guests/{}"): ["project:write"],
    ("DELETE", "/projects/{}/guests/{}"): ["project:write"],
    ("GET", "/project-types"): [],
    ("POST", "/project-types"): ["settings:write"],
    ("PATCH", "/project-types/{}"): ["settings:write"],
    ("DELETE", "/project-types/{}"): ["settings:write"],
    ("GET", "/portfolios"): [],
    ("POST", "/portfolios"): ["settings:write"],
    ("PATCH", "/portfolios/{}"): ["settings:write"],
    ("DELETE", "/portfolios/{}"): ["settings:write"],
    ("GET", "/phase-types"): [],
    ("POST", "/phase-types"): ["settings:write"],
    ("PATCH", "/phase-types/{}"): ["settings:write"],
    ("DELETE", "/phase-types/{}"): ["settings:write"],
    ("GET", "/phase-groups"): [],
    ("POST", "/phase-groups"): ["settings:write"],
    ("PATCH", "/phase-groups/{}"): ["settings:write"],
    ("DELETE", "/phase-groups/{}"): ["settings:write"],
    ("GET", "/priority-options"): [],
    ("POST", "/priority-options"): ["settings:write"],
    ("PATCH", "/priority-options/{}"): ["settings:write"],
    ("DELETE", "/priority-options/{}"): ["settings:write"],
    ("GET", "/effort-types"): [],
    ("POST", "/effort-types"): ["settings:write"],
    ("PATCH", "/effort-types/{}"): ["settings:write"],
    ("DELETE", "/effort-types/{}"): ["settings:write"],
    ("GET", "/projects/{}/phases"): [],
    ("POST", "/projects/{}/phases"): ["project:write"],
    ("GET", "/phases/{}"): [],
    ("PATCH", "/phases/{}"): ["project:write"],
    ("DELETE", "/phases/{}"): ["project:write"],
    ("GET", "/projects/{}/milestones"): [],
    ("POST", "/projects/{}/milestones"): ["project:write"],
    ("GET", "/milestones/{}"): [],
    ("PATCH", "/milestones/{}"): ["project:write"],
    ("DELETE", "/milestones/{}"): ["project:write"],
    ("GET", "/projects/{}/epics"): [],
    ("POST", "/projects/{}/epics"): ["project:write"],
    ("GET", "/epics/{}"): [],
    ("PATCH", "/epics/{}"): ["project:write"],
    ("DELETE", "/epics/{}"): ["project:write"],
    ("GET", "/tasks"): ["task-management:read"],
    ("GET", "/tasks/{}"): ["task-management:read"],
    ("POST", "/tasks"): ["task-management:write"],
    ("PATCH", "/tasks/{}"): ["task-management:write"],
    ("DELETE", "/tasks/{}"): ["task-management:write"],
    ("POST", "/tasks/{}/restore"): ["task-management:write"],
    ("DELETE", "/tasks/{}/force"): ["task-management:write"],
    ("PUT", "/tasks/{}/watchers/{}"): ["task-management:write"],
    ("DELETE", "/tasks/{}/watchers/{}"): ["task-management:write"],
    ("POST", "/tasks/comments"): ["task-management:write"],
    ("GET", "/tasks/{}/comments"): ["task-management:read"],
    ("GET", "/tasks/comments/{}"): ["task-management:read"],
    ("PATCH", "/tasks/comments/{}"): ["task-management:write"],
    ("DELETE", "/tasks/comments/{}"): ["task-management:write"],
    ("GET", "/efforts"): ["efforts:read"],
    ("GET", "/efforts/summary"): ["efforts:read"],
    ("GET", "/efforts/{}"): ["efforts:read"],
    ("POST", "/efforts"): ["efforts:write"],
    ("PATCH", "/efforts/{}"): ["efforts:write"],
    ("DELETE", "/efforts/{}"): ["efforts:write"],
    ("GET", "/tokens"): ["integration"],
    ("POST", "/tokens"): ["integration"],
    ("GET", "/tokens/{}"): ["integration"],
    ("DELETE", "/tokens/{}"): ["integration"],
    ("GET", "/webhooks"): ["integration"],
    ("POST", "/webhooks"): ["integration"],
    ("GET", "/webhooks/{}"): ["integration"],
    ("PATCH", "/webhooks/{}"): ["integration"],
    ("DELETE", "/webhooks/{}"): ["integration"],
    ("POST", "/webhooks/{}/rotate-secret"): ["integration"],
    ("POST", "/webhooks/{}/ping"): ["integration"],
    ("GET", "/webhooks/{}/deliveries"): ["integration"],
    ("GET", "/webhooks/{}/deliveries/{}"): ["integration"],
    ("POST", "/webhooks/{}/deliveries/{}/redeliver"): ["integration"],
}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _generic(path: str) -> str:
    """`/api/v1/clients/{client_id}` → `/clients/{}`, the spelling of SPEC_SCOPES."""
    return re.sub(r"\{[^}]+\}", "{}", path.removeprefix(API))


@pytest.fixture(scope="module")
def document(world: World) -> dict[str, Any]:
    response = world.client.get(OPENAPI_PATH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


# --- the document ------------------------------------------------------------------------------


def test_openapi_document_is_3_1_and_lists_every_operation(
    world: World, document: dict[str, Any]
) -> None:
    assert document["openapi"].startswith("3.1"), document["openapi"]
    assert document["info"]["title"] and document["info"]["version"]
    bearer = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer"), bearer
    assert document["security"] == [{"bearerAuth": []}]
    documented = {(method, path) for method, path, _ in _operations(document)}
    assert documented, "no operations documented"
    assert all(path.startswith(f"{API}/") for _, path in documented), documented
    # Every routed operation under /api/v1 is in the document, and nothing else is.
    routes = [route for router in DOMAIN_ROUTERS for route in router.routes]
    routes += list(world.app.router.routes)
    routed = {
        (method, route.path if route.path.startswith(API) else f"{API}{route.path}")
        for route in routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    assert routed == documented
    # Every operation the spec lists (and the server implements) is there.
    generic = {(method, _generic(path)) for method, path in documented}
    assert set(SPEC_SCOPES) <= generic, set(SPEC_SCOPES) - generic
    # Unique operation ids; every operation documents its success response.
    ids = [operation.get("operationId") for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids)), ids
    for method, path, operation in _operations(document):
        assert any(code.startswith("2") for code in operation["responses"]), (method, path)


BINARY = {"type": "string", "format": "binary"}


def test_success_responses_document_their_bodies(document: dict[str, Any]) -> None:
    """A 2xx with a body names its schema; `{"type": "string"}` would tell clients nothing."""
    schemas = document["components"]["schemas"]
    wrong = []
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("2") or status == "204":
                continue
            content = response.get("content", {})
            if (
                "application/json" not in content
                and content
                and all(media.get("schema") == BINARY for media in content.values())
            ):
                continue  # a file download: the body is the file's bytes, documented as binary
            schema = content.get("application/json", {}).get("schema", {})
            reference = schema.get("$ref", "")
            name = reference.removeprefix("#/components/schemas/")
            if not reference.startswith("#/components/schemas/") or name not in schemas:
                wrong.append(f"{method} {path} {status}: {schema}")
    assert not wrong, "2xx responses without a documented body schema:\n" + "\n".join(wrong)


def test_operations_document_their_required_scopes(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        scopes = operation.get("x-required-scopes", [])
        assert isinstance(scopes, list), (method, path, scopes)
        assert all(scope in ALL_SCOPES for scope in scopes), (method, path, scopes)
        expected = SPEC_SCOPES.get((method, _generic(path)))
        if expected is not None:
            assert scopes == expected, (method, path, scopes, expected)
        if scopes:
            assert operation.get("security") == [{"bearerAuth": scopes}], (method, path)
            assert "403" in operation["responses"], (method, path)
        assert "401" in operation["responses"], (method, path)


def test_required_scopes_match_behaviour(document: dict[str, Any], space: Space) -> None:
    """A token without scopes gets 403 naming the first required scope, and only then."""
    nobody = space.token([])
    for method, path, operation in _operations(document):
        url = re.sub(r"\{[^}]+\}", "does-not-exist", path.removeprefix(API))
        response = nobody.request(method, url)
        scopes = operation.get("x-required-scopes", [])
        if scopes:
            assert response.status_code == 403, (method, path, response.text)
            message = f"This action requires the scope {scopes[0]}."
            assert response.json() == {"message": message}, (method, path)
        else:
            assert response.status_code != 403, (method, path, response.text)
            assert "requires the scope" not in response.text, (method, path)


# --- docs and health ---------------------------------------------------------------------------


def test_docs_page_uses_only_same_server_assets(world: World) -> None:
    response = world.client.get("/docs")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # No absolute URL at all: nothing is fetched from another host (CDNs, fonts, analytics).
    assert not re.search(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    references += re.findall(r"""\burl\s*:\s*["']([^"']+)["']""", html)
    assert OPENAPI_PATH in references, references
    assert any(ref.endswith(".js") for ref in references), references
    assert any(ref.endswith(".css") for ref in references), references
    for reference in references:
        parts = urlsplit(reference)
        assert not parts.scheme and not parts.netloc, reference
        asset = world.client.get(reference)
        assert asset.status_code == 200, (reference, asset.status_code)
        assert asset.content, reference


def test_health(world: World) -> None:
    response = world.client.get("/health")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok", "database": "up"}


# --- schemathesis ------------------------------------------------------------------------------


class FuzzRecords:
    """Real records for the generated requests to act on: after a DELETE operation, the
    records it named (and those made under them) are made again before the next operation."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.records: Records | None = None
        self.spent_by: str | None = None  # the deleting operation that used the records

    def for_operation(self, name: str) -> Records:
        if self.records is None:
            self.records = build_records(self.world)
        elif self.spent_by is not None and self.spent_by != name:
            rebuild(self.records, self.deleted_by(self.spent_by))
            self.spent_by = None
        if name.startswith("DELETE "):
            self.spent_by = name
        return self.records

    def deleted_by(self, name: str) -> set[str]:
        """Every record a DELETE operation names in its path, bar the space: no operation
        deletes a space (`{space_id}` names the target of a client's share)."""
        assert self.records is not None
        template = name.split(" ", 1)[1]
        named = PLACEHOLDER.findall(template)
        kinds = {self.records.record_for(template, parameter) for parameter in named}
        return kinds - {"space"}


@pytest.fixture(scope="module")
def fuzz_records(world: World) -> FuzzRecords:
    return FuzzRecords(world)


@pytest.fixture(scope="module")
def api_schema(settings: Settings) -> Any:
    OPEN_API_3_1.enable()
    # A fresh app: the session app's engine lives on the session client's event loop, while
    # the generated calls run on the loop of their own client (asgi_client).
    return schemathesis.from_asgi(OPENAPI_PATH, create_app(settings))


@pytest.fixture(scope="module")
def asgi_client(api_schema: Any) -> Iterator[requests.Session]:
    """One in-process client for every generated call. `case.call_asgi` opens a client per
    call, starting and stopping the app's lifespan (engine, workers) around each of ~7,800
    calls: most of this test's time, and no part of what it checks."""
    with ASGIClient(api_schema.app) as client:
        yield client


def call(case: Any, client: requests.Session, headers: dict[str, str]) -> requests.Response:
    """`case.call_asgi(headers=headers)` on the module's client."""
    client.cookies.clear()  # each call stands alone, as on a client of its own
    base_url = case.get_full_base_url()
    return RequestsTransport().send(case, session=client, base_url=base_url, headers=headers)


schema = schemathesis.from_pytest_fixture(
    "api_schema",
    data_generation_methods=[
        schemathesis.DataGenerationMethod.positive,
        schemathesis.DataGenerationMethod.negative,
    ],
)


@schema.parametrize()
@hypothesis_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory left in the work tree
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_openapi(
    case: Any, fuzz_records: FuzzRecords, asgi_client: requests.Session
) -> None:
    template = case.operation.path.removeprefix(API)
    records = fuzz_records.for_operation(f"{case.method.upper()} {template}")
    headers = records.space.api.headers()
    response = call(case, asgi_client, headers)
    case.validate_response(response, checks=CHECKS)
    if case.path_parameters:
        # Generated ids are never found: the same request (same body, query and headers) is
        # sent once more with every path parameter naming a real record of the right kind,
        # so each operation's success and validation answers are fuzzed too, not only 404s.
        case.path_parameters = {
            name: records.ids[records.record_for(template, name)] for name in case.path_parameters
        }
        response = call(case, asgi_client, headers)
        case.validate_response(response, checks=CHECKS)
