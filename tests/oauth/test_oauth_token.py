"""`/oauth/token` and `/oauth/revoke`: the RFC 6749 / 7636 / 7009 answers, success and failure."""

from __future__ import annotations

import base64

import pytest

from kanbert.auth.scopes import ALL_SCOPES

from oauthkit import Flow, add_person, assert_oauth_error, pkce_pair, query_of, register
from support import Space, World

EMAIL = "ada@example.com"


@pytest.fixture
def flow(space: Space) -> Flow:
    add_person(space, EMAIL)
    return Flow(space.api.client, register(space))


@pytest.fixture
def public_flow(space: Space) -> Flow:
    add_person(space, "pat@example.com")
    return Flow(space.api.client, register(space, public=True))


def pkce_code(flow: Flow, challenge: str) -> str:
    return flow.code("pat@example.com", code_challenge=challenge, code_challenge_method="S256")


def test_code_exchange_answers_exactly_the_documented_shape(flow: Flow, space: Space) -> None:
    response = flow.exchange(flow.code(EMAIL, "task-management:read efforts:read"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == ["token_type", "expires_in", "access_token", "refresh_token", "scope"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "task-management:read efforts:read"
    assert body["access_token"].startswith("kbt_") and body["refresh_token"].startswith("kbr_")
    whoami = flow.api(body["access_token"]).get("/whoami")
    assert whoami.status_code == 200 and whoami.json()["email"] == EMAIL


def test_client_secret_may_come_by_http_basic(flow: Flow) -> None:
    code = flow.code(EMAIL)
    basic = base64.b64encode(f"{flow.app.client_id}:{flow.app.secret}".encode()).decode()
    response = flow.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.app.redirect_uri,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text


def test_a_wrong_or_missing_client_secret_is_invalid_client(flow: Flow) -> None:
    code = flow.code(EMAIL)
    for secret in ("kbs_wrong", ""):
        response = flow.exchange(code, client_secret=secret)
        assert_oauth_error(response, "invalid_client", 401)
        assert response.headers["www-authenticate"].startswith("Basic")
    assert_oauth_error(flow.exchange(code, client_id="nobody"), "invalid_client", 401)
    bad_basic = flow.client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        headers={"Authorization": "Basic !!!"},
    )
    assert_oauth_error(bad_basic, "invalid_client", 401)
    # The failures did not use up the code.
    assert flow.exchange(code).status_code == 200


def test_reused_code_is_invalid_grant_and_revokes_its_tokens(flow: Flow) -> None:
    code = flow.code(EMAIL)
    first = flow.exchange(code).json()
    api = flow.api(first["access_token"])
    assert api.get("/whoami").status_code == 200
    assert_oauth_error(flow.exchange(code), "invalid_grant")
    assert api.get("/whoami").status_code == 401
    assert_oauth_error(flow.refresh(first["refresh_token"]), "invalid_grant")


def test_expired_code_is_invalid_grant(
    flow: Flow, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.app.state.settings, "oauth_code_ttl_seconds", 0)
    code = flow.code(EMAIL)
    response = flow.exchange(code)
    assert_oauth_error(response, "invalid_grant")
    assert "expired" in response.json()["error_description"]


def test_redirect_uri_must_match_the_authorization_request(flow: Flow) -> None:
    code = flow.code(EMAIL)
    assert_oauth_error(
        flow.exchange(code, redirect_uri="https://app.example.com/other"), "invalid_grant"
    )
    assert_oauth_error(flow.exchange(code, redirect_uri=""), "invalid_request")


def test_a_code_of_another_client_is_invalid_grant(flow: Flow, space: Space) -> None:
    code = flow.code(EMAIL)
    other = Flow(flow.client, register(space))
    assert_oauth_error(other.exchange(code), "invalid_grant")
    assert_oauth_error(flow.exchange("not-a-code"), "invalid_grant")


def test_pkce_exchange_with_the_right_verifier(public_flow: Flow) -> None:
    verifier, challenge = pkce_pair()
    response = public_flow.exchange(pkce_code(public_flow, challenge), code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert public_flow.api(response.json()["access_token"]).get("/whoami").status_code == 200


def test_wrong_or_missing_code_verifier(public_flow: Flow) -> None:
    verifier, challenge = pkce_pair()
    code = pkce_code(public_flow, challenge)
    other_verifier, _ = pkce_pair()
    assert_oauth_error(public_flow.exchange(code, code_verifier=other_verifier), "invalid_grant")
    assert_oauth_error(public_flow.exchange(code, code_verifier="short"), "invalid_grant")
    assert_oauth_error(public_flow.exchange(code), "invalid_request")
    # A PKCE code cannot be exchanged with the challenge itself (that would be `plain`).
    assert_oauth_error(public_flow.exchange(code, code_verifier=challenge), "invalid_grant")
    assert public_flow.exchange(code, code_verifier=verifier).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_chain(flow: Flow) -> None:
    first = flow.tokens(EMAIL)
    second = flow.refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    assert second_body["scope"] == "task-management:read"
    third = flow.refresh(second_body["refresh_token"]).json()
    assert flow.api(third["access_token"]).get("/whoami").status_code == 200
    # Replaying the first (already rotated) refresh token: the whole chain is revoked.
    assert_oauth_error(flow.refresh(first["refresh_token"]), "invalid_grant")
    assert_oauth_error(flow.refresh(third["refresh_token"]), "invalid_grant")
    for body in (first, second_body, third):
        assert flow.api(body["access_token"]).get("/whoami").status_code == 401


def test_refresh_may_narrow_but_never_widen_the_scope(flow: Flow) -> None:
    first = flow.tokens(EMAIL, "task-management:read efforts:read")
    wider = flow.refresh(first["refresh_token"], scope="task-management:read client:read")
    assert_oauth_error(wider, "invalid_scope")
    assert_oauth_error(flow.refresh(first["refresh_token"], scope="bogus"), "invalid_scope")
    narrower = flow.refresh(first["refresh_token"], scope="efforts:read")
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "efforts:read"
    # The rotated refresh token keeps the full grant.
    again = flow.refresh(narrower.json()["refresh_token"]).json()
    assert again["scope"] == "task-management:read efforts:read"


def test_refresh_needs_the_client_that_got_it(flow: Flow, space: Space) -> None:
    first = flow.tokens(EMAIL)
    other = Flow(flow.client, register(space))
    assert_oauth_error(other.refresh(first["refresh_token"]), "invalid_grant")
    assert_oauth_error(
        flow.refresh(first["refresh_token"], client_secret="nope"), "invalid_client", 401
    )
    assert_oauth_error(flow.refresh("kbr_unknown"), "invalid_grant")
    assert_oauth_error(flow.refresh(""), "invalid_request")
    assert flow.refresh(first["refresh_token"]).status_code == 200


def test_grant_type_and_encoding_problems(flow: Flow) -> None:
    assert_oauth_error(flow.token(grant_type="password"), "unsupported_grant_type")
    assert_oauth_error(flow.token(), "invalid_request")
    as_json = flow.client.post("/oauth/token", json={"grant_type": "authorization_code"})
    assert_oauth_error(as_json, "invalid_request")
    repeated = flow.client.post(
        "/oauth/token",
        content="grant_type=refresh_token&grant_type=refresh_token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(repeated, "invalid_request")
    nul = flow.client.post(
        "/oauth/token",
        content="grant_type=authorization_code&code=%00",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(nul, "invalid_request")


def test_revoking_an_access_token(flow: Flow) -> None:
    body = flow.tokens(EMAIL)
    api = flow.api(body["access_token"])
    form = {"token": body["access_token"], "client_id": flow.app.client_id}
    response = flow.client.post("/oauth/revoke", data={**form, "client_secret": flow.app.secret})
    assert response.status_code == 200
    assert api.get("/whoami").status_code == 401
    # The refresh token still works: only the access token was revoked.
    assert flow.refresh(body["refresh_token"]).status_code == 200


def test_revoking_a_refresh_token_ends_the_grant(flow: Flow) -> None:
    body = flow.tokens(EMAIL)
    form = {"token": body["refresh_token"], "token_type_hint": "refresh_token"}
    form |= {"client_id": flow.app.client_id, "client_secret": str(flow.app.secret)}
    assert flow.client.post("/oauth/revoke", data=form).status_code == 200
    assert flow.api(body["access_token"]).get("/whoami").status_code == 401
    assert_oauth_error(flow.refresh(body["refresh_token"]), "invalid_grant")


def test_revocation_always_answers_200_for_unknown_or_foreign_tokens(
    flow: Flow, space: Space
) -> None:
    credentials = {"client_id": flow.app.client_id, "client_secret": str(flow.app.secret)}
    for token in ("kbt_unknown", "kbr_unknown", "garbage", space.api.token or ""):
        response = flow.client.post("/oauth/revoke", data={**credentials, "token": token})
        assert response.status_code == 200
    # An integration token is no OAuth token of this client: untouched.
    assert space.api.get("/whoami").status_code == 200
    other = Flow(flow.client, register(space))
    body = flow.tokens(EMAIL)
    foreign = {"client_id": other.app.client_id, "client_secret": str(other.app.secret)}
    response = flow.client.post("/oauth/revoke", data={**foreign, "token": body["access_token"]})
    assert response.status_code == 200
    assert flow.api(body["access_token"]).get("/whoami").status_code == 200


def test_revocation_needs_client_authentication_and_a_token(flow: Flow) -> None:
    wrong = {"client_id": flow.app.client_id, "client_secret": "nope", "token": "kbt_x"}
    assert_oauth_error(flow.client.post("/oauth/revoke", data=wrong), "invalid_client", 401)
    missing = {"client_id": flow.app.client_id, "client_secret": str(flow.app.secret)}
    assert_oauth_error(flow.client.post("/oauth/revoke", data=missing), "invalid_request")


def test_access_tokens_expire_after_the_configured_lifetime(
    flow: Flow, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.app.state.settings, "access_token_ttl_seconds", 0)
    body = flow.tokens(EMAIL)
    assert body["expires_in"] == 0
    assert flow.api(body["access_token"]).get("/whoami").status_code == 401


def test_every_scope_may_be_requested(flow: Flow) -> None:
    body = flow.tokens(EMAIL, " ".join(ALL_SCOPES))
    assert body["scope"].split() == list(ALL_SCOPES)


def test_state_is_optional(flow: Flow) -> None:
    page = flow.start(**{k: v for k, v in flow.params().items() if k != "state"})
    consent = flow.sign_in(page, EMAIL)
    assert "state" not in query_of(flow.decide(consent, "approve"))
