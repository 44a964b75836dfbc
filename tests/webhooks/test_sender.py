"""One attempt over HTTP (webhooks.md §4): timeouts and redirects are failures, only 2 KB of
an answer is kept, and the target is checked again at delivery and connected to pinned."""

from __future__ import annotations

import asyncio

import pytest

from kanbert.settings import Settings
from kanbert.webhooks import targets
from kanbert.webhooks.sender import retry_after_seconds

from receiver import receiver, running_worker
from support import Space
from test_outbox_core import add_webhook
from workerkit import attempts_of, deliveries_of, wait_until


def new_client(space: Space, name: str) -> None:
    assert space.api.post("/clients", json={"name": name}).status_code == 201


def settled(space: Space, webhook_id: str) -> bool:
    found = deliveries_of(space, webhook_id)
    return bool(found) and all(d.status != "pending" for d in found)


def test_no_answer_within_the_timeout_is_a_failed_attempt(space: Space, settings: Settings) -> None:
    with receiver() as hooks, running_worker(settings, webhook_timeout_seconds=1.0):
        hooks.delay = 3.0
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=1)
        new_client(space, "Slow Receiver Ltd")
        hooks.wait_for(1)
        wait_until(lambda: settled(space, webhook_id), what="the delivery settled")
    [delivery] = deliveries_of(space, webhook_id)
    assert delivery.status == "failed"
    [attempt] = attempts_of(space, webhook_id)
    assert attempt.response_status is None
    assert attempt.error and "1 s" in attempt.error


def test_a_redirect_is_a_failure_and_is_not_followed(space: Space, settings: Settings) -> None:
    with receiver() as hooks, receiver() as elsewhere, running_worker(settings):
        hooks.default = (302, {"Location": elsewhere.url}, b"")
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=1)
        new_client(space, "Redirecting Ltd")
        hooks.wait_for(1)
        wait_until(lambda: settled(space, webhook_id), what="the delivery settled")
        assert elsewhere.quiet_for(1.0) == []
    [delivery] = deliveries_of(space, webhook_id)
    assert delivery.status == "failed"
    [attempt] = attempts_of(space, webhook_id)
    assert attempt.response_status == 302


def test_a_large_answer_is_recorded_truncated_to_2_kb(space: Space, settings: Settings) -> None:
    with receiver() as hooks, running_worker(settings):
        hooks.default = (200, {"Content-Type": "text/plain"}, b"abcdefgh" * (1024 * 128))
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=1)
        new_client(space, "Chatty Receiver Ltd")
        [got] = hooks.wait_for(1)
        wait_until(lambda: settled(space, webhook_id), what="the delivery settled")
    [delivery] = deliveries_of(space, webhook_id)
    assert delivery.status == "succeeded"
    [attempt] = attempts_of(space, webhook_id)
    assert attempt.response_status == 200
    assert attempt.response_body == ("abcdefgh" * 256)  # exactly the first 2,048 bytes
    # Asked uncompressed, so the kept part is the answer's text.
    assert got.headers["accept-encoding"] == "identity"


def fake_dns(answers: dict[str, str]):  # type: ignore[no-untyped-def]
    """A stand-in for `targets.resolve` answering from `answers` (changeable by the test)."""

    async def resolve(host: str, _port: int) -> list[str]:
        await asyncio.sleep(0)
        if host in answers:
            return [answers[host]]
        raise OSError(f"unknown host {host}")

    return resolve


