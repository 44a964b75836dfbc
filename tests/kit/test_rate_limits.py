"""Rate limits per token (auth.md §5): `RateLimit-*` headers, 429 + `Retry-After`, Redis sharing.

Each test builds its own app (same database as the session's `world`) with the limit it needs,
so its counters start empty. Redis tests use 127.0.0.1:6379 and delete the keys they made.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from kanbert.app import create_app
from kanbert.kit.ratelimit import REDIS_KEY_PREFIX, MemoryCounter, whole_seconds
from kanbert.settings import Settings

from live import free_port
from support import API, Api, Space

REDIS_URL = "redis://127.0.0.1:6379/0"
KANBERT = Path(sys.executable).parent / "kanbert"
STARTUP_SECONDS = 60


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    """A client of an app that allows 5 requests per minute, counted in memory."""
    with _client(settings, rate_limit_per_minute=5) as client:
        yield client


def _client(settings: Settings, **changes: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes)), base_url="http://testserver")


def _as(client: TestClient, space: Space) -> Api:
    """A new token of `space`, used through `client`."""
    return Api(client, space.token().token)


def _redis_key(token: str | None) -> str:
    assert token is not None
    return f"{REDIS_KEY_PREFIX}token:{hashlib.sha256(token.encode()).hexdigest()}"


@pytest.fixture
def redis_keys() -> Iterator[list[str]]:
    """Keys a test makes in Redis; deleted afterwards."""
    made: list[str] = []
    yield made
    with redis.Redis.from_url(REDIS_URL) as connection:
        if made:
            connection.delete(*made)


# --- headers and refusals -------------------------------------------------------------------


def test_every_api_response_carries_decreasing_rate_limit_headers(
    limited: TestClient, space: Space
) -> None:
    api = _as(limited, space)
    remaining = []
    for _ in range(3):
        response = api.get("/users")
        assert response.status_code == 200, response.text
        assert response.headers["RateLimit-Limit"] == "5"
        assert 1 <= int(response.headers["RateLimit-Reset"]) <= 60
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [4, 3, 2]
    # Errors count and are labelled too.
    missing = api.get("/users/00000000000000000000000000")
    assert missing.status_code == 404
    assert missing.headers["RateLimit-Remaining"] == "1"


def test_request_over_the_limit_is_refused_with_retry_after(
    limited: TestClient, space: Space
) -> None:
    api = _as(limited, space)
    for _ in range(5):
        assert api.get("/users").status_code == 200
    refused = api.get("/users")
    assert refused.status_code == 429
    assert refused.json() == {"message": "Too Many Attempts."}
    assert refused.headers["content-type"].startswith("application/json")
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    assert refused.headers["RateLimit-Limit"] == "5"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["RateLimit-Reset"] == retry_after
    # Writes are refused before they run.
    created = api.post("/user-group", json={"name": "Never"})
    assert created.status_code == 429
    assert all(group["name"] != "Never" for group in space.api.walk("/user-group"))


def test_the_601st_request_within_a_minute_is_refused_by_default(
    settings: Settings, space: Space
) -> None:
    default = Settings.model_fields["rate_limit_per_minute"].default
    assert default == 600
    with _client(settings, rate_limit_per_minute=default) as client:
        api = _as(client, space)
        started = time.monotonic()
        # An unknown path: answered by the router without any database work, yet counted.
        answers = [api.get("/no-such-thing") for _ in range(600)]
        refused = api.get("/no-such-thing")
        assert time.monotonic() - started < 60
    assert {answer.status_code for answer in answers} == {404}
    assert answers[0].headers["RateLimit-Remaining"] == "599"
    assert answers[-1].headers["RateLimit-Remaining"] == "0"
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_each_token_has_its_own_budget(limited: TestClient, space: Space) -> None:
    first, second = _as(limited, space), _as(limited, space)
    for _ in range(5):
        assert first.get("/users").status_code == 200
    assert first.get("/users").status_code == 429
    answer = second.get("/users")
    assert answer.status_code == 200
    assert answer.headers["RateLimit-Remaining"] == "4"
    # Without a token the caller's address is the key: its own budget, too.
    anonymous = Api(limited, None).get("/users")
    assert anonymous.status_code == 401
    assert anonymous.headers["RateLimit-Remaining"] == "4"


def test_zero_turns_the_limiter_off(settings: Settings, space: Space) -> None:
    with _client(settings, rate_limit_per_minute=0) as client:
        api = _as(client, space)
        answers = [api.get("/users") for _ in range(10)]
    assert {answer.status_code for answer in answers} == {200}
    assert not any(key.lower().startswith("ratelimit") for key in answers[-1].headers)


def test_health_docs_and_assets_are_not_limited(settings: Settings) -> None:
    with _client(settings, rate_limit_per_minute=1) as client:
        assert client.get("/api/v1/users").headers["RateLimit-Remaining"] == "0"
        assert client.get("/api/v1/users").status_code == 429
        for path in ("/health", "/docs", "/docs/assets/swagger-ui.css"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert "RateLimit-Limit" not in answer.headers, path
        # The OAuth token endpoint is limited like the API.
        assert client.post("/oauth/token").status_code == 429


def test_sliding_window_frees_one_slot_as_the_oldest_request_ages_out() -> None:
    now = [0.0]
    counter = MemoryCounter(clock=lambda: now[0])

    async def hit() -> tuple[bool, int, int]:
        verdict = await counter.hit("caller", 2)
        return verdict.allowed, verdict.remaining, verdict.reset

    assert asyncio.run(hit()) == (True, 1, 60)
    now[0] = 10.0
    assert asyncio.run(hit()) == (True, 0, 50)
    now[0] = 30.0
    assert asyncio.run(hit()) == (False, 0, 30)  # refused requests take no slot
    now[0] = 60.5
    assert asyncio.run(hit()) == (True, 0, 10)  # the first left; the second is 50.5 s old
    now[0] = 65.0
    assert asyncio.run(hit()) == (False, 0, 5)  # the second (t=10) frees next


# --- Redis ----------------------------------------------------------------------------------


def test_redis_backed_limit_counts_in_redis(
    settings: Settings, space: Space, redis_keys: list[str]
) -> None:
    with _client(settings, rate_limit_per_minute=3, redis_url=REDIS_URL) as client:
        api = _as(client, space)
        redis_keys.append(_redis_key(api.token))
        answers = [api.get("/users") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    with redis.Redis.from_url(REDIS_URL) as connection:
        assert connection.zcard(redis_keys[0]) == 3
        assert 0 < connection.pttl(redis_keys[0]) <= 60_000


def test_unreachable_redis_fails_open_with_a_warning(
    settings: Settings, space: Space, caplog: pytest.LogCaptureFixture
) -> None:
    closed_port = free_port()  # nothing listens there
    with (
        caplog.at_level(logging.WARNING, logger="kanbert.ratelimit"),
        _client(
            settings, rate_limit_per_minute=1, redis_url=f"redis://127.0.0.1:{closed_port}/0"
        ) as client,
    ):
        api = _as(client, space)
        answers = [api.get("/users") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert "RateLimit-Limit" not in answers[0].headers
    assert any("Redis is unreachable" in record.getMessage() for record in caplog.records)


def _serve(settings: Settings, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KANBERT_")}
    env.update(
        KANBERT_ENV="test",
        KANBERT_DATABASE_URL=settings.resolved_database_url,
        KANBERT_DATA_DIR=str(data_dir),
        KANBERT_SECRET_KEY=settings.resolved_secret_key,
        KANBERT_REDIS_URL=REDIS_URL,
        KANBERT_RATE_LIMIT_PER_MINUTE="4",
    )
    with log.open("wb") as output:
        return subprocess.Popen(
            [str(KANBERT), "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server at {base} did not start:\n{log.read_text()}")


@pytest.fixture
def two_servers(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two `kanbert serve` processes on one database and one Redis, limited to 4 a minute."""
    processes, bases = [], []
    try:
        for name in ("one", "two"):
            port, log = free_port(), tmp_path / f"{name}.log"
            processes.append(_serve(settings, tmp_path / name, port, log))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process, name in zip(bases, processes, ("one", "two"), strict=True):
            _wait_until_up(base, process, tmp_path / f"{name}.log")
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_server_processes_share_one_limit_through_redis(
    two_servers: tuple[str, str], space: Space, redis_keys: list[str]
) -> None:
    token = space.token().token
    redis_keys.append(_redis_key(token))
    headers = {"Authorization": f"Bearer {token}"}
    answers = [
        httpx.get(f"{base}{API}/users", headers=headers, timeout=10)
        for base in (*two_servers, *two_servers, *two_servers)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429, 429]
    assert [answer.headers["RateLimit-Remaining"] for answer in answers[:4]] == [
        "3",
        "2",
        "1",
        "0",
    ]
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in answers[4:])
    # Another token still has its whole budget on either process.
    other = {"Authorization": f"Bearer {space.token().token}"}
    redis_keys.append(_redis_key(other["Authorization"].removeprefix("Bearer ")))
    fresh = httpx.get(f"{two_servers[1]}{API}/users", headers=other, timeout=10)
    assert fresh.status_code == 200
    assert fresh.headers["RateLimit-Remaining"] == "3"


@pytest.mark.parametrize(
    ("left", "header"),
    [(60.000000001, 60), (59.2, 60), (0.2, 1), (0.0, 1), (-0.5, 1), (30.0, 30)],
)
def test_reset_is_whole_seconds_within_the_window(left: float, header: int) -> None:
    # A first request once announced 61: `oldest + 60 - now` came out a hair above 60.
    assert whole_seconds(left) == header
