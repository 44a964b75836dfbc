"""Ping and secret rotation (webhooks.md §2, §4): what the receiver gets, signed how."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from hookkit import register
from receiver import Received, receiver
from support import Space


def hex_signature(secret: str, got: Received) -> str:
    return hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()


def test_ping_reaches_the_receiver_signed_and_answers_the_attempt(space: Space) -> None:
    with receiver() as hooks:
        hook = register(space, hooks.url, ["client:*"])
        secret = hook["secret"]
        response = space.api.post(f"/webhooks/{hook['id']}/ping")
        assert response.status_code == 200, response.text
        got = hooks.wait_for(1)
    answer = response.json()
    assert answer["status"] == "succeeded"
    attempt = answer["attempt"]
    assert attempt["response_status"] == 200
    assert attempt["response_body"] == "ok"
    assert attempt["error"] is None
    assert attempt["duration_ms"] >= 0 and attempt["attempted_at"]

    request = got[0]
    body = request.json
    assert body["id"] == answer["delivery_id"]
    assert body["event"] == "webhook:ping"
    assert body["resource"] == {"type": "webhook", "id": hook["id"]}
    assert body["data"] == {k: v for k, v in hook.items() if k != "secret"}
    assert "secret" not in request.body.decode()
    assert body["triggered_by"]["id"] == space.integration_id
    assert body["occurred_at"]

    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Kanbert-Webhook/1"
    assert headers["signature"] == hex_signature(secret, request)
    assert headers["webhook-id"] == body["id"]
    assert int(headers["webhook-timestamp"]) > 0
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert StandardWebhook(secret).verify(request.body, headers) == body

    after = space.api.get(f"/webhooks/{hook['id']}").json()
    assert after["last_success_at"] is not None


def test_ping_with_a_client_chosen_secret_verifies_with_its_bytes(space: Space) -> None:
    secret = "my very own secret, not base64 at all!"
    with receiver() as hooks:
        hook = register(space, hooks.url, ["client:*"], secret=secret)
        assert space.api.post(f"/webhooks/{hook['id']}/ping").status_code == 200
        request = hooks.wait_for(1)[0]
    assert request.headers["signature"] == hex_signature(secret, request)
    assert StandardWebhook(secret.encode()).verify(request.body, request.headers)


def test_a_failed_ping_shows_the_answer_and_fails_the_delivery(space: Space) -> None:
    with receiver() as hooks:
        hooks.default = (500, {}, b"boom")
        hook = register(space, hooks.url, ["client:*"], tries=5)
        response = space.api.post(f"/webhooks/{hook['id']}/ping")
        assert response.status_code == 200, response.text
        hooks.wait_for(1)
        # A ping is never retried, whatever `tries` says.
        assert len(hooks.quiet_for(0.5)) == 1
    answer = response.json()
    assert answer["status"] == "failed"
    assert answer["attempt"]["response_status"] == 500
    assert answer["attempt"]["response_body"] == "boom"
    log = space.api.get(f"/webhooks/{hook['id']}/deliveries/{answer['delivery_id']}").json()
    assert log["status"] == "failed" and log["attempts"] == 1
    assert log["next_attempt_at"] is None and log["completed_at"] is not None
    after = space.api.get(f"/webhooks/{hook['id']}").json()
    assert after["last_failure_at"] is not None and after["last_success_at"] is None


def test_a_ping_to_a_closed_port_records_the_error(space: Space) -> None:
    hook = register(space, "http://127.0.0.1:9/nothing-listens", ["client:*"])
    response = space.api.post(f"/webhooks/{hook['id']}/ping")
    assert response.status_code == 200, response.text
    attempt = response.json()["attempt"]
    assert response.json()["status"] == "failed"
    assert attempt["response_status"] is None
    assert attempt["error"]


def test_rotation_signs_with_the_new_secret_and_the_old_one_beside_it(space: Space) -> None:
    with receiver() as hooks:
        hook = register(space, hooks.url, ["client:*"])
        old = hook["secret"]
        rotated = space.api.post(f"/webhooks/{hook['id']}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new.startswith("whsec_") and new != old
        assert {k: v for k, v in rotated.json().items() if k not in ("secret", "updated_at")} == {
            k: v for k, v in hook.items() if k not in ("secret", "updated_at")
        }
        assert "secret" not in space.api.get(f"/webhooks/{hook['id']}").json()
        assert space.api.post(f"/webhooks/{hook['id']}/ping").status_code == 200
        request = hooks.wait_for(1)[0]

    headers = request.headers
    assert headers["signature"] == hex_signature(new, request)
    assert headers["signature"] != hex_signature(old, request)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert StandardWebhook(new).verify(request.body, headers)
    assert StandardWebhook(old).verify(request.body, headers)
    # New first, then old: each signature verifies with exactly its own secret.
    first = {**headers, "webhook-signature": signatures[0]}
    second = {**headers, "webhook-signature": signatures[1]}
    assert StandardWebhook(new).verify(request.body, first)
    assert StandardWebhook(old).verify(request.body, second)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(old).verify(request.body, first)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(new).verify(request.body, second)


def test_rotating_twice_keeps_only_the_latest_old_secret(space: Space) -> None:
    with receiver() as hooks:
        hook = register(space, hooks.url, ["client:*"])
        first = space.api.post(f"/webhooks/{hook['id']}/rotate-secret").json()["secret"]
        second = space.api.post(f"/webhooks/{hook['id']}/rotate-secret").json()["secret"]
        assert space.api.post(f"/webhooks/{hook['id']}/ping").status_code == 200
        request = hooks.wait_for(1)[0]
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert StandardWebhook(second).verify(request.body, request.headers)
    assert StandardWebhook(first).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(hook["secret"]).verify(request.body, request.headers)


def test_the_api_keeps_writing_while_a_ping_waits_for_its_receiver(space: Space) -> None:
    """A ping sends outside any transaction: while its receiver holds the answer, another
    write goes through (on SQLite a held transaction would keep the write lock, the write
    would wait for it and the ping would time out first)."""
    arrived, release = threading.Event(), threading.Event()

    def hold(_request: Received) -> int:
        arrived.set()
        release.wait(10)
        return 200

    with receiver() as hooks:
        hooks.answer = hold
        webhook = register(space, hooks.url, ["client:*"])
        answers: list[Any] = []
        pinging = threading.Thread(
            target=lambda: answers.append(space.api.post(f"/webhooks/{webhook['id']}/ping"))
        )
        pinging.start()
        assert arrived.wait(10), "the ping did not reach the receiver"
        written = space.api.post("/clients", json={"name": "Written meanwhile"})
        release.set()
        pinging.join(15)
    assert written.status_code == 201, written.text
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["status"] == "succeeded"
    assert answers[0].json()["attempt"]["response_status"] == 200
