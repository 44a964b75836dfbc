"""Request and response shapes of the webhook management API (webhooks.md §1, §2)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from kanbert.clients.schemas import ClientData
from kanbert.kit.schemas import RequestBody
from kanbert.users.schemas import UserData

IdRef = Annotated[str, StringConstraints(max_length=64)]
# Lengths are checked by the service so the 422 names the field with a clear message; the
# caps here only keep absurd bodies out of the validators.
Url = Annotated[str, StringConstraints(max_length=10_000)]
Secret = Annotated[str, StringConstraints(max_length=10_000)]
EventName = Annotated[str, StringConstraints(max_length=100)]
Events = Annotated[list[EventName], Field(max_length=200)]


class ProjectRef(BaseModel):
    id: str
    title: str
    shortcode: str | None


class WebhookData(BaseModel):
    id: str
    url: str
    events: list[str]
    project: ProjectRef | None
    client: ClientData | None
    is_active: bool
    tries: int
    created_at: str
    updated_at: str
    last_success_at: str | None
    last_failure_at: str | None
    consecutive_failures: int
    disabled_reason: str | None


class WebhookWithSecret(WebhookData):
    secret: str = Field(description="Shown only by create and rotate-secret.")


class WebhookCreate(RequestBody):
    url: Url
    events: Events
    project_id: IdRef | None = None
    client_id: IdRef | None = None
    tries: StrictInt | None = Field(None, description="Attempts in total, 1 to 10 (default 3).")
    secret: Secret | None = Field(
        None, description="32 to 255 characters; a `whsec_…` secret is generated when absent."
    )


class WebhookUpdate(RequestBody):
    url: Url | None = None
    events: Events | None = None
    project_id: IdRef | None = None
    client_id: IdRef | None = None
    tries: StrictInt | None = None  # `true` is not a number of attempts
    is_active: bool | None = Field(
        None, description="Re-activating resets `consecutive_failures` and `disabled_reason`."
    )


class AttemptData(BaseModel):
    attempted_at: str
    response_status: int | None = Field(description="None when no HTTP answer came.")
    response_body: str | None = Field(description="The first 2 KB of the receiver's answer.")
    duration_ms: int
    error: str | None = Field(description="Why the attempt failed without an answer, if so.")


class AttemptResult(BaseModel):
    delivery_id: str
    status: str = Field(description="The delivery's status after the attempt.")
    attempt: AttemptData


class ResourceRef(BaseModel):
    type: str
    id: str


class DeliveryData(BaseModel):
    id: str = Field(description="The delivery id the receiver sees as `id` / `webhook-id`.")
    event: str
    resource: ResourceRef
    status: str = Field(description="pending, succeeded or failed.")
    attempts: int
    created_at: str
    occurred_at: str
    next_attempt_at: str | None = Field(description="When still pending: the next try.")
    completed_at: str | None


class DeliveryPayload(BaseModel):
    id: str
    event: str
    resource: ResourceRef
    triggered_by: UserData | None
    occurred_at: str
    data: dict[str, Any] | None
    changes: dict[str, Any] | None = None


class DeliveryDetail(DeliveryData):
    payload: DeliveryPayload = Field(description="Exactly the JSON body the receiver gets.")
    attempts_log: list[AttemptData] = Field(description="Every attempt, oldest first.")
