"""One delivery attempt over HTTP: checked target, pinned address, timeout, no redirects,
at most 2 KB of the response read."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from ipaddress import ip_address

import httpx

from kanbert.kit.timefmt import utcnow
from kanbert.webhooks.targets import RefusedTarget, checked_addresses, parse_target

RESPONSE_LIMIT = 2048
ERROR_LIMIT = 500  # the attempt log's `error` column
# A receiver may ask for a pause, not for a delivery chain frozen for years.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    duration_ms: int
    status: int | None = None
    body: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds a 429 / 503 asked us to wait


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
        seconds = (moment - utcnow()).total_seconds()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header and the TLS
    name to present, so the connection goes where the check looked."""
    parts = parse_target(url)
    host = _wire_name(parts.hostname or "")
    literal = _bracketed(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    named = _bracketed(host) if _is_ip(host) else host
    host_header = named if parts.port is None else f"{named}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions


def _is_ip(host: str) -> bool:
    try:
        ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _bracketed(host: str) -> str:
    """An address as it stands in a URL or Host header: IPv6 inside brackets."""
    return f"[{host}]" if ":" in host else host


def _wire_name(host: str) -> str:
    """A host name as it goes on the wire: international names in their ASCII (IDNA) form."""
    if _is_ip(host):
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def clean_text(text: str, limit: int) -> str:
    """What a receiver sent, storable in any database: no NUL characters, at most `limit`."""
    return text.replace("\x00", "\ufffd")[:limit]


async def _read_some(response: httpx.Response) -> str:
    taken = bytearray()
    async for chunk in response.aiter_raw():
        taken.extend(chunk[: RESPONSE_LIMIT - len(taken)])
        if len(taken) >= RESPONSE_LIMIT:
            break
    return clean_text(taken.decode("utf-8", errors="replace"), RESPONSE_LIMIT)


async def send(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool,
) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        # The name lookup counts against the timeout too: a resolver that never answers must
        # not hold the worker's batch (and its lease) hostage.
        async with asyncio.timeout(timeout):
            addresses = await checked_addresses(url, allow_private)
            target, host, extensions = _pinned(url, addresses[0])
            request = client.build_request(
                "POST",
                target,
                content=body,
                # identity: the 2 KB kept for the delivery log are readable text, not the
                # start of a compressed stream.
                headers={**headers, **host, "Accept-Encoding": "identity"},
                extensions=extensions,
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                text = await _read_some(response)
            finally:
                await response.aclose()
    except RefusedTarget as error:
        return Outcome(False, elapsed(), error=clean_text(str(error), ERROR_LIMIT))
    except TimeoutError:
        return Outcome(False, elapsed(), error=f"No answer within {timeout:g} s.")
    except Exception as error:
        # Whatever went wrong on the way (a URL httpx refuses, an encoding error) is a failed
        # attempt like any other: recorded, retried, counted, never a delivery stuck forever.
        message = clean_text(f"{type(error).__name__}: {error}", ERROR_LIMIT)
        return Outcome(False, elapsed(), error=message)
    wait = None
    if response.status_code in (429, 503):
        wait = retry_after_seconds(response.headers.get("retry-after"))
    return Outcome(
        200 <= response.status_code < 300,
        elapsed(),
        status=response.status_code,
        body=text,
        retry_after=wait,
    )


def new_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,  # a proxy from the environment would see the pinned address only
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
