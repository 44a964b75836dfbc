"""Files: upload, show, download, delete; scopes per owning entity; tenancy; avatars."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.app import create_app
from kanbert.files.models import StoredFile
from kanbert.settings import Settings
from kanbert.users.models import UserType

from support import Api, Space, World

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\r\n%%EOF"
DISPOSITION = "Content-Disposition: form-data; "
FILE_KEYS = {"id", "file_name", "mime_type", "size", "entity_id", "entity_type", "created_at"}


def upload(
    api: Api,
    entity_type: str,
    entity_id: str,
    content: bytes = PDF,
    name: str = "report.pdf",
    mime: str = "application/pdf",
    **kwargs: Any,
) -> httpx.Response:
    return api.post(
        "/files",
        data={"entity_type": entity_type, "entity_id": entity_id},
        files={"file": (name, content, mime)},
        **kwargs,
    )


def made(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def entities(space: Space) -> dict[str, str]:
    api = space.api
    return {
        "client": made(api.post("/clients", json={"name": "Acme"}))["id"],
        "company": made(api.post("/companies", json={"company_name": "Globex"}))["id"],
        "contact": made(api.post("/contacts", json={"first_name": "Ann", "last_name": "A"}))["id"],
        "user": space.owner_id,
    }


def storage_dir(settings: Settings) -> Path:
    return settings.data_dir / "files"


def count_rows(world: World, **where: str) -> int:
    async def count(session: AsyncSession) -> int:
        query = select(func.count()).select_from(StoredFile).filter_by(**where)
        return int(await session.scalar(query) or 0)

    return world.run(count)


def test_upload_show_download_round_trip(space: Space, settings: Settings) -> None:
    client_id = entities(space)["client"]
    name = 'Übersicht März "final" 日本.pdf'
    created = made(upload(space.api, "client", client_id, name=name))
    assert set(created) == FILE_KEYS
    assert created["file_name"] == name
    assert (created["mime_type"], created["size"]) == ("application/pdf", len(PDF))
    assert (created["entity_type"], created["entity_id"]) == ("client", client_id)
    assert created["created_at"].endswith("Z") or "+" in created["created_at"]
    assert made(space.api.get(f"/files/{created['id']}"), 200) == created
    assert (storage_dir(settings) / created["id"]).read_bytes() == PDF

    for accept in (None, "*/*", "application/pdf", "application/json"):
        headers = {"Accept": accept} if accept else {}
        download = space.api.get(f"/files/{created['id']}/download", headers=headers)
        assert download.status_code == 200, (accept, download.text)
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-length"] == str(len(PDF))
        disposition = download.headers["content-disposition"]
        assert disposition == (
            'attachment; filename="_bersicht M_rz _final_ __.pdf"; '
            f"filename*=UTF-8''{quote(name, safe='')}"
        )
    # The other routes still negotiate: a show asked for as PDF is refused.
    refused = space.api.get(f"/files/{created['id']}", headers={"Accept": "application/pdf"})
    assert refused.status_code == 406


def test_stored_type_is_sent_as_is_and_names_cannot_inject_headers(space: Space) -> None:
    client_id = entities(space)["client"]
    text = made(upload(space.api, "client", client_id, b"<b>hi</b>", "a.html", "text/html"))
    download = space.api.get(f"/files/{text['id']}/download")
    assert download.headers["content-type"] == "text/html"  # no charset added, nothing sniffed
    assert download.headers["x-content-type-options"] == "nosniff"
    odd = made(upload(space.api, "client", client_id, b"x", "C:\\tmp\\a\r\nX-Evil: 1.txt", "bad"))
    assert odd["file_name"] == "aX-Evil: 1.txt"  # no directory part, no control characters
    assert odd["mime_type"] == "application/octet-stream"
    download = space.api.get(f"/files/{odd['id']}/download")
    assert "x-evil" not in download.headers
    assert download.headers["content-type"] == "application/octet-stream"
    empty = made(upload(space.api, "client", client_id, b"", "empty.bin"))
    assert empty["size"] == 0
    assert space.api.get(f"/files/{empty['id']}/download").content == b""


@pytest.mark.parametrize(
    ("entity_type", "read_scope", "write_scope"),
    [
        ("client", "client:read", "client:write"),
        ("company", "contact-data:read", "contact-data:write"),
        ("contact", "contact-data:read", "contact-data:write"),
        ("user", None, "user:write"),
    ],
)
def test_scopes_follow_the_owning_entity(
    space: Space, entity_type: str, read_scope: str | None, write_scope: str
) -> None:
    entity_id = entities(space)[entity_type]
    reader = space.token([read_scope] if read_scope else [])
    writer = space.token([write_scope])
    nobody = space.token([])

    refused = upload(reader, entity_type, entity_id)
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"message": f"This action requires the scope {write_scope}."}
    file = made(upload(writer, entity_type, entity_id))

    assert made(reader.get(f"/files/{file['id']}"), 200) == file
    assert reader.get(f"/files/{file['id']}/download").content == PDF
    for path in (f"/files/{file['id']}", f"/files/{file['id']}/download"):
        answer = nobody.get(path)
        if read_scope is None:
            assert answer.status_code == 200, answer.text
        else:
            assert answer.status_code == 403, answer.text
            assert answer.json() == {"message": f"This action requires the scope {read_scope}."}

    assert reader.delete(f"/files/{file['id']}").status_code == 403
    assert writer.delete(f"/files/{file['id']}").status_code == 204
    assert writer.get(f"/files/{file['id']}").status_code == 404


def test_invalid_uploads(space: Space, other_space: Space, settings: Settings) -> None:
    ids = entities(space)
    api = space.api
    before = (
        sorted(p.name for p in storage_dir(settings).glob("*"))
        if storage_dir(settings).exists()
        else []
    )

    wrong_type = upload(api, "spaceship", ids["client"])
    assert wrong_type.status_code == 422
    assert "entity_type" in wrong_type.json()["errors"]
    for bad_id in ("nul\x00id", "x" * 33):
        refused = upload(api, "client", bad_id)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == {"entity_id": ["The selected entity id is invalid."]}
    unknown = upload(api, "client", "does-not-exist")
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {"entity_id": ["The selected entity id is invalid."]}
    # Another space's entity is as unknown as a missing one.
    foreign = upload(other_space.api, "client", ids["client"])
    assert foreign.status_code == 422, foreign.text
    # A company id is no client id.
    assert upload(api, "client", ids["company"]).status_code == 422
    missing_fields = api.post("/files", files={"file": ("a.txt", b"x", "text/plain")})
    assert missing_fields.status_code == 422
    assert set(missing_fields.json()["errors"]) == {"entity_type", "entity_id"}
    no_file = api.post(
        "/files",
        data={"entity_type": "client", "entity_id": ids["client"]},
        files={"other": (None, b"x")},
    )
    assert no_file.status_code == 422
    assert no_file.json()["errors"] == {"file": ["The file field is required."]}
    as_json = api.post("/files", json={"entity_type": "client", "entity_id": ids["client"]})
    assert as_json.status_code == 415
    two = api.post(
        "/files",
        data={"entity_type": "client", "entity_id": ids["client"]},
        files=[("file", ("a.txt", b"a", "text/plain")), ("file", ("b.txt", b"b", "text/plain"))],
    )
    assert two.status_code == 400, two.text
    truncated = api.post(
        "/files",
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert truncated.status_code in (400, 422), truncated.text

    assert count_rows(space.world, space_id=space.id) == 0
    after = (
        sorted(p.name for p in storage_dir(settings).glob("*"))
        if storage_dir(settings).exists()
        else []
    )
    assert after == before  # refused uploads leave no bytes behind


def _fields_after_file(entity_type: str, entity_id: str, content: bytes) -> dict[str, Any]:
    boundary = "kanbert-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="late.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + (
            f"\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="entity_type"\r\n\r\n'
            f"{entity_type}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="entity_id"\r\n\r\n'
            f"{entity_id}\r\n--{boundary}--\r\n"
        ).encode()
    )
    return {
        "content": body,
        "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    }


def test_fields_may_follow_the_file(space: Space, settings: Settings) -> None:
    client_id = entities(space)["client"]
    file = made(space.api.post("/files", **_fields_after_file("client", client_id, b"late")))
    assert (file["file_name"], file["size"], file["mime_type"]) == ("late.txt", 4, "text/plain")
    assert space.api.get(f"/files/{file['id']}/download").content == b"late"
    # Refused only once the fields arrive: the stored bytes are removed again.
    before = set(storage_dir(settings).iterdir())
    refused = space.token(["client:read"]).post(
        "/files", **_fields_after_file("client", client_id, b"no")
    )
    assert refused.status_code == 403, refused.text
    assert set(storage_dir(settings).iterdir()) == before


def test_files_of_other_spaces_and_invisible_entities_are_not_found(
    space: Space, other_space: Space
) -> None:
    ids = entities(space)
    file = made(upload(space.api, "client", ids["client"]))
    for path in (f"/files/{file['id']}", f"/files/{file['id']}/download"):
        assert other_space.api.get(path).status_code == 404
    assert other_space.api.delete(f"/files/{file['id']}").status_code == 404
    assert space.api.get("/files/does-not-exist").status_code == 404

    # Guests see no clients, so none of their files, whatever their scopes.
    guest_id = space.add_user("guest@example.com", UserType.guest)
    guest = space.token(["client:read", "client:write"], user_id=guest_id)
    for path in (f"/files/{file['id']}", f"/files/{file['id']}/download"):
        assert guest.get(path).status_code == 404
    assert guest.delete(f"/files/{file['id']}").status_code == 404
    assert upload(guest, "client", ids["client"]).status_code == 422
    # A guest sees only their own user record: another user's file is invisible too.
    owner_file = made(upload(space.api, "user", space.owner_id))
    assert guest.get(f"/files/{owner_file['id']}").status_code == 404
    guest_file = made(upload(space.api, "user", guest_id))
    assert guest.get(f"/files/{guest_file['id']}").status_code == 200


def test_deleting_removes_the_bytes(space: Space, settings: Settings) -> None:
    client_id = entities(space)["client"]
    file = made(upload(space.api, "client", client_id))
    blob = storage_dir(settings) / file["id"]
    assert blob.exists()
    assert space.api.delete(f"/files/{file['id']}").status_code == 204
    assert not blob.exists()
    assert count_rows(space.world, id=file["id"]) == 0
    assert space.api.get(f"/files/{file['id']}/download").status_code == 404
    assert space.api.delete(f"/files/{file['id']}").status_code == 404


def test_missing_bytes_are_a_404_and_delete_tolerates_them(
    space: Space, settings: Settings
) -> None:
    client_id = entities(space)["client"]
    file = made(upload(space.api, "client", client_id))
    (storage_dir(settings) / file["id"]).unlink()
    download = space.api.get(f"/files/{file['id']}/download")
    assert download.status_code == 404
    assert download.json() == {"message": "The file's content is missing."}
    assert space.api.delete(f"/files/{file['id']}").status_code == 204


def test_uploads_are_not_replayed(space: Space) -> None:
    client_id = entities(space)["client"]
    headers = {"Idempotency-Key": "upload-1"}
    first = upload(space.api, "client", client_id, headers=headers)
    second = upload(space.api, "client", client_id, headers=headers)
    assert made(first)["id"] != made(second)["id"]
    assert "idempotent-replayed" not in second.headers


# --- the upload limit, in-process ---------------------------------------------------------------


@pytest.fixture
def small_limit(settings: Settings, tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    """A second app on the same database with a 64 KiB upload limit and its own data dir."""
    small = settings.model_copy(update={"max_upload_bytes": 64 * 1024, "data_dir": tmp_path})
    with TestClient(create_app(small), base_url="http://testserver") as client:
        yield client, small


def test_over_the_limit_is_413_and_nothing_is_kept(
    space: Space, small_limit: tuple[TestClient, Settings]
) -> None:
    client, small = small_limit
    api = Api(client, space.api.token)
    client_id = entities(space)["client"]
    kept = made(upload(api, "client", client_id, b"x" * 64 * 1024))
    assert kept["size"] == 64 * 1024  # exactly the limit is fine

    declared = upload(api, "client", client_id, b"x" * (300 * 1024))  # Content-Length known
    assert declared.status_code == 413, declared.text
    assert declared.json() == {"message": "The file is over the upload limit of 65536 bytes."}

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        yield f'--b\r\n{DISPOSITION}name="entity_type"\r\n\r\nclient\r\n'.encode()
        yield f'--b\r\n{DISPOSITION}name="entity_id"\r\n\r\n{client_id}\r\n'.encode()
        yield f'--b\r\n{DISPOSITION}name="file"; filename="big"\r\n\r\n'.encode()
        for _ in range(40):
            yield b"y" * 4096
        yield b"\r\n--b--\r\n"

    streamed = api.post(
        "/files", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert streamed.status_code == 413, streamed.text
    assert "content-length" not in streamed.request.headers
    # Only the accepted file is stored: no partial or temporary file of the refused ones.
    assert [p.name for p in (small.data_dir / "files").iterdir()] == [kept["id"]]
    assert count_rows(space.world, entity_id=client_id) == 1


# --- avatars -----------------------------------------------------------------------------------


def test_avatars(space: Space, settings: Settings) -> None:
    api = space.api
    member_id = space.add_user("member@example.com")
    member = space.token(["user:write"], user_id=member_id)
    avatar = made(upload(api, "user", member_id, b"\x89PNG", "me.png", "image/png"))

    shown = made(api.get(f"/users/{member_id}"), 200)
    assert shown["avatar"] is None
    set_ = made(api.put(f"/users/{member_id}/avatar", json={"file_id": avatar["id"]}), 200)
    assert set_["avatar"] == avatar
    assert made(api.get(f"/users/{member_id}"), 200)["avatar"] == avatar

    # Only a file of that very user, of this space.
    client_file = made(upload(api, "client", entities(space)["client"]))
    owner_file = made(upload(api, "user", space.owner_id))
    for file_id in (client_file["id"], owner_file["id"], "does-not-exist", "nul\x00"):
        wrong = api.put(f"/users/{member_id}/avatar", json={"file_id": file_id})
        assert wrong.status_code == 422, wrong.text
        assert "file_id" in wrong.json()["errors"]
    # A user may change their own avatar, not somebody else's; the scope is user:write.
    assert member.delete(f"/users/{member_id}/avatar").json()["avatar"] is None
    assert (
        member.put(f"/users/{member_id}/avatar", json={"file_id": avatar["id"]}).status_code == 200
    )
    other = member.put(f"/users/{space.owner_id}/avatar", json={"file_id": owner_file["id"]})
    assert other.status_code == 403
    assert upload(member, "user", space.owner_id).status_code == 403
    no_scope = space.token([], user_id=member_id).delete(f"/users/{member_id}/avatar")
    assert no_scope.status_code == 403
    assert no_scope.json() == {"message": "This action requires the scope user:write."}

    # Deleting the file clears the avatar.
    assert api.delete(f"/files/{avatar['id']}").status_code == 204
    assert made(api.get(f"/users/{member_id}"), 200)["avatar"] is None
    assert not (storage_dir(settings) / avatar["id"]).exists()


def test_unauthenticated_calls_are_401(space: Space) -> None:
    anonymous = Api(space.api.client, None)
    client_id = entities(space)["client"]
    file = made(upload(space.api, "client", client_id))
    assert upload(anonymous, "client", client_id).status_code == 401
    for method, path in (
        ("GET", f"/files/{file['id']}"),
        ("GET", f"/files/{file['id']}/download"),
        ("DELETE", f"/files/{file['id']}"),
    ):
        assert anonymous.request(method, path).status_code == 401, (method, path)


def test_oversized_part_headers_and_fields_are_refused(space: Space) -> None:
    client_id = entities(space)["client"]
    long_name = upload(space.api, "client", client_id, name="n" * 9000 + ".txt")
    assert long_name.status_code == 400, long_name.text
    long_field = space.api.post(
        "/files",
        data={"entity_type": "client" * 200, "entity_id": client_id},
        files={"file": ("a.txt", b"a", "text/plain")},
    )
    assert long_field.status_code == 400, long_field.text
    assert count_rows(space.world, entity_id=client_id) == 0
