"""No N+1: a list request costs the same number of SQL statements at 10 and at 100 rows."""

from __future__ import annotations

from typing import Any

import pytest

from kanbert.clients.models import Client

from support import Space, World


def seed_clients(world: World, space: Space, count: int) -> None:
    contacts = [space.add_user(f"contact{i}@example.com") for i in range(5)]

    async def add(session: Any) -> None:
        session.add_all(
            Client(
                space_id=space.id,
                name=f"Client {i:03d}",
                shortcode=f"C{i:03d}",
                primary_contact_id=contacts[i % len(contacts)],
            )
            for i in range(count)
        )

    world.run(add)


def statements_for(world: World, space: Space, path: str, size: int) -> int:
    with world.count_statements() as statements:
        response = space.api.get(path, params={"page[size]": size})
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == size
    return len(statements)


@pytest.mark.parametrize("path", ["/clients", "/clients/full", "/users"])
def test_statements_do_not_grow_with_page_size(world: World, space: Space, path: str) -> None:
    seed_clients(world, space, 110)
    for i in range(100):
        space.add_user(f"user{i}@example.com")
    statements_for(world, space, path, 10)  # the first read also loads the field definitions
    small = statements_for(world, space, path, 10)
    large = statements_for(world, space, path, 100)
    assert small == large
    # BEGIN (counted on SQLite), token lookup, the page, and one batched load per eagerly
    # loaded relation (contact, contact's space, client's space).
    assert large <= 6


def test_includes_cost_one_query_per_level_whatever_the_page_size(
    gadget_world: World, gadget_space: Space
) -> None:
    from gadgets import Gadget, Part

    async def add(session: Any) -> None:
        for i in range(110):
            gadget = Gadget(space_id=gadget_space.id, title=f"G{i:03d}")
            session.add(gadget)
            await session.flush()
            session.add_all(Part(gadget_id=gadget.id, title=f"P{i}-{j}") for j in range(3))

    gadget_world.run(add)

    def statements(size: int) -> int:
        with gadget_world.count_statements() as executed:
            response = gadget_space.api.get(
                "/gadgets", params={"page[size]": size, "include": "parts"}
            )
        assert response.status_code == 200, response.text
        rows = response.json()["data"]
        assert len(rows) == size and all(len(row["parts"]) == 3 for row in rows)
        return len(executed)

    assert statements(10) == statements(100)
