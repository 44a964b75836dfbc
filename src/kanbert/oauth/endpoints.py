"""`/oauth/*`: client registration, the authorize pages, the token and revocation endpoints.

They live outside /api/v1 (auth.md §2) and outside the API's OpenAPI document: they speak
RFC 6749 (HTML pages and form-encoded requests), not the JSON API's envelope.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kanbert.auth.deps import CurrentCaller, requires
from kanbert.db.session import Session
from kanbert.kit.errors import forbidden, invalid
from kanbert.kit.responses import JsonResponse
from kanbert.kit.timefmt import format_datetime
from kanbert.oauth import grants, pages
from kanbert.oauth.authorize import (
    PARAMETERS,
    AuthRequest,
    RedirectError,
    UntrustedRedirect,
    active_user,
    grant_code,
    parse_request,
    sign_in,
    with_query,
)
from kanbert.oauth.clients import redirect_uris_problems, register_client
from kanbert.oauth.errors import NO_STORE, OAuthError, invalid_client, invalid_request
from kanbert.oauth.schemas import OAuthClientCreate, OAuthClientData, OAuthClientEnvelope
from kanbert.oauth.signing import Signer
from kanbert.settings import Settings

router = APIRouter(prefix="/oauth", include_in_schema=False)

CSRF_COOKIE = "kanbert_oauth_csrf"
CSRF_TTL_SECONDS = 3600
CONSENT_TTL_SECONDS = 900  # how long a consent screen may wait for its answer
MAX_FIELD_LENGTH = 4000


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _signer(request: Request, purpose: str) -> Signer:
    return Signer(_settings(request).resolved_secret_key, f"oauth-{purpose}")


async def _form(request: Request) -> dict[str, str]:
    """The form-encoded body; a repeated, binary or NUL-bearing parameter is invalid_request."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise invalid_request("Send the parameters form-encoded (x-www-form-urlencoded).")
    fields: dict[str, str] = {}
    for name, value in (await request.form()).multi_items():
        if not isinstance(value, str) or "\x00" in value or len(value) > MAX_FIELD_LENGTH:
            raise invalid_request(f"The parameter {name} is not valid.")
        if name in fields:
            raise invalid_request(f"The parameter {name} is repeated (RFC 6749 §3.2).")
        fields[name] = value
    return fields


# --- the authorize pages --------------------------------------------------------------------


def _nonce(request: Request) -> str:
    """The CSRF nonce of the browser's signed cookie; empty when there is none."""
    cookie = _signer(request, "csrf").load(request.cookies.get(CSRF_COOKIE))
    return str(cookie["n"]) if cookie else ""


def _with_csrf_cookie(request: Request, response: Response, nonce: str) -> Response:
    response.set_cookie(
        CSRF_COOKIE,
        _signer(request, "csrf").sign({"n": nonce}, CSRF_TTL_SECONDS),
        max_age=CSRF_TTL_SECONDS,
        path="/oauth",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})


def _sign_in(request: Request, auth: AuthRequest, nonce: str, **extra: Any) -> Response:
    fields = {**auth.parameters(), "csrf_token": nonce}
    return _with_csrf_cookie(request, pages.sign_in_page(auth.client.name, fields, **extra), nonce)


@router.get("/authorize")
async def authorize_page(request: Request, session: Session) -> Response:
    repeated = [name for name in PARAMETERS if len(request.query_params.getlist(name)) > 1]
    if repeated:  # RFC 6749 §3.1: which of two values to trust is unknowable; do not redirect
        return pages.error_page(f"The parameter {repeated[0]} is repeated.")
    params = {name: request.query_params.get(name, "") for name in PARAMETERS}
    if any("\x00" in value or len(value) > MAX_FIELD_LENGTH for value in params.values()):
        return pages.error_page("The request's parameters are not valid.")
    try:
        auth = await parse_request(session, params)
    except UntrustedRedirect as problem:
        return pages.error_page(str(problem))
    except RedirectError as refusal:
        return _redirect(refusal.location())
    return _sign_in(request, auth, _nonce(request) or secrets.token_urlsafe(24))


@router.post("/authorize")
async def authorize_step(request: Request, session: Session) -> Response:
    try:
        form = await _form(request)
    except OAuthError as problem:
        return pages.error_page(problem.description)
    nonce = _nonce(request)
    sent = form.get("csrf_token", "").encode()
    if not nonce or not secrets.compare_digest(nonce.encode(), sent):
        message = "This form has expired or was not sent from this page. Please start again."
        return pages.error_page(message, status=403)
    step = form.get("step")
    if step == "sign-in":
        return await _signed_in(request, session, form, nonce)
    if step == "consent":
        return await _consented(request, session, form, nonce)
    return pages.error_page("Unknown step of the sign-in.")


