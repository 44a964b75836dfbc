"""The authorize flow end to end in a real headless Chromium (Debian's /usr/bin/chromium).

The app runs under uvicorn on a free 127.0.0.1 port; a tiny HTTP server on another port is the
client's redirect URI. Screenshots of the sign-in and consent pages are saved under
tests/oauth/artifacts/ (git-ignored) and their paths printed.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page

from kanbert.app import create_app
from kanbert.settings import Settings

from live import chromium, free_port, served
from oauthkit import PASSWORD, App, add_person, pkce_pair, register
from support import Space

ARTIFACTS = Path(__file__).parent / "artifacts"
SCOPES = "task-management:read efforts:read"


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    """The app served over real HTTP (its own engine on the test database)."""
    with served(create_app(settings)) as url:
        yield url


@dataclass
class Receiver:
    """The client's redirect URI: records every query it is sent."""

    url: str
    received: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    port = free_port()
    catcher = Receiver(f"http://127.0.0.1:{port}/callback")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = urlsplit(self.path)
            if target.path == "/callback":  # not the browser's /favicon.ico
                query = parse_qs(target.query)
                catcher.received.append({key: values[0] for key, values in query.items()})
            body = b"<!DOCTYPE html><title>Callback</title><h1 id='done'>Received</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:  # keep the test output clean
            return

    http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield catcher
    http.shutdown()
    http.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    print(f"screenshot: {path}")


def authorize_in_browser(
    browser: Browser, server: str, app: App, receiver: Receiver, label: str, **extra: str
) -> dict[str, str]:
    """Signs in and approves in Chromium; returns what the redirect URI received."""
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": SCOPES,
        "state": f"state-{label}",
        **extra,
    }
    context = browser.new_context()
    try:
        page = context.new_page()
        response = page.goto(f"{server}/oauth/authorize?{urlencode(params)}")
        assert response is not None and response.status == 200
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert page.inner_text("#client") == "Browser App"
        screenshot(page, f"{label}-sign-in")
        page.fill("#email", "ada@example.com")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_selector("#approve")
        shown = page.eval_on_selector_all(
            "#scopes li", "items => items.map(item => item.dataset.scope)"
        )
        assert shown == SCOPES.split()
        assert "Browser App" in page.inner_text("main")
        screenshot(page, f"{label}-consent")
        page.click("#approve")
        page.wait_for_selector("#done")
        assert page.url.startswith(app.redirect_uri + "?")
    finally:
        context.close()
    answer = receiver.received[-1]
    assert answer["state"] == f"state-{label}" and answer["code"]
    return answer


def use_refresh_and_revoke(server: str, tokens: dict[str, Any], auth: dict[str, Any]) -> None:
    """Calls the API with the access token, refreshes it, revokes it."""
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == SCOPES
    with httpx.Client(base_url=server) as http:
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        whoami = http.get("/api/v1/whoami", headers=bearer)
        assert whoami.status_code == 200 and whoami.json()["email"] == "ada@example.com"
        refreshed = http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                **auth.get("data", {}),
            },
            headers=auth.get("headers", {}),
        )
        assert refreshed.status_code == 200, refreshed.text
        fresh = refreshed.json()
        assert fresh["refresh_token"] != tokens["refresh_token"]
        fresh_bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
        assert http.get("/api/v1/whoami", headers=fresh_bearer).status_code == 200
        revoked = http.post(
            "/oauth/revoke",
            data={"token": fresh["access_token"], **auth.get("data", {})},
            headers=auth.get("headers", {}),
        )
        assert revoked.status_code == 200
        assert http.get("/api/v1/whoami", headers=fresh_bearer).status_code == 401


def test_confidential_client_end_to_end(
    space: Space, server: str, receiver: Receiver, browser: Browser
) -> None:
    add_person(space, "ada@example.com")
    app = register(space, redirect_uri=receiver.url, name="Browser App")
    answer = authorize_in_browser(browser, server, app, receiver, "secret")
    basic = base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    auth = {"headers": {"Authorization": f"Basic {basic}"}}
    exchanged = httpx.post(
        f"{server}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": app.redirect_uri,
        },
        headers=auth["headers"],
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["cache-control"] == "no-store"
    use_refresh_and_revoke(server, exchanged.json(), auth)


def test_public_client_with_pkce_end_to_end(
    space: Space, server: str, receiver: Receiver, browser: Browser
) -> None:
    add_person(space, "ada@example.com")
    app = register(space, public=True, redirect_uri=receiver.url, name="Browser App")
    verifier, challenge = pkce_pair()
    answer = authorize_in_browser(
        browser,
        server,
        app,
        receiver,
        "pkce",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    auth = {"data": {"client_id": app.client_id}}
    exchanged = httpx.post(
        f"{server}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
            "client_id": app.client_id,
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    use_refresh_and_revoke(server, exchanged.json(), auth)
