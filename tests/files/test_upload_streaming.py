"""A real `kanbert serve` subprocess streams uploads: 100 MiB against the 25 MiB default limit
is refused with 413, leaves nothing behind, and the server's peak memory barely moves."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.files.models import StoredFile
from kanbert.settings import Settings

from support import API, World

KANBERT = Path(sys.executable).parent / "kanbert"
TOKEN_LINE = re.compile(r"^Token \(all scopes\): (kbt_[A-Za-z0-9_-]+)\s*$")
MIB = 1024 * 1024
LIMIT = 25 * MIB  # the default KANBERT_MAX_UPLOAD_BYTES
STARTUP_SECONDS = 60


def _engine() -> str:
    return os.environ.get("KANBERT_TEST_DB", "sqlite")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _memory_kib(pid: int, field: str) -> int:
    """VmHWM (peak resident set size) or VmRSS (current) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB$", status, re.MULTILINE)
    assert found, status
    return int(found.group(1))


def _reset_peak(pid: int) -> int:
    """Reset VmHWM to the current RSS (Linux: `5` in clear_refs) and return that RSS.

    Without the reset a peak reached while starting (demo seeding, password hashing) could
    hide an upload's growth below it.
    """
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _memory_kib(pid, "VmRSS")


class DemoServer:
    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("KANBERT_")}
        env.update(KANBERT_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        if database_url:
            env["KANBERT_DATABASE_URL"] = database_url
        self.port = _free_port()
        self.process = subprocess.Popen(
            [str(KANBERT), "serve", "--demo", "--port", str(self.port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.token: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            found = TOKEN_LINE.match(line)
            if found:
                self.token = found.group(1)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.token:
                try:
                    if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        pytest.fail("the server did not start:\n" + "\n".join(self.lines))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._reader.join(timeout=15)


@pytest.fixture
def server(tmp_path: Path, settings: Settings) -> Iterator[tuple[DemoServer, Path]]:
    data_dir = tmp_path / "data"
    database_url = settings.database_url if _engine() == "postgresql" else None
    demo = DemoServer(data_dir, database_url)
    try:
        demo.wait_ready()
        yield demo, data_dir
    finally:
        demo.stop()


def _multipart(client_id: str, size: int) -> Iterator[bytes]:
    """A chunked (no Content-Length) multipart body whose file has `size` bytes."""
    yield (
        '--b\r\nContent-Disposition: form-data; name="entity_type"\r\n\r\nclient\r\n'
        f'--b\r\nContent-Disposition: form-data; name="entity_id"\r\n\r\n{client_id}\r\n'
        '--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    chunk = b"\x5a" * MIB
    for _ in range(size // MIB):
        yield chunk
    yield b"\r\n--b--\r\n"


def _rows(world: World, data_dir: Path, client_id: str) -> int:
    if _engine() == "sqlite":
        with sqlite3.connect(data_dir / "kanbert.db") as connection:
            found = connection.execute(
                "SELECT count(*) FROM files WHERE entity_id = ?", (client_id,)
            ).fetchone()
        return int(found[0])

    async def count(session: AsyncSession) -> int:
        query = select(func.count()).select_from(StoredFile).filter_by(entity_id=client_id)
        return int(await session.scalar(query) or 0)

    return world.run(count)


def test_big_uploads_stream_with_flat_memory(server: tuple[DemoServer, Path], world: World) -> None:
    demo, data_dir = server
    headers = {"Authorization": f"Bearer {demo.token}"}
    with httpx.Client(base_url=f"{demo.url}{API}", headers=headers, timeout=120) as http:
        clients = http.get("/clients")
        assert clients.status_code == 200, clients.text
        client_id = clients.json()["data"][0]["id"]
        content_type = {"Content-Type": "multipart/form-data; boundary=b"}
        # Warm up every code path once, so the baseline includes them.
        small = http.post("/files", content=_multipart(client_id, MIB), headers=content_type)
        assert small.status_code == 201, small.text
        baseline = _reset_peak(demo.process.pid)

        # 20 MiB is under the limit: stored whole, byte-exact, memory flat.
        kept = http.post("/files", content=_multipart(client_id, 20 * MIB), headers=content_type)
        assert kept.status_code == 201, kept.text
        assert kept.json()["size"] == 20 * MIB
        stored = data_dir / "files" / kept.json()["id"]
        assert stored.stat().st_size == 20 * MIB
        with http.stream("GET", f"/files/{kept.json()['id']}/download") as download:
            assert download.status_code == 200
            assert download.headers["content-length"] == str(20 * MIB)
            received = sum(len(part) for part in download.iter_bytes())
        assert received == 20 * MIB

        # 100 MiB against 25 MiB, streamed without a Content-Length: refused while reading.
        refused = http.post(
            "/files", content=_multipart(client_id, 100 * MIB), headers=content_type
        )
        assert refused.status_code == 413, refused.text
        assert refused.json() == {"message": f"The file is over the upload limit of {LIMIT} bytes."}

        growth_mib = (_memory_kib(demo.process.pid, "VmHWM") - baseline) / 1024
        assert growth_mib < 30, f"peak RSS grew by {growth_mib:.1f} MiB"

    # With a Content-Length over the limit, refused before any of the body is sent.
    with socket.create_connection(("127.0.0.1", demo.port), timeout=30) as raw:
        raw.sendall(
            (
                f"POST {API}/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {demo.token}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {100 * MIB}\r\n\r\n"
            ).encode()
        )
        assert raw.recv(65536).startswith(b"HTTP/1.1 413 ")

    assert demo.process.poll() is None, "the server died"
    # Nothing of the refused upload remains: no file, no temporary file, no row.
    names = sorted(path.name for path in (data_dir / "files").iterdir())
    assert names == sorted([small.json()["id"], kept.json()["id"]])
    assert _rows(world, data_dir, client_id) == 2
