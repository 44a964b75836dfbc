"""Transport-level errors (spec README §6) and Idempotency-Key (README §2).

Every error leaves the server as JSON with a human `message`, never as HTML or plain text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import create_app
from kanbert.auth.models import ApiToken
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.auth.tokens import hash_token
from kanbert.kit.timefmt import utcnow
from kanbert.settings import Settings

from support import API, Api, Space, World

UNAUTHENTICATED = {"message": "Unauthenticated."}
NOT_FOUND = {"message": "Not found."}
INVALID = "The given data was invalid."
JSON_HEADERS = {"Content-Type": "application/json"}


def error_body(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON error body of `response`, after checking status, media type and `message`."""
    assert response.status_code == status, (response.status_code, response.text)
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert media_type == "application/json", (media_type, response.text)
    assert "<html" not in response.text.lower()
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("message"), str), body
    assert body["message"].strip(), body
    return body


def client_names(api: Api) -> list[str]:
    return [row["name"] for row in api.walk("/clients")]


# --- routing: 404, 405 -------------------------------------------------------------------------


def test_unknown_route_is_json_404(world: World, space: Space) -> None:
    for path in (f"{API}/no-such-thing", f"{API}/clients/abc/def/ghi", "/no-such-thing"):
        assert error_body(world.client.get(path), 404) == NOT_FOUND
        assert error_body(world.client.get(path, headers=space.api.headers()), 404) == NOT_FOUND


def test_wrong_method_is_json_405(world: World, space: Space) -> None:
    response = space.api.put("/clients", json={"name": "x"})
    body = error_body(response, 405)
    assert set(body) == {"message"}
    # RFC 9110 §15.5.6: Allow lists every method of the resource, not just the first route's.
    allowed = {m.strip() for m in response.headers.get("allow", "").split(",")}
    assert {"GET", "POST"} <= allowed, response.headers
    allowed = {m.strip() for m in space.api.get("/clients/abc/force").headers["allow"].split(",")}
    assert allowed == {"DELETE"}
    error_body(space.api.request("PATCH", "/whoami"), 405)
    error_body(world.client.delete(f"{API}/clients"), 405)  # also without a token


# --- bodies: 400, 415, 413 ---------------------------------------------------------------------


def test_malformed_json_body_is_400(space: Space) -> None:
    for raw in (b'{"name": ', b"{bad json}", b'{"name": "x",}', b"\xff\xfe"):
        response = space.api.post("/clients", content=raw, headers=JSON_HEADERS)
        body = error_body(response, 400)
        assert "json" in body["message"].lower(), body
    assert client_names(space.api) == []


def test_wrong_content_type_is_415(space: Space) -> None:
    for content_type, raw in (
        ("text/plain", b'{"name": "Acme"}'),
        ("text/plain; charset=utf-8", b"name=Acme"),
        ("application/x-www-form-urlencoded", b"name=Acme"),
    ):
        response = space.api.post("/clients", content=raw, headers={"Content-Type": content_type})
        error_body(response, 415)
    assert client_names(space.api) == []


def test_body_without_content_type_is_415(space: Space) -> None:
    # httpx sends raw `content` with no Content-Type at all.
    response = space.api.post("/clients", content=b'{"name": "Acme"}')
    assert "content-type" not in {k.lower() for k in response.request.headers}
    error_body(response, 415)
    # No body and no Content-Type: the body is simply missing.
    body = error_body(space.api.post("/clients"), 422)
    assert body["message"] == INVALID and "body" in body["errors"], body
    assert client_names(space.api) == []


def test_accept_without_json_is_406(space: Space) -> None:
    for accept in (
        "text/html",
        "text/html, application/xhtml+xml",
        "image/png",
        "application/json;q=0, text/html",  # q=0: explicitly not acceptable
        "*/*; q=0",
    ):
        error_body(space.api.get("/clients", headers={"Accept": accept}), 406)
        error_body(space.api.post("/clients", json={"name": "x"}, headers={"Accept": accept}), 406)
    assert client_names(space.api) == []
    for accept in (
        "application/json",
        "*/*",
        "text/html, application/json;q=0.9",
        "application/*",
        "application/vnd.api+json",
    ):
        response = space.api.get("/clients", headers={"Accept": accept})
        assert response.status_code == 200, (accept, response.text)


