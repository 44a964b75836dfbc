"""`/oauth/authorize`: validation before any redirect, sign-in, consent, CSRF and framing."""

from __future__ import annotations

import pytest

from kanbert.users.models import UserType

from oauthkit import (
    PASSWORD,
    REDIRECT_URI,
    App,
    Flow,
    add_person,
    hidden_fields,
    pkce_pair,
    query_of,
    register,
)
from support import Space


@pytest.fixture
def flow(space: Space) -> Flow:
    return Flow(space.api.client, register(space))


def assert_error_page(response: object, status: int = 400) -> None:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", "")
    headers = getattr(response, "headers", {})
    assert "location" not in headers
    assert headers["content-type"].startswith("text/html")
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "unknown-client"},
        {"client_id": ""},
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": REDIRECT_URI + "/"},  # exact match only
        {"redirect_uri": ""},
    ],
)
def test_bad_client_or_redirect_uri_shows_an_error_page_and_never_redirects(
    flow: Flow, override: dict[str, str]
) -> None:
    assert_error_page(flow.start(**{**flow.params(), **override}))


def test_unknown_scope_redirects_with_invalid_scope_and_state(flow: Flow) -> None:
    answer = query_of(flow.start(**flow.params("task-management:read telepathy")))
    assert answer["error"] == "invalid_scope" and answer["state"] == "s-123"
    assert query_of(flow.start(**flow.params("")))["error"] == "invalid_scope"


def test_only_the_code_response_type_is_supported(flow: Flow) -> None:
    answer = query_of(flow.start(**flow.params(response_type="token")))
    assert answer["error"] == "unsupported_response_type" and answer["state"] == "s-123"


def test_plain_pkce_method_is_refused(flow: Flow) -> None:
    _verifier, challenge = pkce_pair()
    for method in ("plain", ""):
        response = flow.start(**flow.params(code_challenge=challenge, code_challenge_method=method))
        answer = query_of(response)
        assert answer["error"] == "invalid_request" and answer["state"] == "s-123"
        assert "S256" in answer["error_description"]


def test_public_clients_must_send_a_code_challenge(space: Space) -> None:
    flow = Flow(space.api.client, register(space, public=True))
    assert query_of(flow.start(**flow.params()))["error"] == "invalid_request"
    _verifier, challenge = pkce_pair()
    page = flow.start(**flow.params(code_challenge=challenge, code_challenge_method="S256"))
    assert page.status_code == 200


def test_sign_in_then_consent_lists_client_and_each_scope(flow: Flow, space: Space) -> None:
    add_person(space, "ada@example.com", first_name="Ada", last_name="Lovelace")
    page = flow.start(**flow.params("task-management:read efforts:read"))
    assert page.status_code == 200 and "Timesheet App" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    consent = flow.sign_in(page, "ADA@example.com")
    assert consent.status_code == 200, consent.text
    assert "Ada Lovelace" in consent.text and "Timesheet App" in consent.text
    for scope in ("task-management:read", "efforts:read"):
        assert f"data-scope='{scope}'" in consent.text
    assert consent.headers["x-frame-options"] == "DENY"
    answer = query_of(flow.decide(consent, "approve"))
    assert answer["state"] == "s-123" and len(answer["code"]) >= 40


def test_denied_consent_redirects_with_access_denied(flow: Flow, space: Space) -> None:
    add_person(space, "ada@example.com")
    consent = flow.sign_in(flow.start(**flow.params()), "ada@example.com")
    response = flow.decide(consent, "deny")
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    answer = query_of(response)
    assert answer == {
        "error": "access_denied",
        "error_description": "The user denied the request.",
        "state": "s-123",
    }


def test_wrong_credentials_show_the_sign_in_page_again(
    flow: Flow, space: Space, other_space: Space
) -> None:
    add_person(space, "ada@example.com")
    add_person(other_space, "eve@example.com")
    space.add_user("nopass@example.com")
    for email, password in (
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", "whatever"),
        ("eve@example.com", PASSWORD),  # a user of another space
        ("nopass@example.com", ""),  # a user without a password
    ):
        again = flow.sign_in(flow.start(**flow.params()), email, password)
        assert again.status_code == 400, (email, again.text)
        assert "Wrong e-mail or password." in again.text and "location" not in again.headers


