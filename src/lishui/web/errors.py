"""One error format: JSON ``{code, message, fields}`` for the API, a page for people. No stack traces."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lishui.core.errors import DomainError, FieldError
from lishui.web.templating import render

log = logging.getLogger("lishui.web")

HTTP_MESSAGES = {
    404: ("not_found", "页面或记录不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    400: ("bad_request", "请求格式有误"),
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, code: str, message: str,
                   fields: list[FieldError] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"code": code, "message": message, "fields": [f.as_dict() for f in fields or []]}, status_code=status
        )
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if code == "password_expired":
        return RedirectResponse("/account/password", status_code=303)
    if code == "mfa_required":
        return RedirectResponse(f"/account/mfa?next={quote(request.url.path)}", status_code=303)
    return render(request, "web/error.html", {"status": status, "code": code, "message": message,
                                              "fields": fields or []}, status=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return error_response(request, exc.status, exc.code, exc.message, exc.fields)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            fields.append(FieldError(".".join(loc) or "body", str(err.get("msg", "")).removeprefix("Value error, ")))
        return error_response(request, 422, "validation_failed", "输入有误", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, message = HTTP_MESSAGES.get(exc.status_code, ("error", "请求无法处理"))
        return error_response(request, exc.status_code, code, message)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _refused_value(request: Request, exc: Exception) -> Response:
        # The database refused a value the client sent (a NUL character, a number beyond the column's
        # range) that validation let through. Only the class is logged: the SQL and its parameters stay out.
        cause = getattr(exc, "orig", None) or exc
        log.warning("value refused by the database on %s %s: %s", request.method, request.url.path,
                    type(cause).__name__)
        return error_response(request, 422, "validation_failed", "输入的值无效：含有不允许的字符，或数值超出允许范围")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s: %s", request.method, request.url.path, type(exc).__name__,
                  exc_info=exc)
        return JSONResponse({"code": "internal_error", "message": "系统内部错误，请稍后重试", "fields": []},
                            status_code=500)
