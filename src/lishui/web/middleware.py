"""ASGI middleware: request id, security headers, request-size limit, the CSRF seed cookie, empty query
parameters dropped.

Every response leaves through here with the same security headers: pages, API, static files, the
request-too-large refusal, and the last-resort answer to an unexpected error.
"""

from __future__ import annotations

import json
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
HSTS = "max-age=31536000; includeSubDomains"

INTERNAL_ERROR_MESSAGE = "系统内部错误，请稍后重试"
INTERNAL_ERROR_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>500</title></head>'
    f'<body><h1>500</h1><p>{INTERNAL_ERROR_MESSAGE}</p><p><a href="/">返回首页</a></p></body></html>'
)


def security_headers(h: MutableHeaders, *, path: str, https: bool) -> None:
    h["Content-Security-Policy"] = DOCS_CSP if path == "/api/docs" else CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["X-Frame-Options"] = "DENY"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if "cache-control" not in h:
        h["Cache-Control"] = "no-store" if not path.startswith("/static/") else "public, max-age=3600"
    if https:
        h["Strict-Transport-Security"] = HSTS
    if "server" in h:
        del h["server"]


def without_empty_parameters(query: bytes) -> bytes:
    """The query string without ``name=`` pairs that have no value. A filter form sends every field, so clearing
    the year box sends ``year=``, which is no integer: an empty field means "not set", as if it were left out."""
    parts = [part for part in query.split(b"&") if part and not part.endswith(b"=")]
    return b"&".join(parts)


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
        if scope.get("query_string"):
            scope["query_string"] = without_empty_parameters(scope["query_string"])
        headers = dict(scope.get("headers") or [])
        seed = _cookie(headers.get(b"cookie", b"").decode("latin-1"), SEED_COOKIE)
        new_seed = None
        if not seed:
            new_seed = secrets.token_urlsafe(24)
            scope["state"]["csrf_seed"] = new_seed
        else:
            scope["state"]["csrf_seed"] = seed
        path = scope.get("path", "")
        wants_json = path.startswith("/api/") or b"application/json" in headers.get(b"accept", b"")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["X-Request-ID"] = request_id
                security_headers(h, path=path, https=self.https)
                if new_seed:
                    secure = "; Secure" if self.https else ""
                    h.append("Set-Cookie", f"{SEED_COOKIE}={new_seed}; Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        if b"\x00" in scope.get("raw_path", b"") or b"%00" in scope.get("query_string", b"") \
                or "\x00" in path:
            # No field of the platform takes a NUL character; PostgreSQL cannot even store one.
            await _plain_error(send_with_headers, 400, "bad_request", "请求中含有不允许的字符", wants_json)
            return

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(send_with_headers, self.max_body)
            return

        # A body without a (truthful) length is counted as it arrives. Once it passes the limit the
        # application sees an error while reading, and whatever it answers is replaced by a 413.
        received = 0
        too_large = False
        started = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    too_large = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                if too_large:
                    replaced = True
                    started = True
                    await _too_large(send_with_headers, self.max_body)
                    return
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send_with_headers, self.max_body)
        except Exception:
            # Answer with the platform's headers and no detail; the server logs the error.
            if not started:
                await _internal_error(send_with_headers, wants_json)
            raise


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"code": "payload_too_large", "message": f"请求体过大，上限 {limit // 1024} KB",
                       "fields": []}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


async def _internal_error(send: Send, wants_json: bool) -> None:
    await _plain_error(send, 500, "internal_error", INTERNAL_ERROR_MESSAGE, wants_json)


async def _plain_error(send: Send, status: int, code: str, message: str, wants_json: bool) -> None:
    """An error answered before (or instead of) the application: JSON for the API, a bare page for people."""
    if wants_json:
        body = json.dumps({"code": code, "message": message, "fields": []}, ensure_ascii=False).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        body = INTERNAL_ERROR_PAGE.replace("500", str(status)).replace(INTERNAL_ERROR_MESSAGE, message).encode()
        content_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""