def test_integrations_and_archived_users_cannot_sign_in(flow: Flow, space: Space) -> None:
    add_person(space, "bot@example.com", UserType.integration, slug="bot")
    gone = add_person(space, "gone@example.com")
    space.api.delete(f"/users/{gone}")
    for email in ("bot@example.com", "gone@example.com"):
        assert flow.sign_in(flow.start(**flow.params()), email).status_code == 400


def test_guests_and_tax_advisors_may_sign_in(flow: Flow, space: Space) -> None:
    add_person(space, "guest@example.com", UserType.guest)
    add_person(space, "advisor@example.com", UserType.tax_advisor)
    for email in ("guest@example.com", "advisor@example.com"):
        assert flow.sign_in(flow.start(**flow.params()), email).status_code == 200


def test_forms_without_the_csrf_cookie_or_token_are_refused(flow: Flow, space: Space) -> None:
    add_person(space, "ada@example.com")
    page = flow.start(**flow.params())
    fields = {**hidden_fields(page), "email": "ada@example.com", "password": "x"}
    forged = flow.client.post(
        "/oauth/authorize", data={**fields, "csrf_token": "guess"}, follow_redirects=False
    )
    assert_error_page(forged, 403)
    consent = flow.sign_in(page, "ada@example.com")
    flow.client.cookies.clear()  # another browser: the ticket alone is not enough
    stolen = flow.decide(consent, "approve")
    assert_error_page(stolen, 403)


def test_a_tampered_ticket_is_refused(flow: Flow, space: Space) -> None:
    add_person(space, "ada@example.com")
    consent = flow.sign_in(flow.start(**flow.params()), "ada@example.com")
    fields = {**hidden_fields(consent), "decision": "approve"}
    fields["ticket"] = fields["ticket"][:-3] + "AAA"
    response = flow.client.post("/oauth/authorize", data=fields, follow_redirects=False)
    assert_error_page(response)


def test_everything_echoed_is_escaped(space: Space) -> None:
    api = space.api
    body = {"name": "<script>alert(1)</script>", "redirect_uris": [REDIRECT_URI]}
    created = api.client.post("/oauth/clients", json=body, headers=api.headers())
    client_id = created.json()["data"]["client_id"]
    add_person(space, "ada@example.com", first_name="<b>Ada</b>")
    flow = Flow(api.client, App(client_id, None))
    state = "'><img src=x onerror=alert(1)>"
    page = flow.start(**flow.params(state=state))
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert "<img src=x" not in page.text
    consent = flow.sign_in(page, "ada@example.com")
    assert "<b>Ada</b>" not in consent.text and "&lt;b&gt;Ada&lt;/b&gt;" in consent.text
    assert query_of(flow.decide(consent, "approve"))["state"] == state
    error = flow.start(**flow.params(client_id="<i>x</i>"))
    assert "<i>x</i>" not in error.text


def test_repeated_parameters_show_an_error_page(flow: Flow) -> None:
    query = [*flow.params().items(), ("redirect_uri", "https://evil.example.com/cb")]
    response = flow.client.get("/oauth/authorize", params=query, follow_redirects=False)
    assert_error_page(response)
    assert "redirect_uri is repeated" in response.text


def test_malformed_input_is_a_clear_4xx(flow: Flow, space: Space) -> None:
    assert_error_page(flow.start(**{**flow.params(), "state": "x" * 5000}))
    nul = flow.start(**{**flow.params(), "client_id": "a\x00b"})
    assert nul.status_code == 400 and "location" not in nul.headers
    page = flow.start(**flow.params())
    fields = {**hidden_fields(page), "csrf_token": "é-not-ascii"}
    response = flow.client.post("/oauth/authorize", data=fields, follow_redirects=False)
    assert_error_page(response, 403)
    as_json = flow.client.post("/oauth/authorize", json=hidden_fields(page))
    assert_error_page(as_json)
