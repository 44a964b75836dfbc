"""Helpers shared by the test-suite: an authenticated API client and database access."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.auth.tokens import integration_user, issue_token
from kanbert.spaces.service import create_space
from kanbert.users.models import User, UserType

T = TypeVar("T")
API = "/api/v1"


class Api:
    """A caller of the API with one token; paths are relative to /api/v1."""

    def __init__(self, client: TestClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(extra or {})}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers(kwargs.pop("headers", None))
        url = path if path.startswith("http") else f"{API}{path}"
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def walk(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a list, following `next` links to the end."""
        response = self.get(path, params=params)
        rows: list[dict[str, Any]] = []
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            rows.extend(body["data"])
            if not body["meta"]["next_cursor_url"]:
                return rows
            response = self.get(body["meta"]["next_cursor_url"])


@dataclass
class World:
    """The app under test, reachable over HTTP and through its own event loop."""

    client: TestClient
    app: Any

    def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one committed transaction on the app's own loop and engine."""

        async def wrapped() -> T:
            async with self.app.state.sessionmaker() as session, session.begin():
                return await work(session)

        return self.client.portal.call(wrapped)  # type: ignore[union-attr]

    def new_space(self, name: str = "Test space") -> Space:
        created = self.run(lambda s: create_space(s, name, f"owner-{id(s)}@example.com"))
        space = Space(self, created.space_id, created.owner_id, created.integration_id)
        space.api = Api(self.client, created.token)
        return space

    @contextlib.contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        engine = self.app.state.engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)


@dataclass
class Space:
    world: World
    id: str
    owner_id: str
    integration_id: str
    api: Api = field(init=False)

    def token(
        self,
        scopes: list[str] | tuple[str, ...] = ALL_SCOPES,
        name: str = "test",
        user_id: str | None = None,
    ) -> Api:
        """A client with a new token holding exactly `scopes` (an integration's by default)."""

        async def issue(session: AsyncSession) -> str:
            if user_id is None:
                user = await integration_user(session, self.id, name)
            else:
                user = await session.get_one(User, user_id)
            _token, secret = await issue_token(session, user, name, list(scopes))
            return secret

        return Api(self.world.client, self.world.run(issue))

    def add_user(self, email: str, user_type: UserType = UserType.user, **fields: Any) -> str:
        async def add(session: AsyncSession) -> str:
            user = User(
                space_id=self.id,
                type=user_type,
                email=email,
                first_name=fields.pop("first_name", "First"),
                last_name=fields.pop("last_name", "Last"),
                **fields,
            )
            session.add(user)
            await session.flush()
            return user.id

        return self.world.run(add)
