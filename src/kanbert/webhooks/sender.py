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
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - utcnow()).total_seconds())


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header and the TLS
    name to present, so the connection goes where the check looked."""
    parts = parse_target(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ip_address(address.split("%", 1)[0]).version == 6 else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions


async def _read_some(response: httpx.Response) -> str:
    taken = bytearray()
    async for chunk in response.aiter_raw():
        taken.extend(chunk[: RESPONSE_LIMIT - len(taken)])
        if len(taken) >= RESPONSE_LIMIT:
            break
    return taken.decode("utf-8", errors="replace")


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
        return Outcome(False, elapsed(), error=str(error))
    except TimeoutError:
        return Outcome(False, elapsed(), error=f"No answer within {timeout:g} s.")
    except httpx.HTTPError as error:
        return Outcome(False, elapsed(), error=f"{type(error).__name__}: {error}"[:500])
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
