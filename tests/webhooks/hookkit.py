"""Helpers for webhook tests: register a webhook over the API as an integration would."""

from __future__ import annotations

from typing import Any

from support import Space


def register(space: Space, url: str, events: list[str], **fields: Any) -> dict[str, Any]:
    """POST /webhooks with the space's integration token; the answer (incl. `secret`)."""
    response = space.api.post("/webhooks", json={"url": url, "events": events, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
