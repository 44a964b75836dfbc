"""Registering OAuth clients: `POST /oauth/clients` (owners, scope integration) and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kanbert.cli import app as cli
from kanbert.settings import Settings
from kanbert.users.models import UserType

from oauthkit import REDIRECT_URI, add_person
from support import Api, Space


def post_client(api: Api, body: object) -> tuple[int, dict[str, object]]:
    response = api.client.post("/oauth/clients", json=body, headers=api.headers())
    return response.status_code, response.json()


def test_confidential_client_gets_a_secret_once(space: Space) -> None:
    status, body = post_client(
        space.api, {"name": "Reports", "redirect_uris": [REDIRECT_URI, "http://127.0.0.1:9/cb"]}
    )
    assert status == 201, body
    data = body["data"]
    assert isinstance(data, dict)
    assert data["name"] == "Reports" and data["public"] is False
    assert data["redirect_uris"] == [REDIRECT_URI, "http://127.0.0.1:9/cb"]
    assert str(data["client_secret"]).startswith("kbs_")
    assert data["client_id"] and str(data["created_at"]).endswith("Z")


def test_public_client_has_no_secret(space: Space) -> None:
    status, body = post_client(
        space.api, {"name": "Mobile", "redirect_uris": [REDIRECT_URI], "public": True}
    )
    assert status == 201, body
    data = body["data"]
    assert isinstance(data, dict)
    assert data["public"] is True and data["client_secret"] is None


@pytest.mark.parametrize(
    ("uris", "field"),
    [
        ([], "redirect_uris"),
        (["/relative/callback"], "redirect_uris.0"),
        ([REDIRECT_URI, "ftp://example.com/cb"], "redirect_uris.1"),
        (["https://example.com/cb#fragment"], "redirect_uris.0"),
        (["https:///no-host"], "redirect_uris.0"),
    ],
)
def test_redirect_uris_must_be_absolute_http_urls(
    space: Space, uris: list[str], field: str
) -> None:
    status, body = post_client(space.api, {"name": "Bad", "redirect_uris": uris})
    assert status == 422, body
    errors = body["errors"]
    assert isinstance(errors, dict) and field in errors, body


def test_name_is_required(space: Space) -> None:
    status, body = post_client(space.api, {"name": "  ", "redirect_uris": [REDIRECT_URI]})
    assert status == 422 and "name" in str(body["errors"]), body


def test_only_owners_with_the_integration_scope_register_clients(space: Space) -> None:
    body = {"name": "App", "redirect_uris": [REDIRECT_URI]}
    member = add_person(space, "member@example.com")
    assert post_client(space.token(["integration"], user_id=member), body)[0] == 403
    assert post_client(space.token(["integration"], user_id=space.owner_id), body)[0] == 201
    status, answer = post_client(space.token(["client:write"]), body)
    assert status == 403 and "integration" in str(answer["message"])
    assert post_client(Api(space.api.client, None), body)[0] == 401


def test_cli_creates_confidential_and_public_clients(space: Space, settings: Settings) -> None:
    env = {"KANBERT_DATABASE_URL": settings.resolved_database_url}
    runner = CliRunner()
    args = ["oauth-client", "create", "--space-id", space.id, "--name", "CLI app"]
    uris = ["--redirect-uri", REDIRECT_URI, "--redirect-uri", "http://localhost:8080/cb"]
    confidential = runner.invoke(cli, [*args, *uris, "--json"], env=env)
    assert confidential.exit_code == 0, confidential.output
    created = json.loads(confidential.stdout)
    assert set(created) == {"client_id", "client_secret"}
    assert created["client_secret"].startswith("kbs_")
    public = runner.invoke(cli, [*args, *uris, "--public", "--json"], env=env)
    assert public.exit_code == 0, public.output
    assert json.loads(public.stdout)["client_secret"] is None
    # The registered client is known to the authorize page, with both redirect URIs.
    for uri in ("http://localhost:8080/cb", REDIRECT_URI):
        page = space.api.client.get(
            "/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": created["client_id"],
                "redirect_uri": uri,
                "scope": "task-management:read",
            },
        )
        assert page.status_code == 200 and "CLI app" in page.text


def test_cli_refuses_bad_input(space: Space, settings: Settings) -> None:
    env = {"KANBERT_DATABASE_URL": settings.resolved_database_url}
    runner = CliRunner()
    bad_uri = runner.invoke(
        cli,
        ["oauth-client", "create", "--space-id", space.id, "--name", "X", "--redirect-uri", "cb"],
        env=env,
    )
    assert bad_uri.exit_code == 1 and "redirect_uris.0" in bad_uri.output
    no_space = runner.invoke(
        cli,
        [
            "oauth-client",
            "create",
            "--space-id",
            "nope",
            "--name",
            "X",
            "--redirect-uri",
            "https://a.b/c",
        ],
        env=env,
    )
    assert no_space.exit_code == 1 and "No space" in no_space.output


def test_guest_cannot_register_clients_even_with_the_scope(space: Space) -> None:
    guest = add_person(space, "guest@example.com", UserType.guest)
    body = {"name": "App", "redirect_uris": [REDIRECT_URI]}
    assert post_client(space.token(["integration"], user_id=guest), body)[0] == 403
