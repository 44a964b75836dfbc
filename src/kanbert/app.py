"""Builds the ASGI application: routers, error handling, transport guards, docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from kanbert.clients.endpoints import router as clients_router
from kanbert.comments.endpoints import router as comments_router
from kanbert.companies.endpoints import router as companies_router
from kanbert.contacts.endpoints import router as contacts_router
from kanbert.custom_fields.endpoints import router as custom_fields_router
from kanbert.db.engine import make_engine, make_sessionmaker
from kanbert.db.statistics import statistics_keeper
from kanbert.efforts.endpoints import routers as effort_routers
from kanbert.files.endpoints import router as files_router
from kanbert.files.storage import local_storage
from kanbert.kit.errors import install_error_handlers
from kanbert.kit.guards import TransportGuard
from kanbert.kit.idempotency import IdempotencyMiddleware
from kanbert.kit.query.cursor import CursorCodec
from kanbert.kit.ratelimit import RateLimitMiddleware, make_counter
from kanbert.kit.responses import JsonResponse
from kanbert.kit.security import install_security_headers
from kanbert.lookups.endpoints import routers as lookup_routers
from kanbert.oauth.endpoints import router as oauth_router
from kanbert.phases.endpoints import routers as phase_routers
from kanbert.projects.endpoints import routers as project_routers
from kanbert.settings import Settings
from kanbert.spaces.endpoints import router as spaces_router
from kanbert.tasks.endpoints import routers as task_routers
from kanbert.tokens.endpoints import router as tokens_router
from kanbert.user_groups.endpoints import router as user_groups_router
from kanbert.users.endpoints import router as users_router
from kanbert.webhooks.endpoints import router as webhooks_router
from kanbert.webhooks.endpoints import sending_router as webhook_sending_router
from kanbert.webhooks.outbox import publish
from kanbert.webhooks.worker import embedded_worker

API_PREFIX = "/api/v1"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"

# One line per domain: a new resource is a new folder plus its router here.
DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    users_router,
    user_groups_router,
    spaces_router,
    clients_router,
    custom_fields_router,
    *lookup_routers,
    companies_router,
    contacts_router,
    *project_routers,
    *phase_routers,
    files_router,
    comments_router,  # before the tasks routers: /tasks/comments/{id} ≠ /tasks/{id}
    *task_routers,
    *effort_routers,
    tokens_router,
    webhooks_router,
    webhook_sending_router,  # ping, redeliver: HTTP calls outside any transaction
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url)
    rate_counter = make_counter(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            statistics_keeper(engine, settings.statistics_interval_seconds),
            embedded_worker(app.state.sessionmaker, settings),
        ):
            yield
        await rate_counter.close()
        await engine.dispose()

    app = FastAPI(
        title="Kanbert API",
        version="1.0",
        description="A self-hosted server speaking the Kanbert REST API v1.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        default_response_class=JsonResponse,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.cursor_codec = CursorCodec(settings.resolved_secret_key)
    app.state.storage = local_storage(settings.data_dir)
    app.state.before_commit = partial(publish, settings=settings)  # the webhook outbox

    for router in DOMAIN_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(oauth_router)  # /oauth/*: RFC 6749, outside /api/v1 (auth.md §2)
    install_error_handlers(app)
    _add_service_routes(app)
    app.add_middleware(
        IdempotencyMiddleware,
        sessionmaker=app.state.sessionmaker,
        ttl_hours=settings.idempotency_ttl_hours,
    )
    app.add_middleware(TransportGuard, max_body_bytes=settings.max_body_bytes)
    # Outermost of ours: every request counts, even one the transport guard refuses.
    app.add_middleware(
        RateLimitMiddleware, counter=rate_counter, limit=settings.rate_limit_per_minute
    )
    install_security_headers(app)  # around everything, error pages included
    return app


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An integration token (kbt_…) or an OAuth access token.",
            }
        }
        schema["security"] = [{"bearerAuth": []}]
        schema["servers"] = [{"url": "/"}]
        app.openapi_schema = schema
    return app.openapi_schema


def _add_service_routes(app: FastAPI) -> None:
    app.mount(
        "/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets"
    )

    @app.get(OPENAPI_PATH, include_in_schema=False)
    async def openapi_document() -> JsonResponse:
        return JsonResponse(build_openapi(app))

    @app.get("/docs", include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title="Kanbert API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
            # Swagger UI would otherwise send the document to an outside validator service.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/health", include_in_schema=False)
    async def health() -> JsonResponse:
        try:
            async with app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # any failure to reach the database means unhealthy
            return JsonResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JsonResponse({"status": "ok", "database": "up"})
