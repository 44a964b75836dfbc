"""Custom field definitions are kept per process between requests (custom_fields/values.py);
a change made through any process shows in every other one's next answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import create_app
from kanbert.auth.scopes import ALL_SCOPES
from kanbert.custom_fields.models import CustomFieldType, EntityType
from kanbert.custom_fields.schemas import CustomFieldCreate
from kanbert.custom_fields.service import create_field
from kanbert.custom_fields.values import active_fields
from kanbert.kit.context import Caller
from kanbert.settings import Settings
from kanbert.spaces.models import Space as SpaceRow
from kanbert.webhooks.capture import CALLER_KEY

from support import Api, Space
from test_custom_fields_api import define, new_client


@pytest.fixture
def elsewhere(settings: Settings, space: Space) -> Iterator[Api]:
    """The same space served by a second app on the same database: another process, as far
    as anything cached in memory goes (caches are kept per engine)."""
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield Api(client, space.api.token)


def test_a_change_through_one_process_shows_in_another(space: Space, elsewhere: Api) -> None:
    client = new_client(space).json()
    path = f"/clients/{client['id']}"
    assert elsewhere.get(path).json()["custom_fields"] == {}  # loaded and kept there

    field = define(space, field_name="tier", type="input")
    assert elsewhere.get(path).json()["custom_fields"] == {"tier": None}
    assert elsewhere.patch(path, json={"custom_fields": {"tier": "gold"}}).status_code == 200

    renamed = space.api.patch(f"/custom-fields/{field['id']}", json={"field_name": "level"})
    assert renamed.status_code == 200
    assert elsewhere.get(path).json()["custom_fields"] == {"level": "gold"}

    assert space.api.delete(f"/custom-fields/{field['id']}").status_code == 204
    assert elsewhere.get(path).json()["custom_fields"] == {}
    refused = elsewhere.patch(path, json={"custom_fields": {"level": "x"}})
    assert refused.status_code == 422

    assert space.api.post(f"/custom-fields/{field['id']}/restore").status_code == 200
    assert elsewhere.get(path).json()["custom_fields"] == {"level": "gold"}


def test_unchanged_definitions_are_not_read_again(space: Space) -> None:
    define(space, field_name="tier", type="input")
    client = new_client(space).json()
    path = f"/clients/{client['id']}"
    space.api.get(path)  # the first read after the change loads them
    with space.world.count_statements() as statements:
        assert space.api.get(path).json()["custom_fields"] == {"tier": None}
    assert not [sql for sql in statements if "FROM custom_fields" in sql]


def test_a_transaction_that_changes_definitions_reads_its_own_change(space: Space) -> None:
    client = new_client(space).json()
    space.api.get(f"/clients/{client['id']}")  # the space's (empty) definitions are kept

    async def work(session: AsyncSession) -> tuple[list[str], list[str]]:
        version = await session.scalar(
            select(SpaceRow.custom_fields_version).where(SpaceRow.id == space.id)
        )
        caller = Caller(
            space_id=space.id,
            user_id=space.owner_id,
            user_type="user",
            is_owner=True,
            scopes=frozenset(ALL_SCOPES),
            origin="kanbert",
            token_id="",
            custom_fields_version=version,
        )
        session.info[CALLER_KEY] = caller
        before = await active_fields(session, caller, EntityType.client)
        body = CustomFieldCreate(
            title="Tier", field_name="tier", type=CustomFieldType.input, entity_type="client"
        )
        await create_field(session, caller, body)
        after = await active_fields(session, caller, EntityType.client)
        return [field.field_name for field in before], [field.field_name for field in after]

    assert space.world.run(work) == ([], ["tier"])
