"""Files go with their owner: deleting a client, company or contact for good removes its file
rows in the same transaction and its bytes after the commit; other owners' files stay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.files.models import StoredFile
from kanbert.settings import Settings

from support import Api, Space, World

BODIES = {
    "client": ("/clients", {"name": "Acme"}),
    "company": ("/companies", {"company_name": "Globex"}),
    "contact": ("/contacts", {"first_name": "Ann", "last_name": "A"}),
}
ROUTES = {"client": "/clients", "company": "/companies", "contact": "/contacts"}


def _made(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _create(api: Api, entity_type: str) -> str:
    path, body = BODIES[entity_type]
    return str(_made(api.post(path, json=body))["id"])


def _upload(api: Api, entity_type: str, entity_id: str) -> str:
    response = api.post(
        "/files",
        data={"entity_type": entity_type, "entity_id": entity_id},
        files={"file": ("a.txt", b"bytes", "text/plain")},
    )
    return str(_made(response)["id"])


def _rows(world: World) -> set[str]:
    async def read(session: AsyncSession) -> set[str]:
        return set((await session.scalars(select(StoredFile.id))).all())

    return world.run(read)


def _blob(settings: Settings, file_id: str) -> Path:
    return settings.data_dir / "files" / file_id


@pytest.mark.parametrize("entity_type", ["client", "company", "contact"])
def test_force_delete_removes_the_owners_files(
    space: Space, settings: Settings, entity_type: str
) -> None:
    api = space.api
    doomed, kept = _create(api, entity_type), _create(api, entity_type)
    gone = [_upload(api, entity_type, doomed) for _ in range(2)]
    staying = _upload(api, entity_type, kept)
    # Files of other owners stay.
    user_file = _upload(api, "user", space.owner_id)

    assert api.delete(f"{ROUTES[entity_type]}/{doomed}/force").status_code == 204
    rows = _rows(space.world)
    assert not rows & set(gone)
    assert {staying, user_file} <= rows
    assert not any(_blob(settings, file_id).exists() for file_id in gone)
    assert _blob(settings, staying).exists() and _blob(settings, user_file).exists()
    for file_id in gone:
        assert api.get(f"/files/{file_id}").status_code == 404
    assert api.get(f"/files/{staying}").status_code == 200


def test_a_client_that_cannot_go_keeps_its_files(space: Space, settings: Settings) -> None:
    api = space.api
    client = _create(api, "client")
    file_id = _upload(api, "client", client)
    project = {"title": "Site", "client_id": client}
    assert api.post("/projects", json=project).status_code == 201
    refused = api.delete(f"/clients/{client}/force")
    assert refused.status_code == 409, refused.text
    assert file_id in _rows(space.world)
    assert _blob(settings, file_id).exists()
    assert api.get(f"/files/{file_id}/download").content == b"bytes"
