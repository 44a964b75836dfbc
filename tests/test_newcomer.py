"""What a newcomer does first: `make run` (`kanbert serve --demo`) and the `kanbert` CLI.

The server runs as a real subprocess on a free port with a fresh, empty data directory; on
PostgreSQL it is pointed at the session's test database, on SQLite it must create its own
database file inside the data directory.
"""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kanbert.settings import Settings

from support import API, Space, World

KANBERT = Path(sys.executable).parent / "kanbert"
STARTUP_SECONDS = 60
TOKEN_LINE = re.compile(r"^Token \(all scopes\): (kbt_[A-Za-z0-9_-]+)\s*$")
DEMO_CLIENTS = {
    "Acme Corporation": "ACME",
    "Globex": "GLX",
    "Initech": "INIT",
    "Umbrella Tax Advisors": "UMB",
    "Stark Industries": "STARK",
}


def _engine() -> str:
    return os.environ.get("KANBERT_TEST_DB", "sqlite")


def _env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The caller's environment without any KANBERT_ setting, plus the given ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KANBERT_")}
    env["KANBERT_DATA_DIR"] = str(data_dir)
    if database_url:
        env["KANBERT_DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "200"  # rich wraps messages at 80 columns when not on a terminal
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _kanbert(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KANBERT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _json_output(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # exactly one JSON object, nothing else on stdout
    body: dict[str, Any] = json.loads(lines[0])
    return body


class Server:
    """`kanbert serve --demo` in a subprocess; its merged stdout/stderr is read on a thread."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [str(KANBERT), "serve", "--demo", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def output(self) -> str:
        self._drain()
        return "\n".join(self.lines)

    def _drain(self) -> None:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.lines.append(line)

    def wait_for_token(self, deadline: float) -> str:
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if line is None:  # output closed: the server exited
                break
            self.lines.append(line)
            found = TOKEN_LINE.match(line)
            if found:
                return found.group(1)
        pytest.fail(
            f"`kanbert serve --demo` printed no token line (waited up to {STARTUP_SECONDS} s; "
            f"exit code {self.process.poll()}); output:\n{self.output()}"
        )

    def wait_for_health(self, deadline: float) -> None:
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                response = httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2)
            except httpx.TransportError as problem:
                last = repr(problem)
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            time.sleep(0.2)
        pytest.fail(f"/health never answered 200 ({last}); output:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._reader.join(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def demo_server(tmp_path: Path, settings: Settings) -> Iterator[tuple[Server, Path]]:
    data_dir = tmp_path / "data"  # does not exist yet: a newcomer's first `make run`
    database_url = settings.database_url if _engine() == "postgresql" else None
    if _engine() == "postgresql":
        assert settings.database_url.startswith("postgresql")
    server = Server(_env(data_dir, database_url), _free_port())
    try:
        yield server, data_dir
    finally:
        server.stop()
        assert server.process.poll() is not None, "the server process is still running"


def test_make_run_serves_the_demo_space(demo_server: tuple[Server, Path]) -> None:
    server, data_dir = demo_server
    deadline = time.monotonic() + STARTUP_SECONDS
    token = server.wait_for_token(deadline)
    base = f"http://127.0.0.1:{server.port}"
    assert f"Kanbert is running at {base}/api/v1" in server.output()
    server.wait_for_health(deadline)

    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        whoami = http.get(f"{API}/whoami")
        assert whoami.status_code == 200, whoami.text
        me = whoami.json()
        assert me["type"] == "integration", me
        assert me["space"]["name"] == "Demo Agency", me
        space = http.get(f"{API}/space")
        assert space.status_code == 200, space.text
        assert space.json()["id"] == me["space"]["id"]
        assert space.json()["name"] == "Demo Agency"

        listed = http.get(f"{API}/clients", params={"page[size]": 100})
        assert listed.status_code == 200, listed.text
        clients = listed.json()["data"]
        assert {c["name"]: c["shortcode"] for c in clients} == DEMO_CLIENTS, clients
        for client in clients:
            assert client["primary_contact"]["space"]["id"] == me["space"]["id"], client
        assert http.get("/docs").status_code == 200
        assert (
            http.get(f"{API}/whoami", headers={"Authorization": "Bearer kbt_x"}).status_code == 401
        )

    if _engine() == "sqlite":
        # No KANBERT_DATABASE_URL: the default SQLite file inside the data directory.
        assert (data_dir / "kanbert.db").is_file(), sorted(p.name for p in data_dir.iterdir())
    # No KANBERT_SECRET_KEY outside production: one is generated once, readable by us only.
    secret_file = data_dir / "secret_key"
    assert secret_file.is_file()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= 32


@pytest.mark.parametrize(
    "secret",
    [None, "", "change-me", "short-but-not-a-default"],
    ids=["unset", "empty", "default", "short"],
)
def test_production_refuses_to_serve_without_a_real_secret(
    tmp_path: Path, secret: str | None
) -> None:
    extra = {"KANBERT_ENV": "production"}
    if secret is not None:
        extra["KANBERT_SECRET_KEY"] = secret
    env = _env(tmp_path, **extra)
    result = _kanbert(env, "serve", "--port", str(_free_port()))
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "KANBERT_SECRET_KEY" in result.stdout + result.stderr, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "kanbert.db").exists()  # refused before touching the database


def test_init_creates_a_space_with_a_working_token(
    tmp_path: Path, settings: Settings, world: World
) -> None:
    env = _env(tmp_path, settings.resolved_database_url)
    email = "founder@newcomer.example"
    created = _json_output(
        _kanbert(env, "init", "--space", "Newcomer Ltd", "--owner-email", email, "--json")
    )
    assert set(created) == {"space_id", "owner_id", "integration_id", "token"}, created
    assert created["token"].startswith("kbt_")
    headers = {"Authorization": f"Bearer {created['token']}"}

    whoami = world.client.get(f"{API}/whoami", headers=headers)
    assert whoami.status_code == 200, whoami.text
    me = whoami.json()
    assert me["id"] == created["integration_id"]
    assert me["type"] == "integration"
    assert me["space"] == {"id": created["space_id"], "name": "Newcomer Ltd"}
    users = world.client.get(f"{API}/users", headers=headers)
    assert users.status_code == 200, users.text
    owner = [u for u in users.json()["data"] if u["id"] == created["owner_id"]]
    assert len(owner) == 1 and owner[0]["email"] == email, users.json()
    # The all-scope token may write.
    made = world.client.post(f"{API}/clients", json={"name": "First"}, headers=headers)
    assert made.status_code == 201, made.text

    # A personal token for the owner, by e-mail.
    personal = _json_output(
        _kanbert(
            env,
            *("token", "create", "--space-id", created["space_id"], "--name", "laptop"),
            *("--scopes", "client:read", "--user-email", email, "--json"),
        )
    )
    me = world.client.get(
        f"{API}/whoami", headers={"Authorization": f"Bearer {personal['token']}"}
    ).json()
    assert me["id"] == created["owner_id"] and me["type"] == "user", me


def test_init_refuses_a_short_owner_password(tmp_path: Path, settings: Settings) -> None:
    env = _env(tmp_path, settings.resolved_database_url)
    result = _kanbert(
        env, "init", "--space", "X", "--owner-email", "x@example.com", "--owner-password", "short"
    )
    assert result.returncode != 0, result.stdout
    assert "12 characters" in result.stderr, result.stderr


def test_token_create_issues_exactly_the_given_scopes(
    tmp_path: Path, settings: Settings, space: Space
) -> None:
    env = _env(tmp_path, settings.resolved_database_url)
    issued = _json_output(
        _kanbert(
            env,
            *("token", "create", "--space-id", space.id, "--name", "Read only sync"),
            *("--scopes", "client:read", "--json"),
        )
    )
    assert set(issued) == {"token", "integration_id", "scopes"}, issued
    assert issued["scopes"] == ["client:read"]
    assert issued["token"].startswith("kbt_")
    headers = {"Authorization": f"Bearer {issued['token']}"}
    client = space.world.client

    me = client.get(f"{API}/whoami", headers=headers).json()
    assert me["id"] == issued["integration_id"], me
    assert me["type"] == "integration" and me["space"]["id"] == space.id, me
    refused = client.post(f"{API}/clients", json={"name": "Nope"}, headers=headers)
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"message": "This action requires the scope client:write."}
    allowed = client.get(f"{API}/clients/full", headers=headers)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["data"] == []  # nothing was created by the refused request

    # Several scopes, space-separated; echoed in the canonical order, without duplicates.
    several = _json_output(
        _kanbert(
            env,
            *("token", "create", "--space-id", space.id, "--name", "Read only sync"),
            *("--scopes", "client:write client:read client:write", "--json"),
        )
    )
    assert several["scopes"] == ["client:read", "client:write"], several
    assert several["integration_id"] == issued["integration_id"]  # same integration, by name


def test_token_create_rejects_unknown_scopes_and_spaces(
    tmp_path: Path, settings: Settings, space: Space
) -> None:
    env = _env(tmp_path, settings.resolved_database_url)
    unknown_scope = _kanbert(
        env,
        *("token", "create", "--space-id", space.id, "--name", "n"),
        *("--scopes", "client:read clients:admin", "--json"),
    )
    assert unknown_scope.returncode != 0, unknown_scope.stdout
    assert unknown_scope.stdout == ""
    assert "clients:admin" in unknown_scope.stderr, unknown_scope.stderr

    unknown_space = _kanbert(
        env,
        *("token", "create", "--space-id", "no-such-space", "--name", "n"),
        *("--scopes", "client:read", "--json"),
    )
    assert unknown_space.returncode != 0, unknown_space.stdout
    assert unknown_space.stdout == ""
    assert "no-such-space" in unknown_space.stderr, unknown_space.stderr
