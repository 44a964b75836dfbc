"""`python -m bench [--small] [--engine sqlite|postgresql|both]`: seed a fresh database, serve
it with `kanbert serve`, drive scenarios S1-S7 with wrk, measure the floor, write the table.

See bench/README.md for what each scenario and column means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
KANBERT = str(Path(sys.executable).parent / "kanbert")
POSTGRES_ADMIN = os.environ.get(
    "KANBERT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
INCLUDES = "project,watchers,client,parent_task,sub_tasks"
PATCHED_TASKS = 100


@dataclass(frozen=True)
class Size:
    name: str
    clients: int
    projects: int
    tasks: int
    comments: int
    efforts: int
    duration: int  # seconds of load per scenario and server


SIZES = {
    "full": Size("full", 500, 5000, 200_000, 600_000, 300_000, 15),
    "small": Size("small", 50, 200, 5_000, 10_000, 5_000, 5),
}

# A request as wrk sends it: method, path, JSON body ("" for none), flags ("idem").
Request = tuple[str, str, str, str]


@dataclass
class Scenario:
    name: str
    title: str
    requests: list[Request]
    write: bool = False
    sql: float | None = None
    alone_ms: float | None = None
    ours: dict[str, Any] = field(default_factory=dict)
    floor: dict[str, Any] = field(default_factory=dict)


class Failed(RuntimeError):
    pass


# -- HTTP -------------------------------------------------------------------------------------


def call(
    port: int,
    method: str,
    path: str,
    token: str | None = None,
    body: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=body.encode() if body else None,
        headers={
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **({"Content-Type": "application/json"} if body else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as problem:
        return problem.code, problem.read()


def api(port: int, token: str, path: str) -> Any:
    status, body = call(port, "GET", f"/api/v1{path}", token)
    if status != 200:
        raise Failed(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body)


class Server:
    """A server process we started; stopped with SIGTERM (then SIGKILL) by its own pid."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, port: int, path: str, token: str | None = None) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failed(f"server exited with {self.process.returncode}; see {self.log.name}")
            try:
                if call(port, "GET", path, token)[0] < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise Failed("server did not start within 120 s")

    def reset_peak_rss(self) -> None:
        # Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0), so each scenario gets its peak.
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak_rss_mb(self) -> float | None:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- load -------------------------------------------------------------------------------------


