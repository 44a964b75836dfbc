"""Security headers on every response (issue 7): no sniffing, no framing, no referrer, a CSP.

JSON gets the strictest policy (it is never rendered). An HTML page (the docs, the OAuth pages)
may load its own same-server assets, and its inline `<script>`/`<style>` blocks are allowed by
their SHA-256 hashes, computed from the page itself, so no page needs 'unsafe-inline'. A page
that sends its own `Content-Security-Policy` keeps it; every header here is only a default.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]
API_PREFIX = "/api/v1"

BASE_HEADERS: Headers = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'"
NO_STORE = b"no-store"
_INLINE = {
    "script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.I | re.S),
    "style": re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.I | re.S),
}


def _hashes(html: str, element: str) -> str:
    found = []
    for block in _INLINE[element].findall(html):
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        found.append(f" 'sha256-{digest}'")
    return "".join(found)


def html_policy(html: str) -> str:
    """Same-server assets only, plus the page's own inline blocks by hash.

    No `form-action`: browsers apply it to the redirect after a form post too, which would
    block a page that answers a post by redirecting elsewhere (as OAuth consent does).
    """
    return (
        "default-src 'none'; "
        f"script-src 'self'{_hashes(html, 'script')}; "
        f"style-src 'self'{_hashes(html, 'style')}; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def _header(headers: Headers, name: bytes) -> bytes | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _with_defaults(headers: Headers, defaults: Headers) -> Headers:
    present = {key.lower() for key, _ in headers}
    return [*headers, *(item for item in defaults if item[0] not in present)]


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";")[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class SecurityHeaders:
    """Adds the headers to whatever answers, including error pages and refusals."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith(API_PREFIX)
        held: Message | None = None
        body: list[bytes] = []

        async def secured_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                content_type = _header(headers, b"content-type") or b""
                # A downloaded file (under /api/v1) keeps the strict policy and is not buffered,
                # nor is a page that brings its own policy.
                own_policy = _header(headers, b"content-security-policy") is not None
                if content_type.lower().startswith(b"text/html") and not (is_api or own_policy):
                    held = message  # the policy depends on the page: wait for its body
                    return
                await send({**message, "headers": _with_defaults(headers, _defaults(content_type))})
            elif held is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_page(send, held, b"".join(body))
            else:
                await send(message)

        await self.app(scope, receive, secured_send)


def _defaults(content_type: bytes) -> Headers:
    defaults = [*BASE_HEADERS, (b"content-security-policy", STRICT_POLICY.encode())]
    if _is_json(content_type):
        defaults.append((b"cache-control", NO_STORE))
    return defaults


async def _send_page(send: Send, start: Message, page: bytes) -> None:
    policy = html_policy(page.decode("utf-8", errors="replace"))
    defaults = [*BASE_HEADERS, (b"content-security-policy", policy.encode())]
    headers = _with_defaults(list(start.get("headers", ())), defaults)
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": page})


def install_security_headers(app: FastAPI) -> None:
    """Wrap the whole stack, outside Starlette's own error middleware, so 500s are covered too."""
    build_stack = app.build_middleware_stack

    def secured_stack() -> ASGIApp:
        return SecurityHeaders(build_stack())

    # Starlette builds the stack lazily on the first request; `add_middleware` could only place
    # a middleware inside the error middleware that renders unhandled exceptions.
    app.build_middleware_stack = secured_stack  # type: ignore[method-assign]
