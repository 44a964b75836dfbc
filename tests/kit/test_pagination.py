"""Keyset pagination, proven over random data: every row once, in order, both directions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from kanbert.clients.models import Client
from kanbert.kit.ids import new_id

from support import Api, Space, World

SORTS = ["name", "shortcode", "created_at"]
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)

sort_specs = (
    st.lists(st.sampled_from(SORTS), min_size=0, max_size=3, unique=True)
    .flatmap(lambda names: st.tuples(*[st.sampled_from([n, f"-{n}"]) for n in names]))
    .map(lambda keys: ",".join(keys))
)

rows_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b", "B", "c", "ab", "Z"]), st.integers(0, 4)),
    min_size=0,
    max_size=25,
)

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def insert_clients(world: World, space: Space, rows: list[tuple[str, int]]) -> list[dict[str, Any]]:
    made = [
        {
            "id": new_id(),
            "name": name,
            "shortcode": f"{name}{index % 3}-{new_id()}",
            "created_at": BASE_TIME + timedelta(hours=hour),
        }
        for index, (name, hour) in enumerate(rows)
    ]

    async def add(session: Any) -> None:
        session.add_all(Client(space_id=space.id, **row) for row in made)

    world.run(add)
    return made


def expected_order(rows: list[dict[str, Any]], sort: str) -> list[str]:
    keys = [part for part in sort.split(",") if part] or ["name"]
    ordered = sorted(rows, key=lambda row: row["id"])
    for key in reversed(keys):
        name = key.removeprefix("-")
        ordered.sort(key=lambda row, n=name: row[n], reverse=key.startswith("-"))
    return [row["id"] for row in ordered]


def fetch(api: Api, url: str | None, params: dict[str, Any] | None = None) -> dict[str, Any]:
    assert url is not None
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@PROPERTY
@given(rows=rows_strategy, size=st.integers(1, 7), sort=sort_specs)
def test_walking_next_then_prev_visits_every_row_once_in_order(
    world: World, rows: list[tuple[str, int]], size: int, sort: str
) -> None:
    space = world.new_space()
    made = insert_clients(world, space, rows)
    want = expected_order(made, sort)
    params = {"page[size]": size, **({"sort": sort} if sort else {})}

    page = fetch(space.api, "/clients/full", params)
    assert page["meta"]["prev_cursor"] is None
    pages = [page]
    while page["meta"]["next_cursor"]:
        page = fetch(space.api, page["meta"]["next_cursor_url"])
        assert len(page["data"]) <= size
        pages.append(page)
    forward = [row["id"] for page in pages for row in page["data"]]
    assert forward == want

    backward: list[str] = []
    while page["meta"]["prev_cursor"]:
        page = fetch(space.api, page["meta"]["prev_cursor_url"])
        backward = [row["id"] for row in page["data"]] + backward
    last_page_ids = [row["id"] for row in pages[-1]["data"]]
    assert backward + last_page_ids == want


@PROPERTY
@given(
    rows=rows_strategy,
    size=st.integers(1, 5),
    sort=sort_specs,
    changes=st.lists(
        st.tuples(
            st.lists(st.tuples(st.sampled_from(["a", "b", "m"]), st.integers(0, 4)), max_size=3),
            st.integers(0, 3),
        ),
        max_size=8,
    ),
)
def test_rows_changing_between_pages_are_never_returned_twice(
    world: World,
    rows: list[tuple[str, int]],
    size: int,
    sort: str,
    changes: list[tuple[list[tuple[str, int]], int]],
) -> None:
    space = world.new_space()
    made = insert_clients(world, space, rows)
    params = {"page[size]": size, **({"sort": sort} if sort else {})}
    deleted: set[str] = set()
    seen: list[str] = []
    page = fetch(space.api, "/clients/full", params)
    step = 0
    while True:
        seen.extend(row["id"] for row in page["data"])
        if not page["meta"]["next_cursor"]:
            break
        inserts, deletions = changes[step % len(changes)] if changes else ([], 0)
        step += 1
        insert_clients(world, space, inserts)
        victims = [row["id"] for row in made if row["id"] not in deleted][:deletions]
        deleted.update(victims)

        async def remove(session: Any, ids: list[str] = victims) -> None:
            await session.execute(delete(Client).where(Client.id.in_(ids)))

        world.run(remove)
        page = fetch(space.api, page["meta"]["next_cursor_url"])
    assert len(seen) == len(set(seen)), "a row came back twice"
    survivors = {row["id"] for row in made} - deleted
    assert survivors <= set(seen), "a row present throughout the walk was skipped"


def test_cursor_urls_keep_the_other_parameters(space: Space) -> None:
    for name in ["a", "b", "c"]:
        assert space.api.post("/clients", json={"name": name}).status_code == 201
    first = fetch(
        space.api, "/clients/full", {"page[size]": 1, "sort": "-name", "filter": 'name != "zzz"'}
    )
    next_url = first["meta"]["next_cursor_url"]
    assert "sort=-name" in next_url and "page%5Bsize%5D=1" in next_url and "filter=" in next_url
    assert first["links"]["next"] == next_url
    assert first["links"]["first"] is None and first["links"]["last"] is None
    assert first["meta"]["path"].endswith("/api/v1/clients/full")
    assert first["meta"]["per_page"] == 1
    second = fetch(space.api, next_url)
    assert [row["name"] for row in second["data"]] == ["b"]
    assert second["meta"]["prev_cursor"] is not None


def test_cursor_from_another_list_sort_or_space_is_refused(
    space: Space, other_space: Space
) -> None:
    for name in ["a", "b"]:
        space.api.post("/clients", json={"name": name})
    cursor = fetch(space.api, "/clients/full", {"page[size]": 1})["meta"]["next_cursor"]
    for api, path, extra in [
        (space.api, "/clients", {}),
        (space.api, "/clients/full", {"sort": "-name"}),
        (other_space.api, "/clients/full", {}),
    ]:
        response = api.get(path, params={"page[cursor]": cursor, **extra})
        assert response.status_code == 400, (path, extra)
        assert "page[cursor]" in response.json()["errors"]
    forged = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    response = space.api.get("/clients/full", params={"page[cursor]": forged})
    assert response.status_code == 400
    assert space.api.get("/clients/full", params={"page[cursor]": "garbage"}).status_code == 400
