"""Rate limits per token (auth.md §5): a sliding window of 60 seconds, in memory or in Redis.

The caller is keyed by the SHA-256 of its bearer token, so no database lookup happens before the
request is counted; requests without a bearer token are keyed by the client's IP address. Only
accepted requests take a slot, so a client that keeps knocking while refused is let in again as
soon as its oldest counted request leaves the window.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("kanbert.ratelimit")

WINDOW_SECONDS = 60
LIMITED_PREFIX = "/api/v1"
LIMITED_PATHS = frozenset({"/oauth/token"})
TOO_MANY_ATTEMPTS = "Too Many Attempts."
REDIS_KEY_PREFIX = "kanbert:ratelimit:"
# A dead Redis must not slow every request down: fail fast, then leave it alone for a while.
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_AFTER_SECONDS = 5.0
# The memory counter forgets idle callers every this many hits, so IP keys cannot pile up.
SWEEP_EVERY_HITS = 1000

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    remaining: int
    reset: int  # seconds (≥ 1) until the oldest counted request leaves the window


class Counter(Protocol):
    async def hit(self, key: str, limit: int) -> Verdict | None:
        """Count one request for `key`; None when the counts cannot be reached (fail open)."""
        ...

    async def close(self) -> None: ...


def _seconds_left(oldest: float, now: float) -> int:
    return whole_seconds(oldest + WINDOW_SECONDS - now)


def whole_seconds(left: float) -> int:
    """Seconds until the window frees a request, rounded up, within 1…window: float rounding
    put `oldest + window - now` a hair above the window on a first request (61)."""
    return min(WINDOW_SECONDS, max(1, math.ceil(left)))


class MemoryCounter:
    """Counts for one process. `hit` never awaits, so on one event loop it runs atomically."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._since_sweep = 0

    async def hit(self, key: str, limit: int) -> Verdict:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        _forget_older_than(hits, now - WINDOW_SECONDS)
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        self._sweep_sometimes(now)
        return Verdict(allowed, limit - len(hits), _seconds_left(hits[0], now))

    def _sweep_sometimes(self, now: float) -> None:
        self._since_sweep += 1
        if self._since_sweep < SWEEP_EVERY_HITS:
            return
        self._since_sweep = 0
        idle = [key for key, hits in self._hits.items() if hits[-1] <= now - WINDOW_SECONDS]
        for key in idle:
            del self._hits[key]

    async def close(self) -> None:
        self._hits.clear()


def _forget_older_than(hits: deque[float], cutoff: float) -> None:
    while hits and hits[0] <= cutoff:
        hits.popleft()


# One sorted set per caller, scored by Redis' own clock in milliseconds (so several processes
# and machines agree on time). Trim, count, maybe add, all in one atomic script.
SLIDING_WINDOW_SCRIPT = """
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, now .. ':' .. ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', key, window)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local left = window
if oldest[2] then left = tonumber(oldest[2]) + window - now end
return {allowed, count, left}
"""


class RedisCounter:
    """Counts shared by every process using the same Redis (`KANBERT_REDIS_URL`)."""

    def __init__(self, url: str, key_prefix: str = REDIS_KEY_PREFIX) -> None:
        self._client = aioredis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._script = self._client.register_script(SLIDING_WINDOW_SCRIPT)
        self._key_prefix = key_prefix
        self._resting_until = 0.0

    async def hit(self, key: str, limit: int) -> Verdict | None:
        if time.monotonic() < self._resting_until:
            return None
        try:
            allowed, count, left_ms = await self._script(
                keys=[self._key_prefix + key],
                args=[limit, WINDOW_SECONDS * 1000, uuid.uuid4().hex],
            )
        except (RedisError, OSError) as problem:
            self._resting_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
            log.warning("Rate limits not enforced: Redis is unreachable (%s)", problem)
            return None
        return Verdict(bool(allowed), max(0, limit - int(count)), whole_seconds(left_ms / 1000))

    async def close(self) -> None:
        await self._client.aclose()


def make_counter(redis_url: str) -> Counter:
    return RedisCounter(redis_url) if redis_url else MemoryCounter()


def is_limited(path: str) -> bool:
    return path == LIMITED_PREFIX or path.startswith(f"{LIMITED_PREFIX}/") or path in LIMITED_PATHS


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def caller_key(scope: Scope) -> str:
    token = _bearer_token(scope)
    if token is not None:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


def _rate_headers(limit: int, verdict: Verdict) -> Headers:
    return [
        (b"ratelimit-limit", str(limit).encode()),
        (b"ratelimit-remaining", str(verdict.remaining).encode()),
        (b"ratelimit-reset", str(verdict.reset).encode()),
    ]


async def _refuse(send: Send, headers: Headers, retry_after: int) -> None:
    body = orjson.dumps({"message": TOO_MANY_ATTEMPTS})
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimitMiddleware:
    """Counts each request under /api/v1 (and the OAuth token endpoint) before anything else."""

    def __init__(self, app: ASGIApp, counter: Counter, limit: int) -> None:
        self.app = app
        self.counter = counter
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or not is_limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        verdict = await self.counter.hit(caller_key(scope), self.limit)
        if verdict is None:
            await self.app(scope, receive, send)
            return
        headers = _rate_headers(self.limit, verdict)
        if not verdict.allowed:
            await _refuse(send, headers, verdict.reset)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
