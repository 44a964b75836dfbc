"""Scale-out (webhooks.md §4, PostgreSQL): several `kanbert worker` processes share one
outbox; every delivery is sent exactly once, per resource in change order, and the work is
really shared."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kanbert.kit.ids import new_id
from kanbert.kit.timefmt import utcnow
from kanbert.settings import Settings
from kanbert.webhooks.models import DeliveryStatus, WebhookDelivery

from receiver import receiver
from support import Space
from test_outbox_core import add_webhook
from workerkit import Process, attempts_of, deliveries_of, kanbert_env, processes, wait_until

RESOURCES = 200
CHANGES_EACH = 10
WORKERS = 3

pytestmark = pytest.mark.skipif(
    os.environ.get("KANBERT_TEST_DB", "sqlite") != "postgresql",
    reason="several workers claiming side by side (SKIP LOCKED) is a PostgreSQL deployment",
)


def add_outbox(space: Space, webhook_id: str) -> None:
    """RESOURCES x CHANGES_EACH due deliveries; seq order is change order per resource and
    `data.n` counts the changes of each resource."""
    resource_ids = [new_id() for _ in range(RESOURCES)]

    async def add(session: AsyncSession) -> None:
        now = utcnow() - timedelta(seconds=1)
        for n in range(CHANGES_EACH):
            session.add_all(
                WebhookDelivery(
                    webhook_id=webhook_id,
                    event="task:update",
                    resource_type="task",
                    resource_id=resource_id,
                    status=DeliveryStatus.pending,
                    occurred_at=now,
                    data={"id": resource_id, "n": n},
                    changes={"n": {"from": n - 1, "to": n}},
                    created_at=now,
                    window_started_at=now,
                    due_at=now,
                    attempts=0,
                )
                for resource_id in resource_ids
            )
            await session.flush()  # this round's seqs come before the next round's

    space.world.run(add)


def test_three_workers_share_the_outbox_each_delivery_once_in_order(
    space: Space, settings: Settings, tmp_path: Path
) -> None:
    total = RESOURCES * CHANGES_EACH
    env = kanbert_env(
        settings,
        tmp_path / "data",
        # Generous: a slow CI machine must not see leases run out or attempts time out, which
        # would (rightly, at-least-once) send a delivery twice.
        KANBERT_WEBHOOK_LEASE_SECONDS="60",
        KANBERT_WEBHOOK_TIMEOUT_SECONDS="20",
        KANBERT_WEBHOOK_POLL_SECONDS="0.05",
    )
    with receiver() as hooks, processes() as running:
        webhook_id, _secret = add_webhook(space, hooks.url, ["task:*"], tries=10)
        for _ in range(WORKERS):
            running.append(Process(env, "worker"))
        names = {process.wait_for_line("Webhook worker").split()[2] for process in running}
        assert len(names) == WORKERS

        add_outbox(space, webhook_id)

        def all_arrived() -> bool:
            with hooks.lock:
                return len({r.json["id"] for r in hooks.received}) >= total

        wait_until(all_arrived, timeout=240, what=f"{total} deliveries arrived")
        received = [r.json for r in hooks.quiet_for(1.0)]

    attempts = attempts_of(space, webhook_id)
    problems = Counter(f"{a.worker} {a.response_status} {a.error}" for a in attempts if a.error)
    logs = "\n".join(process.output()[-3000:] for process in running)
    # Exactly once each.
    assert len(received) == total, (len(attempts), problems, logs)
    deliveries = deliveries_of(space, webhook_id)
    assert len({body["id"] for body in received}) == total
    assert {body["id"] for body in received} == {d.id for d in deliveries}
    assert {d.status for d in deliveries} == {"succeeded"}
    # Per resource, in change order.
    arrivals: dict[str, list[int]] = defaultdict(list)
    for body in received:
        arrivals[body["resource"]["id"]].append(body["data"]["n"])
    assert len(arrivals) == RESOURCES
    assert all(ns == list(range(CHANGES_EACH)) for ns in arrivals.values()), arrivals
    # Every worker took part.
    assert len(attempts) == total, problems
    assert {a.response_status for a in attempts} == {200}
    share: dict[str | None, int] = defaultdict(int)
    for one in attempts:
        share[one.worker] += 1
    assert set(share) == names, share
    assert all(count > 0 for count in share.values()), share