async def _signed_in(
    request: Request, session: Session, form: dict[str, str], nonce: str
) -> Response:
    try:
        auth = await parse_request(session, {name: form.get(name, "") for name in PARAMETERS})
    except UntrustedRedirect as problem:
        return pages.error_page(str(problem))
    except RedirectError as refusal:
        return _redirect(refusal.location())
    email = form.get("email", "")
    user = await sign_in(session, auth.client.space_id, email, form.get("password", ""))
    if user is None:
        return _sign_in(request, auth, nonce, email=email, problem="Wrong e-mail or password.")
    ticket = {"u": user.id, "n": nonce, "r": auth.parameters()}
    signed = _signer(request, "ticket").sign(ticket, CONSENT_TTL_SECONDS)
    fields = {"csrf_token": nonce, "ticket": signed}
    name = f"{user.first_name} {user.last_name}".strip() or user.email
    return pages.consent_page(auth.client.name, name, auth.scopes, fields)


async def _consented(
    request: Request, session: Session, form: dict[str, str], nonce: str
) -> Response:
    ticket = _signer(request, "ticket").load(form.get("ticket"))
    if ticket is None or ticket.get("n") != nonce or not isinstance(ticket.get("r"), dict):
        return pages.error_page("This consent screen has expired. Please start again.")
    try:
        auth = await parse_request(session, ticket["r"])
    except UntrustedRedirect as problem:
        return pages.error_page(str(problem))
    except RedirectError as refusal:
        return _redirect(refusal.location())
    user = await active_user(session, auth.client.space_id, str(ticket.get("u")))
    if user is None:
        return pages.error_page("This account can no longer sign in.", status=403)
    decision = form.get("decision")
    if decision == "approve":
        code = await grant_code(session, auth, user, _settings(request).oauth_code_ttl_seconds)
        return _redirect(with_query(auth.redirect_uri, {"code": code, "state": auth.state}))
    if decision == "deny":
        denied = RedirectError(
            auth.redirect_uri, "access_denied", "The user denied the request.", auth.state
        )
        return _redirect(denied.location())
    return pages.error_page("Choose Approve or Deny.")


# --- token and revocation endpoints ---------------------------------------------------------


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """client_id and secret, from HTTP Basic (RFC 6749 §2.3.1) or from the form."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return form.get("client_id"), form.get("client_secret")
    if "client_secret" in form:
        raise invalid_request("Use one way to authenticate the client, not two.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_client("Malformed HTTP Basic credentials.") from None
    client_id, separator, secret = decoded.partition(":")
    client_id, secret = unquote(client_id), unquote(secret)
    if not separator or form.get("client_id", client_id) != client_id:
        raise invalid_client("The HTTP Basic credentials do not match client_id.")
    return client_id, secret


@router.post("/token")
async def token(request: Request, session: Session) -> Response:
    try:
        form = await _form(request)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise invalid_request("grant_type is required.")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported.")
        client = await grants.authenticate_client(session, *_client_credentials(request, form))
        lifetimes = grants.Lifetimes.of(_settings(request))
        if grant_type == "authorization_code":
            issued = await grants.exchange_code(session, client, form, lifetimes)
        else:
            issued = await grants.refresh(session, client, form, lifetimes)
    except OAuthError as error:
        # Returned, not raised: revocations made on the way (code or refresh-token reuse)
        # must be committed even though the request fails.
        return error.response()
    return JsonResponse(issued, headers=NO_STORE)


@router.post("/revoke")
async def revoke(request: Request, session: Session) -> Response:
    try:
        form = await _form(request)
        client = await grants.authenticate_client(session, *_client_credentials(request, form))
        presented = form.get("token")
        if not presented:
            raise invalid_request("token is required.")
        await grants.revoke(session, client, presented)
    except OAuthError as error:
        return error.response()
    # RFC 7009 §2.2: 200 whether or not the token was valid, so it cannot be probed.
    return Response(status_code=200, headers=NO_STORE)


# --- client registration --------------------------------------------------------------------


@router.post("/clients", status_code=201, **requires("integration"))
async def create_client(
    body: OAuthClientCreate, caller: CurrentCaller, session: Session
) -> JsonResponse:
    if not (caller.is_owner or caller.user_type == "integration"):
        raise forbidden("Only owners may register OAuth clients.")
    problems = redirect_uris_problems(body.redirect_uris)
    if problems:
        raise invalid({field: [f"The {field} {problem}."] for field, problem in problems.items()})
    registered = await register_client(
        session, caller.space_id, body.name, body.redirect_uris, body.public
    )
    client = registered.client
    data = OAuthClientData(
        client_id=client.id,
        name=client.name,
        redirect_uris=client.redirect_uris,
        public=client.is_public,
        client_secret=registered.secret,
        created_at=format_datetime(client.created_at) or "",
    )
    return JsonResponse(OAuthClientEnvelope(data=data).model_dump(), status_code=201)
