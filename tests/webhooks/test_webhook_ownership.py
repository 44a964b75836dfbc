"""A webhook belongs to the integration that registered it (webhooks.md §1, §2): nobody else
sees or changes it, and once that integration is archived it receives nothing more."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.auth.scopes import ALL_SCOPES
from kanbert.kit.timefmt import utcnow
from kanbert.settings import Settings
from kanbert.users.models import User, UserType

from eventkit import ok
from hookkit import register
from receiver import receiver, running_worker
from support import Space


def test_another_integration_of_the_space_neither_sees_nor_changes_it(space: Space) -> None:
    webhook = register(space, "http://127.0.0.1:9/mine", ["client:*"])
    other = space.token(name="another integration")
    assert ok(other.get("/webhooks"))["data"] == []
    for method, path in (
        ("GET", f"/webhooks/{webhook['id']}"),
        ("PATCH", f"/webhooks/{webhook['id']}"),
        ("DELETE", f"/webhooks/{webhook['id']}"),
        ("POST", f"/webhooks/{webhook['id']}/rotate-secret"),
        ("POST", f"/webhooks/{webhook['id']}/ping"),
        ("GET", f"/webhooks/{webhook['id']}/deliveries"),
    ):
        body = {"json": {"url": "http://127.0.0.1:9/theirs"}} if method == "PATCH" else {}
        assert other.request(method, path, **body).status_code == 404, (method, path)
    assert ok(space.api.get(f"/webhooks/{webhook['id']}"))["url"] == "http://127.0.0.1:9/mine"


def test_users_other_than_integrations_get_403_whatever_their_scopes(space: Space) -> None:
    webhook = register(space, "http://127.0.0.1:9/mine", ["client:*"])
    member = space.add_user("member@example.com")
    guest = space.add_user("guest@example.com", UserType.guest)
    for user_id in (member, guest, space.owner_id):
        api = space.token(ALL_SCOPES, name="personal", user_id=user_id)
        for method, path in (
            ("GET", "/webhooks"),
            ("GET", f"/webhooks/{webhook['id']}"),
            ("POST", f"/webhooks/{webhook['id']}/rotate-secret"),
            ("GET", f"/webhooks/{webhook['id']}/deliveries"),
        ):
            response = api.request(method, path)
            assert response.status_code == 403, (user_id, method, path, response.text)
            assert "integration" in response.json()["message"]


def test_an_archived_integrations_webhook_receives_nothing(
    space: Space, settings: Settings
) -> None:
    with receiver() as hooks, running_worker(settings):
        register(space, hooks.url, ["client:*"])
        ok(space.api.post("/clients", json={"name": "Seen"}), 201)
        assert [r.json["event"] for r in hooks.wait_for(1)] == ["client:create"]

        async def archive(session: AsyncSession) -> None:
            await session.execute(
                update(User).where(User.id == space.integration_id).values(deleted_at=utcnow())
            )

        space.world.run(archive)
        owner = space.token(ALL_SCOPES, name="owner", user_id=space.owner_id)
        ok(owner.post("/clients", json={"name": "Unseen"}), 201)
        assert len(hooks.quiet_for(1.5)) == 1
