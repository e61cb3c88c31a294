"""ASGI middleware: request id, security headers, request-size limit, the CSRF seed cookie."""

from __future__ import annotations

import secrets
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# The API docs page loads its own inline bootstrap; it gets a CSP that allows that, nothing else.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
SEED_COOKIE = "lishui_seed"


class PlatformMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, https: bool) -> None:
        self.app = app
        self.max_body = max_body
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        headers = dict(scope.get("headers") or [])
        seed = _cookie(headers.get(b"cookie", b"").decode("latin-1"), SEED_COOKIE)
        new_seed = None
        if not seed:
            new_seed = secrets.token_urlsafe(24)
            scope["state"]["csrf_seed"] = new_seed
        else:
            scope["state"]["csrf_seed"] = seed

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(send, self.max_body)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge()
            return message

        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["X-Request-ID"] = request_id
                h["Content-Security-Policy"] = DOCS_CSP if path == "/api/docs" else CSP
                h["X-Content-Type-Options"] = "nosniff"
                h["Referrer-Policy"] = "same-origin"
                h["X-Frame-Options"] = "DENY"
                h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                h["Cross-Origin-Opener-Policy"] = "same-origin"
                if "cache-control" not in h:
                    h["Cache-Control"] = "no-store" if not path.startswith("/static/") else "public, max-age=3600"
                if self.https:
                    h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if "server" in h:
                    del h["server"]
                if new_seed:
                    secure = "; Secure" if self.https else ""
                    h.append("Set-Cookie", f"{SEED_COOKIE}={new_seed}; Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await _too_large(send, self.max_body)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = ('{"code":"payload_too_large","message":"请求体过大，上限 %d KB","fields":[]}' % (limit // 1024)).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]})
    await send({"type": "http.response.body", "body": body})


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""

