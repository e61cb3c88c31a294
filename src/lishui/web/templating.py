"""Jinja2 templates from every domain package (autoescaped), with the helpers pages share."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, StrictUndefined, select_autoescape

from lishui.core.i18n import pick
from lishui.web.nav import menu_for

DOMAIN_TEMPLATES = ("web", "registry", "identity", "policy", "marketplace", "assessment", "funds", "stats")

_env = Environment(
    loader=ChoiceLoader([PrefixLoader({d: PackageLoader(f"lishui.{d}", "templates") for d in DOMAIN_TEMPLATES})]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)

# Messages shown after a redirect (?ok=code). Only known codes: a link cannot inject text into a page.
FLASH_MESSAGES: dict[str, tuple[str, str]] = {
    "saved": ("已保存", "Saved"),
    "created": ("已创建", "Created"),
    "imported": ("导入成功", "Imported"),
    "password_changed": ("密码已修改", "Password changed"),
    "logged_out": ("已安全退出", "Signed out"),
    "revoked": ("已撤销", "Revoked"),
    "unlocked": ("已解锁", "Unlocked"),
    "batch_done": ("批量测算已完成", "Batch run finished"),
    "published": ("已发布：本版本内容自此固定，修改须发布新版本", "Published: this version's content is now fixed"),
    "objection": ("异议已提交，将在批准前答复", "Objection lodged; it will be answered before approval"),
    "fact_recorded": ("已记录：作为新的修订保存，原值保留在修订记录中",
                      "Recorded as a new revision; earlier values are kept"),
}


def language(request: Request) -> str:
    lang = request.cookies.get("lang") or request.app.state.settings.default_language
    return lang if lang in ("zh", "en") else "zh"


def csrf_token(request: Request) -> str:
    token: str = request.app.state.authenticator.csrf_token(request)
    return token


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    lang = language(request)
    actor = getattr(request.state, "actor", None)
    ctx: dict[str, Any] = {
        "request": request,
        "actor": actor,
        "lang": lang,
        "t": lambda zh, en: pick(lang, zh, en),
        "csrf_token": csrf_token(request),
        "menu": menu_for(actor),
        "path": request.url.path,
        "flash": FLASH_MESSAGES.get(request.query_params.get("ok", ""), ("", ""))[0 if lang == "zh" else 1],
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)
