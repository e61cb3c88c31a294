"""create_app(): one FastAPI application serving every domain's pages and API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.routing import APIRoute

from lishui import __version__
from lishui.config import Settings, get_settings
from lishui.core.crypto import SettingsKeyProvider, self_test
from lishui.core.db import Database
from lishui.core.ratelimit import RateLimiter
from lishui.identity import PlatformAuthenticator
from lishui.identity import routes as identity_routes
from lishui.identity import views as identity_views
from lishui.registry import routes as registry_routes
from lishui.registry import views as registry_views
from lishui.web import errors
from lishui.web.guard import guard_of, public
from lishui.web.middleware import PlatformMiddleware

log = logging.getLogger("lishui")

DOMAIN_ROUTERS: list[APIRouter] = [
    identity_views.router,
    identity_routes.router,
    registry_views.router,
    registry_routes.router,
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
    """Deny by default: refuse to start if any route lacks a guard."""
    missing = [f"{sorted(r.methods)} {r.path}" for r in app.routes if isinstance(r, APIRoute) and guard_of(r) is None]
    if missing:
        raise UnguardedRoute("routes without a guard: " + ", ".join(missing))


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    self_test()
    keys = SettingsKeyProvider(settings.secret_key, settings.field_key)
    db = database or Database(settings.database_url, keys)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.dispose()

    app = FastAPI(title="丽水市电子商务促进平台 API", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan,
                  description="JSON API of the Lishui e-commerce promotion platform. Authenticate with a "
                              "bearer token (`Authorization: Bearer lsk_...`) issued by an administrator.")
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
