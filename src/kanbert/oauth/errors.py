"""RFC 6749 §5.2 error answers of the token and revocation endpoints."""

from __future__ import annotations

from kanbert.kit.responses import JsonResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """`error` is the RFC code; invalid_client answers 401, every other code 400."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    def response(self) -> JsonResponse:
        status = 401 if self.error == "invalid_client" else 400
        headers = dict(NO_STORE)
        if status == 401:
            # RFC 6749 §5.2: a 401 names the scheme the client may authenticate with.
            headers["WWW-Authenticate"] = 'Basic realm="kanbert"'
        body = {"error": self.error, "error_description": self.description}
        return JsonResponse(body, status_code=status, headers=headers)


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_client(description: str = "Client authentication failed.") -> OAuthError:
    return OAuthError("invalid_client", description)
