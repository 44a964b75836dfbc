"""Helpers for the OAuth tests: users with passwords, clients, and the authorize flow by HTTP."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.passwords import hash_password
from kanbert.users.models import User, UserType

from support import Api, Space

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "https://app.example.com/callback"
_HIDDEN = re.compile(r"<input type='hidden' name='([^']*)' value='([^']*)'>")


def add_person(space: Space, email: str, user_type: UserType = UserType.user, **fields: Any) -> str:
    """A user of the space who can sign in with PASSWORD."""
    return space.add_user(email, user_type, password_hash=hash_password(PASSWORD), **fields)


def give_password(space: Space, user_id: str) -> None:
    """Lets an existing user (such as the space's owner) sign in with PASSWORD."""

    async def set_password(session: AsyncSession) -> None:
        user = await session.get_one(User, user_id)
        user.password_hash = hash_password(PASSWORD)

    space.world.run(set_password)


@dataclass(frozen=True)
class App:
    """A registered OAuth client."""

    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT_URI


def register(
    space: Space,
    public: bool = False,
    redirect_uri: str = REDIRECT_URI,
    name: str = "Timesheet App",
) -> App:
    body = {"name": name, "redirect_uris": [redirect_uri], "public": public}
    response = space.api.client.post("/oauth/clients", json=body, headers=space.api.headers())
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return App(data["client_id"], data["client_secret"], redirect_uri)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}


def query_of(response: httpx.Response) -> dict[str, str]:
    """The query parameters of a redirect's Location."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


class Flow:
    """The authorize pages driven over HTTP (the browser test drives them in Chromium)."""

    def __init__(self, client: TestClient, app: App) -> None:
        self.client = client
        self.app = app

    def params(self, scope: str = "task-management:read", **extra: str) -> dict[str, str]:
        base = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": self.app.redirect_uri,
            "scope": scope,
            "state": "s-123",
        }
        return {**base, **extra}

    def start(self, **params: str) -> httpx.Response:
        return self.client.get("/oauth/authorize", params=params, follow_redirects=False)

    def sign_in(self, page: httpx.Response, email: str, password: str = PASSWORD) -> httpx.Response:
        fields = {**hidden_fields(page), "email": email, "password": password}
        return self.client.post("/oauth/authorize", data=fields, follow_redirects=False)

    def decide(self, consent: httpx.Response, decision: str) -> httpx.Response:
        fields = {**hidden_fields(consent), "decision": decision}
        return self.client.post("/oauth/authorize", data=fields, follow_redirects=False)

    def code(self, email: str, scope: str = "task-management:read", **extra: str) -> str:
        page = self.start(**self.params(scope, **extra))
        assert page.status_code == 200, page.text
        consent = self.sign_in(page, email)
        assert consent.status_code == 200, consent.text
        return query_of(self.decide(consent, "approve"))["code"]

    def token(self, **form: str) -> httpx.Response:
        return self.client.post("/oauth/token", data=form)

    def exchange(self, code: str, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.app.redirect_uri,
            "client_id": self.app.client_id,
        }
        if self.app.secret:
            form["client_secret"] = self.app.secret
        return self.token(**{**form, **extra})

    def refresh(self, refresh_token: str, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.app.client_id,
        }
        if self.app.secret:
            form["client_secret"] = self.app.secret
        return self.token(**{**form, **extra})

    def tokens(self, email: str, scope: str = "task-management:read") -> dict[str, Any]:
        response = self.exchange(self.code(email, scope))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def api(self, access_token: str) -> Api:
        return Api(self.client, access_token)


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"
