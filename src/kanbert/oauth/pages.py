"""The HTML of the authorize flow. Every value shown or put in a form goes through `escape`."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape

from starlette.responses import HTMLResponse

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:3rem 1rem;color:#1f2430}
main{max-width:26rem;margin:auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem}
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;
border:1px solid #bbb;border-radius:4px}button{margin-top:1.2rem;padding:.55rem 1.1rem;
border-radius:4px;border:1px solid #2456c7;background:#2456c7;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#2456c7}.error{color:#b00020}
li code{background:#f0f0f0;padding:0 .25rem}
"""
_STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

# Clickjacking (X-Frame-Options, frame-ancestors); no scripts at all; only our own style (by
# hash); codes kept out of caches. No `form-action`: Chromium applies it to the redirect that
# follows the consent form, which goes to the client's (other) origin.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src '{_STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

SCOPE_DESCRIPTIONS = {
    "integration": "Manage the space's integrations, tokens and apps",
    "task-management:read": "Read projects, tasks and comments you can see",
    "task-management:write": "Create and change tasks and comments",
    "contact-data:read": "Read companies and contacts",
    "contact-data:write": "Create and change companies and contacts",
    "client:read": "Read clients",
    "client:write": "Create and change clients",
    "efforts:read": "Read time entries",
    "efforts:extended:read": "Read time entries with extended details",
    "efforts:write": "Create and change time entries",
    "user_group:read": "Read user groups",
    "user_group:write": "Create and change user groups",
    "project:write": "Create and change projects, phases and milestones",
    "user:write": "Create and change users",
    "settings:write": "Change the space's settings and custom fields",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} · Kanbert</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=PAGE_HEADERS)


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f"<input type='hidden' name='{escape(name)}' value='{escape(value)}'>"
        for name, value in fields.items()
    )


def error_page(message: str, status: int = 400) -> HTMLResponse:
    body = (
        "<h1>This sign-in link is not valid</h1>"
        f"<p class='error' id='error'>{escape(message)}</p>"
        "<p>Please go back to the application and try again.</p>"
    )
    return _page("Authorization error", body, status)


def sign_in_page(
    client_name: str, fields: Mapping[str, str], email: str = "", problem: str | None = None
) -> HTMLResponse:
    alert = f"<p class='error' id='error' role='alert'>{escape(problem)}</p>" if problem else ""
    body = (
        f"<h1>Sign in to Kanbert</h1><p><strong id='client'>{escape(client_name)}</strong> "
        "wants to access your Kanbert account.</p>"
        f"{alert}<form method='post' action='/oauth/authorize'>{_hidden(fields)}"
        "<input type='hidden' name='step' value='sign-in'>"
        "<label for='email'>E-mail</label>"
        f"<input id='email' name='email' type='email' required value='{escape(email)}' "
        "autocomplete='username'>"
        "<label for='password'>Password</label>"
        "<input id='password' name='password' type='password' required "
        "autocomplete='current-password'>"
        "<button type='submit' id='sign-in'>Sign in</button></form>"
    )
    return _page("Sign in", body, 400 if problem else 200)


def consent_page(
    client_name: str, user_name: str, scopes: list[str], fields: Mapping[str, str]
) -> HTMLResponse:
    items = "".join(
        f"<li data-scope='{escape(scope)}'><code>{escape(scope)}</code> "
        f"{escape(SCOPE_DESCRIPTIONS.get(scope, ''))}</li>"
        for scope in scopes
    )
    body = (
        f"<h1>Allow access?</h1><p>Signed in as {escape(user_name)}.</p>"
        f"<p><strong id='client'>{escape(client_name)}</strong> asks to:</p>"
        f"<ul id='scopes'>{items}</ul>"
        f"<form method='post' action='/oauth/authorize'>{_hidden(fields)}"
        "<input type='hidden' name='step' value='consent'>"
        "<button type='submit' name='decision' value='approve' id='approve'>Approve</button> "
        "<button type='submit' name='decision' value='deny' id='deny' class='secondary'>"
        "Deny</button></form>"
    )
    return _page("Allow access", body)