def test_body_over_the_limit_is_413(world: World, space: Space) -> None:
    limit = world.app.state.settings.max_body_bytes
    assert limit == 1024 * 1024
    # Valid JSON, so only the size can be the problem.
    too_big = b'{"name": "' + b"a" * limit + b'"}'
    response = space.api.post("/clients", content=too_big, headers=JSON_HEADERS)
    assert "content-length" in {k.lower() for k in response.request.headers}
    error_body(response, 413)

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(limit // 65536 + 1):
            yield b"a" * 65536
        yield b'"}'

    streamed = space.api.post("/clients", content=chunks(), headers=JSON_HEADERS)
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    error_body(streamed, 413)
    assert client_names(space.api) == []

    # A body just under the limit is accepted (then fails validation on its content, not size).
    just_under = b'{"name": "' + b"a" * (limit - 20) + b'"}'
    assert len(just_under) <= limit
    error_body(space.api.post("/clients", content=just_under, headers=JSON_HEADERS), 422)


def test_streamed_body_over_the_limit_does_not_consume_the_idempotency_key(space: Space) -> None:
    limit = space.world.app.state.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(limit // 65536 + 1):
            yield b"a" * 65536
        yield b'"}'

    key = {"Idempotency-Key": "big-then-small"}
    error_body(space.api.post("/clients", content=chunks(), headers={**JSON_HEADERS, **key}), 413)
    retried = space.api.post("/clients", json={"name": "Small"}, headers=key)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers


# --- authentication: 401 -----------------------------------------------------------------------


def _set_token(world: World, secret: str, **values: Any) -> None:
    async def change(session: AsyncSession) -> None:
        await session.execute(
            update(ApiToken).where(ApiToken.token_hash == hash_token(secret)).values(**values)
        )

    world.run(change)


def assert_unauthenticated(response: httpx.Response) -> None:
    assert error_body(response, 401) == UNAUTHENTICATED
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_missing_or_malformed_token_is_401(world: World, space: Space) -> None:
    secret = space.api.token
    assert secret is not None
    assert_unauthenticated(world.client.get(f"{API}/whoami"))
    assert_unauthenticated(world.client.post(f"{API}/clients", json={"name": "x"}))
    for header in (
        "",
        "Bearer",
        "Bearer ",
        f"Basic {secret}",
        f"Token {secret}",
        secret,
        f"Bearer {secret[4:]}",  # without the kbt_ prefix
        f"Bearer {secret}{'x' * 300}",
        "Bearer kbt_",
    ):
        response = world.client.get(f"{API}/whoami", headers={"Authorization": header})
        assert_unauthenticated(response)
    # The scheme is case-insensitive (RFC 9110 §11.1).
    ok = world.client.get(f"{API}/whoami", headers={"Authorization": f"bearer {secret}"})
    assert ok.status_code == 200, ok.text


def test_unknown_token_is_401(world: World) -> None:
    fake = "kbt_" + "A" * 43
    response = world.client.get(f"{API}/whoami", headers={"Authorization": f"Bearer {fake}"})
    assert_unauthenticated(response)


def test_revoked_token_is_401(world: World, space: Space) -> None:
    api = space.token(ALL_SCOPES, name="to revoke")
    assert api.get("/whoami").status_code == 200
    assert api.token is not None
    _set_token(world, api.token, revoked_at=utcnow())
    assert_unauthenticated(api.get("/whoami"))
    assert_unauthenticated(api.post("/clients", json={"name": "x"}))
    assert space.api.get("/whoami").status_code == 200  # other tokens are unaffected


def test_expired_token_is_401(world: World, space: Space) -> None:
    api = space.token(ALL_SCOPES, name="to expire")
    assert api.token is not None
    _set_token(world, api.token, expires_at=utcnow() + timedelta(hours=1))
    assert api.get("/whoami").status_code == 200  # not yet expired
    _set_token(world, api.token, expires_at=utcnow() - timedelta(seconds=1))
    assert_unauthenticated(api.get("/whoami"))
    assert_unauthenticated(api.get("/clients"))


# --- authorisation: 403 ------------------------------------------------------------------------


def test_missing_scope_is_403_naming_the_scope(space: Space) -> None:
    reader = space.token(["client:read"])
    response = reader.post("/clients", json={"name": "Acme"})
    assert error_body(response, 403) == {"message": "This action requires the scope client:write."}
    nobody = space.token([])
    response = nobody.get("/clients/full")
    assert error_body(response, 403) == {"message": "This action requires the scope client:read."}
    # The scope check comes before body validation: an invalid body still gets the 403.
    response = reader.post("/clients", json={"name": 5})
    assert error_body(response, 403) == {"message": "This action requires the scope client:write."}
    assert client_names(space.api) == []


# --- validation: 422 ---------------------------------------------------------------------------


def test_validation_error_shape(space: Space) -> None:
    for payload in ({"name": 5}, {}, {"name": None}, {"name": ""}):
        body = error_body(space.api.post("/clients", json=payload), 422)
        assert body["message"] == INVALID, (payload, body)
        assert set(body) == {"message", "errors"}, body
        assert set(body["errors"]) == {"name"}, (payload, body)
        problems = body["errors"]["name"]
        assert isinstance(problems, list) and problems, body
        assert all(isinstance(p, str) and p for p in problems), body
    assert client_names(space.api) == []


def test_non_object_body_is_422(space: Space) -> None:
    for payload in ([{"name": "Acme"}], "Acme", 5, None):
        body = error_body(space.api.post("/clients", json=payload), 422)
        assert body["message"] == INVALID, (payload, body)
        assert isinstance(body["errors"], dict) and body["errors"], body


def test_unknown_body_fields_are_ignored(space: Space) -> None:
    response = space.api.post(
        "/clients",
        json={"name": "Acme", "bogus": [1, 2], "id": "forged-id", "created_at": "1999-01-01"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Acme"
    assert body["id"] != "forged-id"
    assert not body["created_at"].startswith("1999")
    assert "bogus" not in body


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_idempotent_replay(space: Space) -> None:
    key = {"Idempotency-Key": "create-acme-1"}
    first = space.api.post("/clients", json={"name": "Acme"}, headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    second = space.api.post("/clients", json={"name": "Acme"}, headers=key)
    assert second.status_code == first.status_code
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.headers.get("content-type", "").startswith("application/json")
    third = space.api.post("/clients", json={"name": "Acme"}, headers=key)
    assert third.json() == first.json()
    assert third.headers.get("idempotent-replayed") == "true"
    assert client_names(space.api) == ["Acme"]
    # Without a key, the same request creates a second client.
    assert space.api.post("/clients", json={"name": "Acme"}).status_code == 201
    assert client_names(space.api) == ["Acme", "Acme"]


def test_idempotency_key_reused_with_a_different_body_is_422(space: Space) -> None:
    key = {"Idempotency-Key": "create-acme-2"}
    first = space.api.post("/clients", json={"name": "Acme"}, headers=key)
    assert first.status_code == 201, first.text
    other = space.api.post("/clients", json={"name": "Globex"}, headers=key)
    assert error_body(other, 422) == {"message": "Idempotency-Key reused with a different request."}
    assert "idempotent-replayed" not in other.headers
    assert client_names(space.api) == ["Acme"]


def test_idempotency_key_length(space: Space) -> None:
    too_long = space.api.post(
        "/clients", json={"name": "Long"}, headers={"Idempotency-Key": "k" * 256}
    )
    error_body(too_long, 400)
    assert client_names(space.api) == []
    longest = space.api.post(
        "/clients", json={"name": "Long"}, headers={"Idempotency-Key": "k" * 255}
    )
    assert longest.status_code == 201, longest.text


def test_idempotency_keys_are_per_token(space: Space) -> None:
    key = {"Idempotency-Key": "shared-key"}
    other = space.token(ALL_SCOPES, name="second integration")
    first = space.api.post("/clients", json={"name": "Acme"}, headers=key)
    assert first.status_code == 201, first.text
    # Same key and body from another token: a new request, not a replay.
    second = other.post("/clients", json={"name": "Acme"}, headers=key)
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    # Same key, different body, another token: also independent (no 422).
    third_api = space.token(ALL_SCOPES, name="third integration")
    third = third_api.post("/clients", json={"name": "Globex"}, headers=key)
    assert third.status_code == 201, third.text
    assert sorted(client_names(space.api)) == ["Acme", "Acme", "Globex"]
    # Each token still replays its own first answer.
    replay = other.post("/clients", json={"name": "Acme"}, headers=key)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == second.json()


def test_idempotency_key_is_not_kept_for_an_unauthenticated_request(
    world: World, space: Space
) -> None:
    key = {"Idempotency-Key": "after-401"}
    bad = {"Authorization": "Bearer kbt_" + "B" * 43, **key}
    assert_unauthenticated(world.client.post(f"{API}/clients", json={"name": "x"}, headers=bad))
    assert_unauthenticated(world.client.post(f"{API}/clients", json={"name": "x"}, headers=bad))
    created = space.api.post("/clients", json={"name": "x"}, headers=key)
    assert created.status_code == 201, created.text


# --- 500 ---------------------------------------------------------------------------------------


def test_unhandled_error_is_json_500_without_details(settings: Settings) -> None:
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route(f"{API}/test-boom", boom, methods=["GET", "POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        for method in ("GET", "POST"):
            response = client.request(method, f"{API}/test-boom")
            assert error_body(response, 500) == {"message": "Server Error."}
            assert "secret internals" not in response.text
        # A 5xx is not kept for replay: the same key may be retried.
        key = {"Authorization": "Bearer kbt_whatever", "Idempotency-Key": "boom"}
        for _ in range(2):
            response = client.post(f"{API}/test-boom", json={}, headers=key)
            assert error_body(response, 500) == {"message": "Server Error."}
            assert "idempotent-replayed" not in response.headers


def test_an_exhausted_connection_pool_is_503_with_retry_after(settings: Settings) -> None:
    app = create_app(settings)

    async def overloaded() -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached")

    app.add_api_route(f"{API}/test-busy", overloaded, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(f"{API}/test-busy")
    assert error_body(response, 503) == {"message": "The server is busy; try again shortly."}
    assert response.headers["Retry-After"] == "1"
    assert "QueuePool" not in response.text


# --- NUL characters: never a 500 (PostgreSQL can neither store nor compare them) -------------


def _never_a_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        error_body(response, response.status_code)


def test_nul_in_the_url_is_400(space: Space) -> None:
    client_id = space.api.post("/clients", json={"name": "Acme"}).json()["id"]
    for path, params in (
        ("/clients/a%00b", {}),
        ("/clients/a%00b", {"find_by": "external_id"}),
        ("/clients/a%00b", {"find_by": "shortcode"}),
        ("/clients/x", {"find_by": "external_id", "origin": "o\x00"}),
        ("/clients", {"filter": 'name = "a\x00"'}),
        ("/users", {"filter": 'email = "a\x00"'}),
        (f"/clients/{client_id}", {"find_by": "id\x00"}),
    ):
        error_body(space.api.get(path, params=params), 400)
    patched = space.api.patch("/clients/a%00b", json={"name": "x"})
    error_body(patched, 400)


def test_nul_in_the_idempotency_key_is_400(space: Space) -> None:
    response = space.api.post(
        "/clients", json={"name": "Acme"}, headers={"Idempotency-Key": "key\x00"}
    )
    error_body(response, 400)
    assert client_names(space.api) == []


def test_nul_in_body_strings_is_never_a_server_error(space: Space) -> None:
    client_id = space.api.post("/clients", json={"name": "Acme"}).json()["id"]
    for method, path, payload in (
        ("POST", "/clients", {"name": "a\x00b"}),
        ("POST", "/clients", {"name": "a", "external_id": "x\x00"}),
        ("POST", "/clients", {"name": "a", "external_id": "x", "external_origin": "o\x00"}),
        ("POST", "/clients", {"name": "a", "primary_contact_id": "u\x00"}),
        ("PATCH", f"/clients/{client_id}", {"name": "a\x00b"}),
        ("PATCH", f"/clients/{client_id}", {"primary_contact_id": "u\x00"}),
        (
            "PUT",
            f"/clients/{client_id}/external-identifier",
            {"external_id": "x\x00", "external_origin": "o"},
        ),
    ):
        response = space.api.request(method, path, json=payload)
        assert response.status_code < 500, (method, path, payload, response.text)
        _never_a_server_error(response)


def test_nul_escaped_in_a_json_filter_is_never_a_server_error(space: Space) -> None:
    # The six characters \u0000 inside the JSON filter document: the URL holds no NUL itself.
    for field in ("name", "shortcode"):
        document = f'[{{"field": "{field}", "op": "contains", "value": "a\\u0000"}}]'
        assert "\x00" not in document
        _never_a_server_error(space.api.get("/clients", params={"filter": document}))
