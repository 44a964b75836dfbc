"""Every error leaves the server as JSON with a human `message` (spec README §6)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kanbert.kit.responses import JsonResponse

log = logging.getLogger("kanbert.errors")

INVALID_DATA = "The given data was invalid."


class ApiError(Exception):
    """An error with a status and a JSON body; raise it anywhere below an endpoint."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = {key: list(value) for key, value in (errors or {}).items()}
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def bad_request(parameter: str, problem: str) -> ApiError:
    return ApiError(400, problem, {parameter: [problem]})


def not_found() -> ApiError:
    return ApiError(404, "Not found.")


def invalid(errors: Mapping[str, Sequence[str]]) -> ApiError:
    return ApiError(422, INVALID_DATA, errors)


def invalid_field(field: str, problem: str) -> ApiError:
    return invalid({field: [problem]})


def unauthenticated() -> ApiError:
    return ApiError(401, "Unauthenticated.", headers={"WWW-Authenticate": "Bearer"})


def missing_scope(scope: str) -> ApiError:
    return ApiError(403, f"This action requires the scope {scope}.")


def forbidden(message: str = "This action is unauthorized.") -> ApiError:
    return ApiError(403, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)


def error_response(error: ApiError) -> JsonResponse:
    return JsonResponse(error.body(), status_code=error.status, headers=error.headers)


STATUS_MESSAGES = {
    404: "Not found.",
    405: "Method not allowed.",
    406: "Not acceptable: this API answers with application/json.",
    413: "Request body too large.",
    415: "Unsupported media type: send application/json.",
}


def _location(loc: Iterable[Any]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


def _is_json_content(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in {"", "application/json"} or content_type.endswith("+json")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        detail = next(p for p in problems if p.get("type") == "json_invalid")
        position = (detail.get("ctx") or {}).get("error") or detail.get("msg")
        message = f"Malformed JSON body: {position}."
        return error_response(ApiError(400, message, {"body": [message]}))
    body_problems = [p for p in problems if p.get("loc", ("",))[0] == "body"]
    # Fix: with no Content-Type, FastAPI (strict_content_type, its default) leaves a non-empty
    # body undecoded, as bytes. That is a 415, not a 422 claiming a JSON object is no object.
    undecoded = any(isinstance(p.get("input"), bytes | bytearray) for p in body_problems)
    if body_problems and (undecoded or not _is_json_content(request)):
        return error_response(ApiError(415, STATUS_MESSAGES[415]))
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(_location(problem.get("loc", ())), []).append(str(problem.get("msg")))
    return error_response(invalid(errors))


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    # Asks the router itself which methods fully match this path (included routers hide
    # their routes' `methods`, so they cannot simply be read off `app.routes`).
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = STATUS_MESSAGES.get(exc.status_code) or str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Fix: Starlette's Allow names only the first route matching the path (`GET` for
        # /clients, which also takes POST); RFC 9110 §15.5.6 wants every supported method.
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
    return JsonResponse({"message": message}, status_code=exc.status_code, headers=headers)


# Seconds a client is asked to wait when every database connection is busy.
BUSY_RETRY_AFTER = 1


async def _server_error(_request: Request, exc: Exception) -> Response:
    if isinstance(exc, PoolTimeout):
        # Overload, not a fault: every pooled connection stayed busy for the pool's timeout.
        log.warning("database connection pool exhausted: %s", exc)
        return JsonResponse(
            {"message": "The server is busy; try again shortly."},
            status_code=503,
            headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        )
    log.exception("unhandled error", exc_info=exc)
    return JsonResponse({"message": "Server Error."}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)
