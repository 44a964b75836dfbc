"""The outbox end to end: a change over the API reaches a receiver, signed, debounced."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.settings import Settings
from kanbert.webhooks.models import Webhook
from kanbert.webhooks.signing import new_secret

from receiver import receiver, running_worker
from support import Space


def add_webhook(space: Space, url: str, events: list[str], **fields: object) -> tuple[str, str]:
    secret = new_secret()

    async def add(session: AsyncSession) -> str:
        hook = Webhook(
            space_id=space.id,
            owner_id=space.integration_id,
            url=url,
            events=events,
            secret=secret,
            **fields,
        )
        session.add(hook)
        await session.flush()
        return hook.id

    return space.world.run(add), secret


def test_a_created_then_updated_client_arrives_once_as_create(
    space: Space, settings: Settings
) -> None:
    with receiver() as hooks, running_worker(settings):
        _id, secret = add_webhook(space, hooks.url, ["client:*"])
        client = space.api.post("/clients", json={"name": "Acme"}).json()
        assert (
            space.api.patch(f"/clients/{client['id']}", json={"name": "Acme 2"}).status_code == 200
        )
        got = hooks.wait_for(1)
        assert hooks.quiet_for(1.0) == got
    body = got[0].json
    assert body["event"] == "client:create"
    assert body["data"]["name"] == "Acme 2"
    expected = hmac.new(secret.encode(), got[0].body, hashlib.sha256).hexdigest()
    assert got[0].headers["signature"] == expected
