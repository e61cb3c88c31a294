"""create_app(): one FastAPI application serving every domain's pages and API."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

from lishui import __version__
from lishui.assessment import routes as assessment_routes
from lishui.assessment import views as assessment_views
from lishui.config import Settings, get_settings
from lishui.core.crypto import SettingsKeyProvider, self_test
from lishui.core.db import Database
from lishui.core.ratelimit import RateLimiter
from lishui.funds import routes as funds_routes
from lishui.funds import views as funds_views
from lishui.identity import PlatformAuthenticator
from lishui.identity import routes as identity_routes
from lishui.identity import views as identity_views
from lishui.marketplace import routes as marketplace_routes
from lishui.marketplace import views as marketplace_views
from lishui.policy import routes as policy_routes
from lishui.policy import service as policy_service
from lishui.policy import views as policy_views
from lishui.registry import routes as registry_routes
from lishui.registry import views as registry_views
from lishui.stats import routes as stats_routes
from lishui.stats import views as stats_views
from lishui.web import errors
from lishui.web.guard import public, served_routes
from lishui.web.middleware import PlatformMiddleware

log = logging.getLogger("lishui")

DOMAIN_ROUTERS: list[APIRouter] = [
    identity_views.router,
    identity_routes.router,
    registry_views.router,
    registry_routes.router,
    policy_views.router,
    policy_routes.router,
    marketplace_views.router,
    marketplace_routes.router,
    assessment_views.router,
    assessment_routes.router,
    funds_views.router,
    funds_routes.router,
    stats_views.router,
    stats_routes.router,
]


class UnguardedRoute(RuntimeError):
    pass


def _meta_router(app: FastAPI) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/api/openapi.json")
    def openapi(_: object = Depends(public())) -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/api/docs", response_class=HTMLResponse)
    def docs(_: object = Depends(public())) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="丽水市电子商务促进平台 API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    @router.get("/healthz")
    def health(_: object = Depends(public())) -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return router


def check_guards(app: FastAPI) -> None:
    """Deny by default: refuse to start if any route lacks a guard.

    Only API routes can carry a guard; anything else served (other than the static-file mount) is refused too.
    """
    api, other = served_routes(app.routes)
    missing = [f"{sorted(r.methods)} {r.path}" for r in api if r.guard is None]
    missing += [f"{type(r).__name__} {getattr(r, 'path', '?')}" for r in other
                if not (isinstance(r, Mount) and isinstance(r.app, StaticFiles))]
    if missing:
        raise UnguardedRoute("routes without a guard: " + ", ".join(missing))


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every refusal: a stable code, a message for people (Chinese), the fields at fault.",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "examples": ["validation_failed"]},
        "message": {"type": "string"},
        "fields": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "FieldError",
    "type": "object",
    "required": ["field", "message"],
    "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "row": {"type": "integer"}},
}
ERROR_RESPONSES = {
    "401": "Not signed in, or the bearer token is unknown, expired or revoked (`unauthenticated`)",
    "403": "Signed in without the permission (`forbidden`), or CSRF token missing on a cookie session "
           "(`csrf_failed`), second factor missing (`mfa_required`), password expired (`password_expired`)",
    "422": "Input is invalid (`validation_failed`); `fields` names each field at fault",
}


def _openapi_builder(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The generated schema plus how to authenticate (HTTP bearer) and the one error shape the API returns."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas["Error"] = ERROR_SCHEMA
        schemas["FieldError"] = FIELD_ERROR_SCHEMA
        components["securitySchemes"] = {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "An API token issued by a security or system administrator (`lsk_…`).",
        }}
        guards = {(r.path, m.lower()): r.guard for r in served_routes(app.routes)[0] for m in r.methods}
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                guard = guards.get((path, method)) or {}
                operation["security"] = [] if guard.get("public") else [{"bearerAuth": []}]
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    declared = responses.get(status, {}).get("description", "")
                    if declared and declared != "Validation Error":
                        description = declared
                    responses[status] = {"description": description, "content": error}
                if "{" in path:
                    responses.setdefault("404", {"description": "No such record, or not visible to you",
                                                 "content": error})
                responses.setdefault("default", {"description": "Any other refusal (conflict, too large, "
                                                                "unsupported file, rate limited)", "content": error})
        app.openapi_schema = schema
        return schema

    return build


_HEAP_SETTLED = False


def settle_heap() -> None:
    """Once per process, at start-up: load the policy packs (not during the first request), then leave everything
    built so far, kept for the life of the process, out of the garbage collector's later full collections. A full
    collection walks every tracked object; over the packs, routes and mappings it took 100-200 ms, in the middle of
    whichever request triggered it."""
    global _HEAP_SETTLED
    if _HEAP_SETTLED:
        return
    _HEAP_SETTLED = True
    policy_service.packs()
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    self_test()
    keys = SettingsKeyProvider(settings.secret_key, settings.field_key)
    db = database or Database(settings.database_url, keys)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        settle_heap()
        yield
        if database is None:
            db.dispose()

    app = FastAPI(title="丽水市电子商务促进平台 API", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan,
                  description="JSON API of the Lishui e-commerce promotion platform. Authenticate with a "
                              "bearer token (`Authorization: Bearer lsk_...`) issued by an administrator.")
    app.openapi = _openapi_builder(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.db = db
    app.state.authenticator = PlatformAuthenticator(settings)
    app.state.rate_limiter = RateLimiter()
    errors.install(app)
    for router in DOMAIN_ROUTERS:
        app.include_router(router)
    app.include_router(_meta_router(app))
    static_dir = resources.files("lishui.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.add_middleware(PlatformMiddleware, max_body=settings.max_upload_bytes + 64 * 1024, https=settings.https)
    check_guards(app)
    return app
