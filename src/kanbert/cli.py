"""The `kanbert` command line: serve, migrate, init, token create, oauth-client create."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.db.engine import make_engine, make_sessionmaker
from kanbert.db.migrate import upgrade
from kanbert.settings import Settings

app = typer.Typer(help="Kanbert API server.", no_args_is_help=True, add_completion=False)
token_app = typer.Typer(help="Integration and personal tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
oauth_client_app = typer.Typer(help="OAuth 2.0 clients (third-party apps).", no_args_is_help=True)
app.add_typer(oauth_client_app, name="oauth-client")
console = Console(stderr=True)
T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as problem:
        console.print(f"[red]Invalid settings:[/red] {problem}")
        raise typer.Exit(2) from None


def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = make_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = _settings()
    upgrade(settings.resolved_database_url)
    console.print("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[
        bool, typer.Option(help="Create a demo space if empty; print a token.")
    ] = False,
) -> None:
    """Migrate, then serve the API."""
    import uvicorn

    from kanbert.app import create_app
    from kanbert.spaces.service import demo_token, ensure_demo_space

    settings = _settings()
    upgrade(settings.resolved_database_url)
    bind_host, bind_port = host or settings.host, port or settings.port
    if demo:

        async def prepare(session: AsyncSession) -> str:
            space_id, _created = await ensure_demo_space(session)
            return await demo_token(session, space_id)

        token = _in_transaction(settings, prepare)
        url = f"http://{bind_host}:{bind_port}"
        print(f"Kanbert is running at {url}/api/v1  (docs: {url}/docs)", flush=True)
        print(f"Token (all scopes): {token}", flush=True)
        print(f"Try: curl -H 'Authorization: Bearer {token}' {url}/api/v1/whoami", flush=True)
    application = create_app(settings)
    _tune_garbage_collector()
    uvicorn.run(application, host=bind_host, port=bind_port, log_level="info")


def _tune_garbage_collector() -> None:
    """Fewer, cheaper collections while serving (measured in bench/README.md).

    A list page creates tens of thousands of short-lived objects (rows, ORM states, dicts),
    so with the default threshold of 700 allocations the collector ran many times per
    request, and each older-generation pass walked every long-lived object of the process
    (modules, the mapped classes, SQLAlchemy's statement caches). Freezing what exists once
    the app is built takes those out of every later pass; a larger first threshold lets a
    request's garbage die young in fewer passes. Reference counting still frees nearly all
    of it at once; the collector only finds cycles.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


@app.command()
def worker(
    batch_size: Annotated[
        int, typer.Option(min=1, max=500, help="Deliveries claimed at once.")
    ] = 50,
) -> None:
    """Deliver webhooks (beside or instead of the worker embedded in `serve`); stops on SIGTERM."""
    import signal

    from kanbert.db.engine import make_engine, make_sessionmaker
    from kanbert.webhooks.worker import Worker

    settings = _settings()
    upgrade(settings.resolved_database_url)

    async def run() -> None:
        engine = make_engine(settings.resolved_database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        worker = Worker(make_sessionmaker(engine), settings, batch_size=batch_size)
        print(f"Webhook worker {worker.name} started.", flush=True)
        try:
            await worker.run(stop)
        finally:
            await engine.dispose()

    asyncio.run(run())


@app.command()
def init(
    space: Annotated[str, typer.Option(help="Name of the new space.")],
    owner_email: Annotated[str, typer.Option(help="E-mail of the space's owner.")],
    owner_password: Annotated[str | None, typer.Option(help="Owner's password.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a space, its owner and an integration with an all-scope token."""
    from kanbert.spaces.service import create_space

    if owner_password is not None and len(owner_password) < 12:
        _fail("The owner password must be at least 12 characters.")
    settings = _settings()
    upgrade(settings.resolved_database_url)
    created = _in_transaction(
        settings, lambda session: create_space(session, space, owner_email, owner_password)
    )
    result = {
        "space_id": created.space_id,
        "owner_id": created.owner_id,
        "integration_id": created.integration_id,
        "token": created.token,
    }
    _print(result, as_json)


@app.command()
def seed(
    space_id: Annotated[str, typer.Option(help="The existing space to fill.")],
    clients: Annotated[int, typer.Option(min=1)] = 50,
    projects: Annotated[int, typer.Option(min=1)] = 200,
    tasks: Annotated[int, typer.Option(min=0)] = 5000,
    comments: Annotated[int, typer.Option(min=0)] = 10000,
    efforts: Annotated[int, typer.Option(min=0)] = 5000,
    seed: Annotated[int, typer.Option(help="Same seed, same rows and ids.")] = 1,
) -> None:
    """Fill a space with realistic generated data (bulk inserts, no webhook events)."""
    import time

    from kanbert.seed import NoSpace, Sizes, seed_database

    settings = _settings()
    upgrade(settings.resolved_database_url)
    sizes = Sizes(clients, projects, tasks, comments, efforts)
    started = time.monotonic()
    try:
        seeded = asyncio.run(
            seed_database(settings.resolved_database_url, space_id, sizes, seed, console)
        )
    except NoSpace:
        _fail(f"No space with id {space_id}.")
    rows = ", ".join(f"{count} {table}" for table, count in seeded.counts.items())
    console.print(f"Seeded in {time.monotonic() - started:.1f} s: {rows}.")


@token_app.command("create")
def token_create(
    space_id: Annotated[str, typer.Option(help="The space the token acts in.")],
    name: Annotated[str, typer.Option(help="Integration (or token) name.")],
    scopes: Annotated[str, typer.Option(help='Space-separated, e.g. "client:read client:write".')],
    expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
    user_email: Annotated[
        str | None, typer.Option(help="Issue a personal token for this existing user instead.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a token with exactly the given scopes."""
    from kanbert.auth.tokens import check_scopes, integration_user, issue_token
    from kanbert.spaces.models import Space
    from kanbert.users.models import User

    try:
        wanted = check_scopes(scopes.split())
    except ValueError as problem:
        _fail(str(problem))
    settings = _settings()
    upgrade(settings.resolved_database_url)

    async def create(session: AsyncSession) -> dict[str, Any] | None:
        if await session.get(Space, space_id) is None:
            return None
        user: User | None
        if user_email is None:
            user = await integration_user(session, space_id, name)
        else:
            user = await session.scalar(
                select(User).where(
                    User.space_id == space_id, func.lower(User.email) == user_email.lower()
                )
            )
        if user is None:
            return {"error": f"No user with e-mail {user_email} in space {space_id}."}
        _token, secret = await issue_token(session, user, name, wanted, expires_in_days)
        return {"token": secret, "integration_id": user.id, "scopes": wanted}

    result = _in_transaction(settings, create)
    if result is None:
        _fail(f"No space with id {space_id}.")
    elif "error" in result:
        _fail(result["error"])
    else:
        _print(result, as_json)


@oauth_client_app.command("create")
def oauth_client_create(
    space_id: Annotated[str, typer.Option(help="The space whose users the app may act for.")],
    name: Annotated[str, typer.Option(help="The app's name, shown on the consent screen.")],
    redirect_uri: Annotated[
        list[str], typer.Option(help="An allowed redirect URI (exact match); repeatable.")
    ],
    public: Annotated[
        bool, typer.Option("--public", help="No secret: the app must use PKCE (S256).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Register an OAuth client; its secret (confidential clients) is shown once."""
    from kanbert.oauth.clients import redirect_uris_problems, register_client
    from kanbert.spaces.models import Space

    problems = redirect_uris_problems(redirect_uri)
    if problems:
        _fail("; ".join(f"{field} {problem}" for field, problem in problems.items()))
    if not name.strip() or len(name.strip()) > 200:
        _fail("The name must have 1 to 200 characters.")
    settings = _settings()
    upgrade(settings.resolved_database_url)

    async def create(session: AsyncSession) -> dict[str, Any] | None:
        if await session.get(Space, space_id) is None:
            return None
        registered = await register_client(session, space_id, name.strip(), redirect_uri, public)
        return {"client_id": registered.client.id, "client_secret": registered.secret}

    result = _in_transaction(settings, create)
    if result is None:
        _fail(f"No space with id {space_id}.")
    else:
        _print(result, as_json)


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for key, value in result.items():
        shown = " ".join(value) if isinstance(value, list) else value
        sys.stdout.write(f"{key}: {shown}\n")


def main() -> None:
    app()