def test_a_host_rebound_to_a_private_address_is_refused_at_delivery(
    space: Space, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {"hooks.example.test": "93.184.215.14"}  # a public address
    monkeypatch.setattr(targets, "resolve", fake_dns(answers))
    with receiver() as hooks:
        port = hooks.url.split(":")[2].split("/")[0]
        url = f"http://hooks.example.test:{port}/hook"
        # At registration the host passes the check a server without private targets makes.
        assert asyncio.run(targets.checked_addresses(url, allow_private=False)) == ["93.184.215.14"]
        webhook_id, _secret = add_webhook(space, url, ["client:*"], tries=1)
        answers["hooks.example.test"] = "127.0.0.1"  # DNS rebinding

        with running_worker(settings, webhook_allow_private_targets=False):
            new_client(space, "Rebound Ltd")
            wait_until(lambda: settled(space, webhook_id), what="the delivery settled")
            assert hooks.quiet_for(0.5) == []  # never connected to
        [refused] = deliveries_of(space, webhook_id)
        assert refused.status == "failed"
        [attempt] = attempts_of(space, webhook_id)
        assert attempt.response_status is None
        assert attempt.error and "non-public address (127.0.0.1)" in attempt.error

        # A server that allows private targets delivers, connected to the checked address
        # while the request still names the webhook's host.
        with running_worker(settings, webhook_allow_private_targets=True):
            new_client(space, "Private Target Ltd")
            [got] = hooks.wait_for(1)
    assert got.json["data"]["name"] == "Private Target Ltd"
    assert got.headers["host"] == f"hooks.example.test:{port}"
    assert got.path == "/hook"
    assert [d.status for d in deliveries_of(space, webhook_id)] == ["failed", "succeeded"]


def test_a_name_lookup_that_never_answers_counts_against_the_timeout(
    space: Space, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def hanging(_host: str, _port: int) -> list[str]:
        await asyncio.sleep(60)
        return ["127.0.0.1"]

    with receiver() as hooks:
        url = hooks.url.replace("127.0.0.1", "slow-dns.example.test")
        webhook_id, _secret = add_webhook(space, url, ["client:*"], tries=1)
        monkeypatch.setattr(targets, "resolve", hanging)
        with running_worker(settings, webhook_timeout_seconds=1.0):
            new_client(space, "Slow DNS Ltd")
            wait_until(lambda: settled(space, webhook_id), timeout=20, what="settled")
        assert hooks.received == []
    [attempt] = attempts_of(space, webhook_id)
    assert attempt.response_status is None
    assert attempt.error and "1 s" in attempt.error


def test_a_nul_in_the_answer_is_stored_replaced_and_the_delivery_settles(
    space: Space, settings: Settings
) -> None:
    """PostgreSQL stores no NUL: the answer is kept with it replaced, not lost in a loop."""
    with receiver() as hooks, running_worker(settings):
        hooks.default = (200, {}, b"ok\x00\x01")
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"])
        assert space.api.post("/clients", json={"name": "Nul"}).status_code == 201
        hooks.wait_for(1)
        settled = wait_until(
            lambda: [d for d in deliveries_of(space, webhook_id) if d.status != "pending"],
            what="the delivery settled",
        )
        assert len(hooks.quiet_for(1.0)) == 1
    assert settled[0].status == "succeeded"
    assert attempts_of(space, webhook_id)[0].response_body == "ok\ufffd\x01"


def test_an_absurd_retry_after_is_capped_and_recorded(space: Space, settings: Settings) -> None:
    assert retry_after_seconds("999999999999") == 24 * 3600
    assert retry_after_seconds("Fri, 01 Jan 9999 00:00:00 GMT") == 24 * 3600
    with receiver() as hooks, running_worker(settings):
        hooks.default = (429, {"Retry-After": "999999999999"}, b"slow down")
        webhook_id, _secret = add_webhook(space, hooks.url, ["client:*"], tries=3)
        assert space.api.post("/clients", json={"name": "Patient"}).status_code == 201
        hooks.wait_for(1)
        attempts = wait_until(lambda: attempts_of(space, webhook_id), what="an attempt")
        assert len(hooks.quiet_for(1.5)) == 1  # recorded once, waiting, not re-sent
    assert attempts[0].response_status == 429
    [delivery] = deliveries_of(space, webhook_id)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
