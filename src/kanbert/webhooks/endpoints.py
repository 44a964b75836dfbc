"""HTTP edge of webhooks: parse, authorise, call the service, render. No logic of its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from kanbert.auth.deps import CurrentCaller, authenticate_briefly, check_scopes, requires
from kanbert.db.session import Session
from kanbert.kit.context import Caller
from kanbert.kit.records import with_etag
from kanbert.kit.responses import JsonResponse
from kanbert.kit.routes import add_list_route, add_nested_list_route, record_of
from kanbert.kit.schemas import ERROR_RESPONSES
from kanbert.settings import Settings
from kanbert.webhooks import service
from kanbert.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from kanbert.webhooks.resource import (
    attempt_data,
    delivery_detail,
    delivery_listing,
    webhook_data,
    webhook_listing,
    webhooks,
)
from kanbert.webhooks.schemas import (
    AttemptResult,
    DeliveryData,
    DeliveryDetail,
    WebhookCreate,
    WebhookData,
    WebhookUpdate,
    WebhookWithSecret,
)

SCOPE = "integration"


async def _integrations_only(caller: CurrentCaller) -> None:
    # Webhooks receive everything of the space, hidden records included: only integrations
    # hold them, whatever scopes another user's token carries.
    service.ensure_integration(caller)


router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    responses=ERROR_RESPONSES,
    dependencies=[Depends(_integrations_only)],
)

WebhookRecord = Annotated[Webhook, record_of(webhooks, "webhook_id")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


def _shown(webhook: Webhook, caller: Caller, status: int = 200) -> JsonResponse:
    return with_etag(webhook_data(webhook, caller), webhook, status)


def _with_secret(webhook: Webhook, caller: Caller, status: int = 200) -> JsonResponse:
    response = with_etag({**webhook_data(webhook, caller), "secret": webhook.secret}, webhook)
    response.status_code = status
    # The secret is shown once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _attempt_result(delivery: WebhookDelivery, attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "delivery_id": delivery.id,
        "status": delivery.status.value,
        "attempt": attempt_data(attempt),
    }


add_list_route(router, "", webhook_listing, WebhookData, "List webhooks", SCOPE)
add_nested_list_route(
    router,
    "/{webhook_id}/deliveries",
    delivery_listing,
    webhooks,
    "webhook_id",
    lambda webhook: WebhookDelivery.webhook_id == webhook.id,
    DeliveryData,
    "List a webhook's deliveries",
    SCOPE,
)


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecret,
    summary="Register a webhook",
    **requires(SCOPE),
)
async def create_webhook(
    body: WebhookCreate, caller: CurrentCaller, session: Session, settings: AppSettings
) -> JsonResponse:
    webhook = await service.create_webhook(session, settings, caller, body)
    return _with_secret(webhook, caller, 201)


@router.get(
    "/{webhook_id}", response_model=WebhookData, summary="Show a webhook", **requires(SCOPE)
)
async def show_webhook(webhook: WebhookRecord, caller: CurrentCaller) -> JsonResponse:
    return _shown(webhook, caller)


@router.patch(
    "/{webhook_id}", response_model=WebhookData, summary="Update a webhook", **requires(SCOPE)
)
async def update_webhook(
    webhook: WebhookRecord,
    body: WebhookUpdate,
    caller: CurrentCaller,
    session: Session,
    settings: AppSettings,
) -> JsonResponse:
    return _shown(await service.update_webhook(session, settings, caller, webhook, body), caller)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook and its delivery log",
    **requires(SCOPE),
)
async def delete_webhook(webhook: WebhookRecord, session: Session) -> Response:
    await service.delete_webhook(session, webhook)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    summary="Rotate a webhook's secret (the old one signs beside it for 24 h)",
    **requires(SCOPE),
)
async def rotate_secret(
    webhook: WebhookRecord, caller: CurrentCaller, session: Session
) -> JsonResponse:
    return _with_secret(await service.rotate_secret(session, webhook), caller)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="Show a delivery with its payload and attempts",
    **requires(SCOPE),
)
async def show_delivery(webhook: WebhookRecord, delivery_id: str, session: Session) -> JsonResponse:
    delivery = await service.find_delivery(session, webhook, delivery_id)
    return JsonResponse(delivery_detail(delivery))


# Ping and redelivery send over HTTP: they must not run inside a request transaction, which
# would hold a pooled connection (and on SQLite the database's write lock, taken up front for
# writes) while a slow receiver answers. So no `Session` / `CurrentCaller` dependencies here:
# a short read to authenticate, the service's own short transactions around the send.
sending_router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES)


async def _sender(request: Request) -> Caller:
    caller = await authenticate_briefly(request)
    check_scopes(caller, (SCOPE,))
    service.ensure_integration(caller)
    return caller


SCOPE_DOCS = requires(SCOPE)["openapi_extra"]


@sending_router.post(
    "/{webhook_id}/ping",
    response_model=AttemptResult,
    summary="Send the event webhook:ping now",
    openapi_extra=SCOPE_DOCS,
)
async def ping_webhook(webhook_id: str, request: Request) -> JsonResponse:
    caller = await _sender(request)
    state = request.app.state
    delivery, attempt = await service.ping(state.sessionmaker, state.settings, caller, webhook_id)
    return JsonResponse(_attempt_result(delivery, attempt))


@sending_router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=AttemptResult,
    summary="Send a delivery again, with the same id",
    openapi_extra=SCOPE_DOCS,
)
async def redeliver(webhook_id: str, delivery_id: str, request: Request) -> JsonResponse:
    caller = await _sender(request)
    state = request.app.state
    delivery, attempt = await service.redeliver(
        state.sessionmaker, state.settings, caller, webhook_id, delivery_id
    )
    return JsonResponse(_attempt_result(delivery, attempt))
