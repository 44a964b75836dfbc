"""Shared set-up for comment tests: a project the guest is a guest of, with a public and a
non-public task, and helpers to comment on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from support import Api, Space

READ, WRITE = "task-management:read", "task-management:write"


def made(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Board:
    space: Space
    ids: dict[str, str]

    def as_user(self, who: str, scopes: tuple[str, ...] = (READ, WRITE)) -> Api:
        return self.space.token(list(scopes), name=who, user_id=self.ids[who])

    def comment(self, api: Api | None = None, task: str = "task", **fields: Any) -> dict[str, Any]:
        body = {"task_id": self.ids[task], "comment": "<p>hello</p>", **fields}
        return made((api or self.space.api).post("/tasks/comments", json=body))


def ids_in(rows: list[dict[str, Any]]) -> list[str]:
    """Every comment id in the trees, depth first, in display order."""
    found: list[str] = []
    for row in rows:
        found.append(row["id"])
        found.extend(ids_in(row["sub_comments"]))
    return found
