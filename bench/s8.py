"""S8: 1,000 PATCHes on 100 tasks, paced over 2 s, against a server whose embedded worker
delivers them (debounced) to `bench/receiver.py`; what the receiver saw, matched to the PATCHes.

Each PATCH sets a title unique to it (`S8 <run> <n>`), so a delivery says exactly which change
it carries: the latest one the debouncing folded into it. A change counts as received when the
first delivery carrying it, or a later change of the same task, arrives; its latency runs from
the moment its PATCH returned (the change is committed then) to that arrival. PATCHes of one
task are sent one after the other (at most `connections` in flight overall), so "later" is
well defined and the last title of each task is the state the receiver must end with.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Sent:
    task_id: str
    order: int  # the n-th PATCH of its task
    title: str
    returned: float  # time.monotonic() when the answer was read
    took: float  # seconds from sending to the answer
    status: int
    updated_at: str | None


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


async def _drive(
    port: int, token: str, task_ids: list[str], patches: int, seconds: float, connections: int
) -> tuple[list[Sent], float, float]:
    run = secrets.token_hex(3)
    step = seconds / patches
    gate = asyncio.Semaphore(connections)
    sent: list[Sent] = []
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits, timeout=60
    ) as client:
        started = time.monotonic()

        async def chain(slot: int, task_id: str) -> None:
            # PATCH number n goes to task n % len(task_ids), not before started + n * step.
            for order, number in enumerate(range(slot, patches, len(task_ids))):
                delay = started + number * step - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                title = f"S8 {run} {number}"
                async with gate:
                    sending = time.monotonic()
                    answer = await client.patch(f"/api/v1/tasks/{task_id}", json={"title": title})
                returned = time.monotonic()
                updated_at = None
                if answer.status_code == 200:
                    body: dict[str, Any] = answer.json()
                    data = body["data"] if isinstance(body.get("data"), dict) else body
                    updated_at = data.get("updated_at")
                sent.append(
                    Sent(
                        task_id,
                        order,
                        title,
                        returned,
                        returned - sending,
                        answer.status_code,
                        updated_at,
                    )
                )

        await asyncio.gather(*(chain(slot, task) for slot, task in enumerate(task_ids)))
    return sent, started, time.monotonic()


def drive(
    port: int,
    token: str,
    task_ids: list[str],
    patches: int = 1000,
    seconds: float = 2.0,
    connections: int = 32,
) -> tuple[list[Sent], float, float]:
    """Send the PATCHes; returns them with the monotonic start and end of the sending."""
    return asyncio.run(_drive(port, token, task_ids, patches, seconds, connections))


def finals(sent: list[Sent]) -> dict[str, str]:
    """The title each task must end with at the receiver: that of its last successful PATCH."""
    last: dict[str, Sent] = {}
    for patch in sent:
        if patch.status == 200 and (
            patch.task_id not in last or patch.order > last[patch.task_id].order
        ):
            last[patch.task_id] = patch
    return {task: patch.title for task, patch in last.items()}


def all_received(sent: list[Sent], records: list[dict[str, Any]]) -> bool:
    seen = {(record.get("task_id"), record.get("title")) for record in records}
    return all((task, title) in seen for task, title in finals(sent).items())


def summarise(
    sent: list[Sent], started: float, ended: float, records: list[dict[str, Any]]
) -> dict[str, Any]:
    ok = [patch for patch in sent if patch.status == 200]
    by_title = {patch.title: patch for patch in ok}
    unique: dict[str, dict[str, Any]] = {}
    repeated = []  # seconds between a delivery's first arrival and its repeat
    for record in records:
        # At-least-once: a delivery id seen twice is one delivery (and a duplicate counted).
        first = unique.setdefault(str(record.get("id")), record)
        if first is not record:
            repeated.append(round(record["arrived"] - first["arrived"], 1))
    deliveries = list(unique.values())
    # For each task, when its n-th change (or a later one) first reached the receiver.
    arrivals: dict[str, list[tuple[int, float]]] = {}
    mismatched = 0
    foreign = 0
    ours = []
    for record in deliveries:
        patch = by_title.get(record.get("title") or "")
        if patch is None or patch.task_id != record.get("task_id"):
            # Not one of these PATCHes' changes (a warm-up PATCH still committing when the
            # webhooks were registered, say): reported, not counted.
            foreign += 1
            continue
        ours.append(record)
        if patch.updated_at is not None and record.get("updated_at") != patch.updated_at:
            mismatched += 1  # the delivered state is not the one our PATCH answered with
        arrivals.setdefault(patch.task_id, []).append((patch.order, record["arrived"]))
    latencies = []
    for patch in ok:
        carried = [
            arrived for order, arrived in arrivals.get(patch.task_id, []) if order >= patch.order
        ]
        if carried:
            # A delivery may beat our reading of the PATCH's answer: the commit came first.
            latencies.append(max(0.0, min(carried) - patch.returned))
    # The last change of each task ends its debounce window: from it to its delivery is what
    # the worker adds to the window (2 s by default), without the cap's wait while changes go on.
    settled = []
    for task, title in finals(sent).items():
        last = by_title[title]
        carried = [arrived for order, arrived in arrivals.get(task, []) if order >= last.order]
        if carried:
            settled.append(max(0.0, min(carried) - last.returned))
    times = [record["arrived"] for record in ours]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    patch_took = ended - started
    return {
        "patches": len(sent),
        "tasks": len({patch.task_id for patch in sent}),
        "errors": len(sent) - len(ok),
        "sending_s": patch_took,
        "patch_rps": len(sent) / patch_took if patch_took else math.nan,
        "patch_p50_ms": percentile([patch.took for patch in sent], 50) * 1000,
        "patch_p99_ms": percentile([patch.took for patch in sent], 99) * 1000,
        "deliveries": len(ours),
        "duplicates": len(records) - len(deliveries),
        "repeated_after_s": repeated,
        "per_patch": len(ours) / len(ok) if ok else math.nan,
        "delivery_span_s": span,
        "deliveries_per_s": len(ours) / span if span else math.nan,
        "latency_p50_ms": percentile(latencies, 50) * 1000,
        "latency_p99_ms": percentile(latencies, 99) * 1000,
        "latency_max_ms": max(latencies, default=math.nan) * 1000,
        "last_p50_ms": percentile(settled, 50) * 1000,
        "last_p99_ms": percentile(settled, 99) * 1000,
        "not_received": len(ok) - len(latencies),
        "mismatched": mismatched,
        "foreign": foreign,
    }