def wrk(port: int, requests: list[Request], token: str, duration: int, args: Any) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as listing:
        listing.write("".join("\t".join(request) + "\n" for request in requests))
    env = {
        **os.environ,
        "BENCH_REQUESTS": listing.name,
        "BENCH_TOKEN": token,
        "BENCH_RUN": secrets.token_hex(4),
    }
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(HERE / "requests.lua"),
        f"http://127.0.0.1:{port}",
    ]
    try:
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    finally:
        os.unlink(listing.name)
    line = next(
        (row for row in output.stdout.splitlines() if row.startswith("BENCH_RESULT ")), None
    )
    if line is None:
        raise Failed(f"wrk printed no result:\n{output.stdout}\n{output.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    return result


# -- the run of one engine --------------------------------------------------------------------


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _postgres_version(dsn: str) -> str:
    async def ask() -> str:
        import asyncpg

        connection = await asyncpg.connect(dsn)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    return asyncio.run(ask())


def scenarios(port: int, token: str) -> list[Scenario]:
    """The requests of S1-S7, with ids taken from the seeded space."""
    page = api(port, token, f"/tasks?page[size]=100&sort=-updated_at&include={INCLUDES}")
    rows = page["data"]
    task = rows[0]
    assignees = Counter(row["assignee"]["id"] for row in rows if row.get("assignee"))
    watchers = Counter(user["id"] for row in rows for user in row.get("watchers") or [])
    if not assignees or not watchers:
        raise Failed("the seeded tasks have no assignees or watchers")
    assignee, watcher = assignees.most_common(1)[0][0], watchers.most_common(1)[0][0]
    first = "/api/v1/tasks?page[size]=50&sort=-updated_at"
    following = api(port, token, first.removeprefix("/api/v1"))["meta"]["next_cursor_url"]
    parts = urlsplit(following)
    second = f"{parts.path}?{parts.query}"

    def get(path: str) -> Request:
        return ("GET", path, "", "")

    def dsl(text: str) -> str:
        return quote(text, safe="")

    s3 = f"status = 'WIP' and assignee.id = '{assignee}'"
    s4 = f"watchers any (id = '{watcher}') and sub_tasks none (status = 'Closed')"
    create = json.dumps({"project_id": task["project"]["id"], "title": "Bench task"})
    return [
        Scenario("S1", "GET /tasks/{id}", [get(f"/api/v1/tasks/{task['id']}")]),
        Scenario("S2", "GET /tasks page 1 + next (50, -updated_at)", [get(first), get(second)]),
        Scenario("S3", "filter status + assignee", [get(f"/api/v1/tasks?filter={dsl(s3)}")]),
        Scenario("S4", "watchers any + sub_tasks none", [get(f"/api/v1/tasks?filter={dsl(s4)}")]),
        Scenario(
            "S5",
            "projects: tags count >= 2",
            [get(f"/api/v1/projects?filter={dsl('tags count >= 2')}")],
        ),
        Scenario(
            "S6",
            "tasks with 5 includes (50)",
            [get(f"/api/v1/tasks?include={INCLUDES}&page[size]=50")],
        ),
        Scenario(
            "S7a",
            "POST /tasks + Idempotency-Key",
            [("POST", "/api/v1/tasks", create, "idem")],
            True,
        ),
        Scenario(
            "S7b",
            "PATCH /tasks/{id} (100 tasks)",
            [
                ("PATCH", f"/api/v1/tasks/{row['id']}", json.dumps({"title": f"Bench {n}"}), "")
                for n, row in enumerate(rows[:PATCHED_TASKS])
            ],
            True,
        ),
    ]


def record(port: int, token: str, plan: list[Scenario]) -> dict[str, list[list[tuple[str, Any]]]]:
    """Statements per request (one request at a time), and the reads' statements for the
    floor; every request must succeed before any load is put on it."""
    reads: dict[str, list[list[tuple[str, Any]]]] = {}
    for scenario in plan:
        counts = []
        recorded = []
        took: list[float] = []
        for method, path, body, flags in scenario.requests[:3]:
            call(port, "POST", "/__bench/record")
            headers = {"Idempotency-Key": secrets.token_hex(8)} if flags == "idem" else None
            started = time.perf_counter()
            status, answer = call(port, method, path, token, body, headers)
            took.append(time.perf_counter() - started)
            if status >= 300:
                raise Failed(f"{scenario.name} {method} {path} answered {status}: {answer[:300]!r}")
            statements = pickle.loads(call(port, "GET", "/__bench/record")[1])["statements"]
            counts.append(len(statements))
            recorded.append(statements)
        scenario.sql = sum(counts) / len(counts)
        # One request alone (recording on, so a little above the served figure).
        scenario.alone_ms = min(took) * 1000
        if not scenario.write:
            reads[scenario.name] = recorded
    return reads


def run_engine(engine: str, size: Size, args: Any) -> tuple[list[Scenario], dict[str, str]]:
    workdir = Path(tempfile.mkdtemp(prefix="kanbert-bench-"))
    database = None
    plan_info: dict[str, Any] = {"engine": engine}
    if engine == "sqlite":
        path = workdir / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        plan_info["sqlite_path"] = str(path)
    else:
        database = f"kanbert_bench_{secrets.token_hex(4)}"
        asyncio.run(_admin(f"CREATE DATABASE {database}"))
        base = POSTGRES_ADMIN.rsplit("/", 1)[0]
        plan_info["postgres_dsn"] = f"{base}/{database}"
        url = plan_info["postgres_dsn"].replace("postgresql://", "postgresql+asyncpg://")
    env = {
        **os.environ,
        "KANBERT_DATABASE_URL": url,
        "KANBERT_DATA_DIR": str(workdir / "data"),
        "KANBERT_SECRET_KEY": "bench-secret-" + "b" * 40,
        "KANBERT_RATE_LIMIT_PER_MINUTE": "0",
        "KANBERT_EMBEDDED_WORKER": "false",
        "BENCH_PORT": str(args.port),
    }
    servers: list[Server] = []
    try:
        created = subprocess.run(
            [KANBERT, "init", "--space", "Bench", "--owner-email", "owner@bench.example", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        space = json.loads(created.stdout)
        token = space["token"]
        print(f"== {engine}, {size.name}: seeding", flush=True)
        started = time.monotonic()
        subprocess.run(
            [
                KANBERT,
                "seed",
                "--space-id",
                space["space_id"],
                "--clients",
                str(size.clients),
                "--projects",
                str(size.projects),
                "--tasks",
                str(size.tasks),
                "--comments",
                str(size.comments),
                "--efforts",
                str(size.efforts),
                "--seed",
                "1",
            ],
            env=env,
            check=True,
        )
        seeded_in = time.monotonic() - started
        if engine == "postgresql":
            # Fresh statistics, as autovacuum would have them on a database in use.
            subprocess.run(["psql", plan_info["postgres_dsn"], "-qc", "ANALYZE"], check=True)

        recorder = Server([sys.executable, "-m", "bench.serve"], env, workdir / "recorder.log")
        servers.append(recorder)
        recorder.wait_ready(args.port, "/api/v1/whoami", token)
        plan = scenarios(args.port, token)
        named = {scenario.name: scenario for scenario in plan}
        plan_info["project_id"] = json.loads(named["S7a"].requests[0][2])["project_id"]
        plan_info["user_id"] = space["owner_id"]
        plan_info["patch_task_ids"] = [
            request[1].rsplit("/", 1)[1] for request in named["S7b"].requests
        ]
        if args.only:
            plan = [scenario for scenario in plan if scenario.name in args.only.split(",")]
        plan_info["reads"] = record(args.port, token, plan)
        recorder.stop()
        servers.remove(recorder)

        duration = args.duration or size.duration
        print(f"== {engine}, {size.name}: kanbert serve", flush=True)
        ours = Server(
            [KANBERT, "serve", "--host", "127.0.0.1", "--port", str(args.port)],
            env,
            workdir / "serve.log",
        )
        servers.append(ours)
        ours.wait_ready(args.port, "/api/v1/whoami", token)
        for scenario in plan:
            wrk(args.port, scenario.requests, token, 1, args)  # warm-up
            ours.reset_peak_rss()
            scenario.ours = wrk(args.port, scenario.requests, token, duration, args)
            scenario.ours["rss_mb"] = ours.peak_rss_mb()
            print(f"   {scenario.name}: {_brief(scenario.ours)}", flush=True)
        ours.stop()
        servers.remove(ours)

        print(f"== {engine}, {size.name}: floor", flush=True)
        plan_file = workdir / "plan.pickle"
        plan_file.write_bytes(pickle.dumps(plan_info))
        floor = Server(
            [sys.executable, "-m", "bench.floor"],
            {**env, "BENCH_PLAN": str(plan_file)},
            workdir / "floor.log",
        )
        servers.append(floor)
        floor.wait_ready(args.port, "/S1/0")
        for scenario in plan:
            if scenario.name == "S7b":
                paths = [("PATCH", f"/S7b/{n}", "{}", "") for n in range(len(scenario.requests))]
            elif scenario.write:
                paths = [("POST", f"/{scenario.name}/0", "{}", "")]
            else:
                paths = [
                    ("GET", f"/{scenario.name}/{n}", "", "") for n in range(len(scenario.requests))
                ]
            wrk(args.port, paths, "", 1, args)
            scenario.floor = wrk(args.port, paths, "", duration, args)
            print(f"   {scenario.name}: {_brief(scenario.floor)}", flush=True)
        floor.stop()
        servers.remove(floor)

        versions = {"SQLite": sqlite3.sqlite_version}
        if engine == "postgresql":
            versions["PostgreSQL"] = _postgres_version(plan_info["postgres_dsn"])
        versions["seeded in"] = f"{seeded_in:.0f} s"
        versions["duration"] = f"{duration} s per scenario and server"
        return plan, versions
    finally:
        for server in servers:
            server.stop()
        if database is not None:
            asyncio.run(_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        if args.keep:
            print(f"   kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _brief(result: dict[str, Any]) -> str:
    return (
        f"{result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.1f} ms, "
        f"p99 {result['p99_us'] / 1000:.1f} ms, {result['errors']} errors "
        f"({result['non_2xx']} non-2xx, {result['connect']} connect, {result['read']} read, "
        f"{result['write']} write, {result['timeout']} timeouts)"
    )


# -- the report -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    system = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        found = re.search(r'PRETTY_NAME="([^"]+)"', release.read_text())
        system = found.group(1) if found else system
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[
        0
    ]
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "unknown",
        "OS": f"{system} (kernel {platform.release()})",
        "Python": platform.python_version(),
        "load generator": wrk_version.strip(),
        # Other work on the machine skews every figure: say how busy it was.
        "load average at the end (1/5/15 min)": " / ".join(f"{n:.1f}" for n in os.getloadavg()),
    }


def table(
    engine: str, size: Size, plan: list[Scenario], versions: dict[str, str], args: Any
) -> str:
    lines = [
        f"# Kanbert benchmark: {engine}, {size.name}",
        "",
        f"{size.tasks:,} tasks, {size.projects:,} projects, {size.clients:,} clients, "
        f"{size.comments:,} comments, {size.efforts:,} efforts; wrk with {args.connections} "
        f"connections and {args.threads} threads on the same machine; run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | errors | SQL/req | alone ms | peak RSS MB "
        "| floor req/s | floor p50 ms | floor p99 ms | ours/floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in plan:
        ours, floor = scenario.ours, scenario.floor
        ratio = ours["rps"] / floor["rps"] if floor.get("rps") else float("nan")
        rss = f"{ours['rss_mb']:.0f}" if ours.get("rss_mb") is not None else "-"
        lines.append(
            f"| {scenario.name} {scenario.title} | {ours['rps']:.0f} | {ours['p50_us'] / 1000:.1f} "
            f"| {ours['p99_us'] / 1000:.1f} | {ours['errors']} | {scenario.sql:.1f} "
            f"| {scenario.alone_ms:.1f} | {rss} | {floor['rps']:.0f} "
            f"| {floor['p50_us'] / 1000:.1f} | {floor['p99_us'] / 1000:.1f} | {ratio:.2f} |"
        )
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in {**machine(), **versions}.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--small", action="store_true", help="about 5k tasks instead of 200k")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--duration", type=int, help="seconds per scenario (5 small, 15 full)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=18731)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--only", help="comma-separated scenarios to load, e.g. S1,S6")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (Debian/Ubuntu).")
    size = SIZES["small" if args.small else "full"]
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    RESULTS.mkdir(exist_ok=True)
    for engine in engines:
        plan, versions = run_engine(engine, size, args)
        report = table(engine, size, plan, versions, args)
        target = RESULTS / f"{engine}-{size.name}.md"
        target.write_text(report)
        print(report, flush=True)
        print(f"written to {target.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
