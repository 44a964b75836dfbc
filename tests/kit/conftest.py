"""Fixtures for the filter-language tests: a separate app that also serves the test-only gadgets.

The gadgets router is mounted on its own app (built with the same settings and database as the
main `world`), so the extra route never shows up in other modules' assertions (OpenAPI, routes).
The two test tables are created once per run and dropped at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kanbert.app import API_PREFIX, create_app
from kanbert.settings import Settings

from gadgets import metadata, router
from support import Space, World


@pytest.fixture(scope="session")
def gadget_world(settings: Settings) -> Iterator[World]:
    app = create_app(settings)
    # Before the first request: Starlette builds its middleware stack lazily, routes are live.
    app.include_router(router, prefix=API_PREFIX)

    async def create_tables() -> None:
        async with app.state.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def drop_tables() -> None:
        async with app.state.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)

    with TestClient(app, base_url="http://testserver") as client:
        client.portal.call(create_tables)  # type: ignore[union-attr]
        try:
            yield World(client, app)
        finally:
            client.portal.call(drop_tables)  # type: ignore[union-attr]


@pytest.fixture
def gadget_space(gadget_world: World) -> Space:
    """A fresh space whose `api` client reaches the gadgets app."""
    return gadget_world.new_space("Gadget space")
