"""Retries with backoff and Retry-After, and auto-disable after consecutive failed deliveries
(webhooks.md §4), seen from a real receiver and the delivery log in the database."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from kanbert.settings import Settings

from receiver import Answer, Received, receiver, running_worker
from support import Space
from test_outbox_core import add_webhook
from workerkit import attempts_of, deliveries_of, hook_state, reactivate, wait_until


def new_client(space: Space, name: str) -> str:
    response = space.api.post("/clients", json={"name": name})
    assert response.status_code == 201, response.text
    client_id: str = response.json()["id"]
    return client_id


def test_a_delivery_is_retried_with_backoff_until_it_succeeds(
    space: Space, settings: Settings
) -> None:
    with receiver() as hooks, running_worker(settings, webhook_backoff_base_seconds=1.5):
        hooks.plan = [500, 500]  # then the default 200
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=3)
        new_client(space, "Retried Ltd")
        got = hooks.wait_for(3, timeout=30)
        assert len(hooks.quiet_for(1.0)) == 3  # nothing after the success

    # One delivery, three attempts: the same id and the very same bytes each time.
    assert {r.json["id"] for r in got} == {got[0].json["id"]}
    assert {r.headers["webhook-id"] for r in got} == {got[0].json["id"]}
    assert got[1].body == got[0].body and got[2].body == got[0].body
    # Waits of at least base^1 and base^2 seconds (lower bounds only: CI may be slow).
    assert got[1].at - got[0].at >= 1.5
    assert got[2].at - got[1].at >= 1.5**2

    [delivery] = deliveries_of(space, webhook_id)
    assert (delivery.id, delivery.status, delivery.attempts) == (got[0].json["id"], "succeeded", 3)
    attempts = attempts_of(space, webhook_id)
    assert [a.response_status for a in attempts] == [500, 500, 200]
    assert all(a.delivery_id == delivery.id for a in attempts)
    hook = hook_state(space, webhook_id)
    assert hook.consecutive_failures == 0 and hook.last_success_at is not None


def _http_date_in(seconds: int) -> str:
    return formatdate(time.time() + seconds, usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "at_least"),
    [
        (503, lambda: "4", 4.0),
        (429, lambda: _http_date_in(5), 4.0),  # an HTTP date ≥ 4 s ahead (whole seconds)
        (429, lambda: "0", 1.5),  # shorter than the backoff: the backoff wins
    ],
    ids=["503-seconds", "429-http-date", "429-shorter-than-backoff"],
)
def test_retry_after_is_honoured_when_longer_than_the_backoff(
    space: Space, settings: Settings, status: int, retry_after: object, at_least: float
) -> None:
    answered: list[int] = []

    def answer(_request: Received) -> int | Answer:
        answered.append(1)
        if len(answered) == 1:
            assert callable(retry_after)
            return (status, {"Retry-After": retry_after()}, b"slow down")
        return 200

    with receiver() as hooks, running_worker(settings, webhook_backoff_base_seconds=1.5):
        hooks.answer = answer
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=3)
        new_client(space, "Busy Receiver Ltd")
        got = hooks.wait_for(2, timeout=30)
    assert got[1].body == got[0].body
    assert got[1].at - got[0].at >= at_least
    [delivery] = deliveries_of(space, webhook_id)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert [a.response_status for a in attempts_of(space, webhook_id)] == [status, 200]


def test_twenty_failed_deliveries_disable_the_webhook_until_it_is_reactivated(
    space: Space, settings: Settings
) -> None:
    assert settings.webhook_disable_after_failures == 20  # the default
    with receiver() as hooks:
        hooks.default = 500
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=1)
        # 25 changes while no worker runs: 25 pending deliveries, one per new client.
        for number in range(25):
            new_client(space, f"Client {number:02d}")
        pending = deliveries_of(space, webhook_id)
        assert [d.status for d in pending] == ["pending"] * 25

        # One delivery at a time (`kanbert worker --batch-size 1`), so the count is exact: the
        # 20th failure disables the webhook before the 21st delivery is claimed.
        with running_worker(settings, batch_size=1):
            hooks.wait_for(20, timeout=60)
            wait_until(lambda: not hook_state(space, webhook_id).is_active, what="disabled")
            # A change while disabled is not sent either.
            assert (
                space.api.patch(
                    f"/clients/{pending[0].resource_id}", json={"name": "Renamed"}
                ).status_code
                == 200
            )
            assert len(hooks.quiet_for(2.0)) == 20

            hook = hook_state(space, webhook_id)
            assert hook.consecutive_failures == 20
            assert hook.disabled_reason and "20" in hook.disabled_reason
            states = deliveries_of(space, webhook_id)
            assert [d.status for d in states[:20]] == ["failed"] * 20
            assert [d.status for d in states[20:25]] == ["pending"] * 5
            assert all(d.attempts == 0 for d in states[20:25])
            assert {r.json["id"] for r in hooks.received} == {d.id for d in states[:20]}

            # The receiver is fixed; re-activation over the API (PATCH is_active=true) resumes
            # the deliveries that were kept pending.
            hooks.default = 200
            reactivate(space, webhook_id)
            got = hooks.wait_for(25, timeout=30)
            assert len(hooks.quiet_for(1.0)) == 25

    assert [r.json["id"] for r in got[20:]] == [d.id for d in states[20:25]]
    assert [r.json["data"]["name"] for r in got[20:]] == [f"Client {n:02d}" for n in range(20, 25)]
    final = deliveries_of(space, webhook_id)
    assert [d.status for d in final[20:25]] == ["succeeded"] * 5
    hook = hook_state(space, webhook_id)
    assert hook.is_active and hook.consecutive_failures == 0 and hook.disabled_reason is None
    assert hook.last_success_at is not None
