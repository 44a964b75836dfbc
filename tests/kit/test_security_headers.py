"""Security headers on every response: JSON, errors, refusals, 500s, and HTML pages (/docs)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from kanbert.app import API_PREFIX, create_app
from kanbert.settings import Settings

from live import chromium, served
from support import Api, Space, World

STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'"


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy"):
        assert len(response.headers.get_list(name)) == 1, name


def assert_secured_json(response: httpx.Response) -> None:
    assert_secured(response)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["Content-Security-Policy"] == STRICT_POLICY
    assert response.headers["Cache-Control"] == "no-store"


def test_json_200(space: Space) -> None:
    response = space.api.get("/users")
    assert response.status_code == 200, response.text
    assert_secured_json(response)


def test_404_inside_and_outside_the_api(world: World, space: Space) -> None:
    missing_record = space.api.get("/users/00000000000000000000000000")
    assert missing_record.status_code == 404
    assert_secured_json(missing_record)
    no_route = world.client.get("/no-such-page")
    assert no_route.status_code == 404
    assert_secured_json(no_route)


def test_401(world: World) -> None:
    response = Api(world.client, None).get("/users")
    assert response.status_code == 401
    assert_secured_json(response)


def test_transport_refusals(space: Space) -> None:
    too_big = space.api.post("/user-group", content=b"x" * (1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert_secured_json(too_big)
    not_acceptable = space.api.get("/users", headers={"Accept": "text/html"})
    assert not_acceptable.status_code == 406
    assert_secured_json(not_acceptable)


def test_429(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 1}))
    with TestClient(app, base_url="http://testserver") as client:
        client.get("/api/v1/users")
        response = client.get("/api/v1/users")
    assert response.status_code == 429
    assert_secured_json(response)


@pytest.fixture
def odd_pages(settings: Settings) -> Iterator[TestClient]:
    """An app with extra routes: one that crashes, HTML pages with inline blocks or a policy."""
    app = create_app(settings)

    @app.get(f"{API_PREFIX}/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse("<style>p{color:red}</style><p>hi</p><script>go()</script>")

    @app.get("/own-policy")
    async def own_policy() -> HTMLResponse:
        return HTMLResponse("<p>x</p>", headers={"Content-Security-Policy": "default-src 'self'"})

    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        yield client


def test_500_from_an_unhandled_error(odd_pages: TestClient) -> None:
    response = odd_pages.get("/api/v1/crash")
    assert response.status_code == 500
    assert response.json() == {"message": "Server Error."}
    assert_secured_json(response)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_html_page_allows_only_its_own_inline_blocks(odd_pages: TestClient) -> None:
    response = odd_pages.get("/page")
    assert response.status_code == 200
    assert response.text.endswith("<script>go()</script>")  # body passed on unchanged
    assert_secured(response)
    policy = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {_sha256('go()')};" in policy
    assert f"style-src 'self' {_sha256('p{color:red}')};" in policy
    assert "unsafe" not in policy
    assert "Cache-Control" not in response.headers


def test_html_page_keeps_its_own_policy(odd_pages: TestClient) -> None:
    response = odd_pages.get("/own-policy")
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_docs_page_policy_admits_swagger_ui(world: World) -> None:
    response = world.client.get("/docs")
    assert response.status_code == 200
    assert_secured(response)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"  # Swagger UI fetches the OpenAPI document
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    # The page's inline initialisation script is allowed exactly, by its hash.
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.S)
    assert len(inline) == 1
    assert directives["script-src"] == f"'self' {_sha256(inline[0])}"
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        answer = world.client.get(asset)
        assert answer.status_code == 200, asset
        assert_secured(answer)


def test_downloaded_html_file_is_not_a_page(space: Space) -> None:
    """An uploaded HTML file comes back under the strict policy: it can run nothing."""
    client_id = space.api.post("/clients", json={"name": "Acme"}).json()["id"]
    uploaded = space.api.post(
        "/files",
        data={"entity_type": "client", "entity_id": client_id},
        files={"file": ("a.html", b"<script>alert(1)</script>", "text/html")},
    )
    assert uploaded.status_code == 201, uploaded.text
    download = space.api.get(f"/files/{uploaded.json()['id']}/download")
    assert download.status_code == 200
    assert download.content == b"<script>alert(1)</script>"
    assert_secured(download)
    assert download.headers["Content-Security-Policy"] == STRICT_POLICY


@pytest.fixture
def served_app(settings: Settings) -> Iterator[str]:
    """The app over real HTTP, for a browser (its own engine on the test database)."""
    with served(create_app(settings)) as url:
        yield url


def test_docs_render_in_a_browser_under_the_policy(served_app: str) -> None:
    """Chromium enforces the CSP: Swagger UI must still start and list the operations."""
    with chromium() as browser:
        page = browser.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{served_app}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
    assert operations > 50
    assert not [text for text in console if "Content Security Policy" in text], console
