"""Marketplace pages: the public showcase, provider directory and policy lookup; the enterprise and provider
workspaces (demands, quotes, engagements, products); the center's back office."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as FormFile

from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError
from lishui.core.files import check_size, sniff, store
from lishui.core.tabular import write_xlsx
from lishui.marketplace import imports, lookup, matching, service, showcase
from lishui.marketplace.models import Demand
from lishui.marketplace.vocab import (
    CATEGORIES,
    DEMAND_STATES,
    ENGAGEMENT_STATES,
    PLATFORMS,
    PRODUCT_CATEGORIES,
    PROVIDER_STATES,
)
from lishui.registry import ORG_KINDS
from lishui.web.deps import DbSession, PostedForm, RecordId
from lishui.web.downloads import XLSX
from lishui.web.guard import public, require
from lishui.web.imports import run_import
from lishui.web.nav import NavEntry, register
from lishui.web.templating import render
from lishui.web.todo import Todo, register_todos

router = APIRouter(include_in_schema=False)

SECTION = "公共服务平台"
register(NavEntry(SECTION, "需求大厅", "Demands", "/marketplace/demands", "marketplace:demand:read", order=600))
register(NavEntry(SECTION, "发布需求", "Post a demand", "/marketplace/demands/new", "marketplace:demand:write",
                  order=605))
register(NavEntry(SECTION, "服务项目", "Engagements", "/marketplace/engagements", "marketplace:engagement:read",
                  order=610))
register(NavEntry(SECTION, "服务商工作台", "Provider workspace", "/marketplace/provider", "marketplace:provider:write",
                  order=615))
register(NavEntry(SECTION, "我的丽水专区", "My showcase", "/marketplace/showcase", "marketplace:showcase:write",
                  order=620))
register(NavEntry(SECTION, "消息通知", "Notifications", "/marketplace/notifications",
                  "marketplace:notification:read", order=625))
register(NavEntry(SECTION, "服务中心后台", "Center back office", "/marketplace/center", "marketplace:center:manage",
                  order=630))
register(NavEntry(SECTION, "批量导入", "Import", "/marketplace/center/import", "marketplace:center:manage",
                  order=632))
register(NavEntry(SECTION, "服务统计", "Service figures", "/marketplace/center/figures", "marketplace:center:stats",
                  order=635))
register(NavEntry(SECTION, "丽水专区", "Lishui showcase", "/showcase", None, order=640))
register(NavEntry(SECTION, "服务商名录", "Provider directory", "/providers", None, order=645))
register(NavEntry(SECTION, "政策查询", "Policy lookup", "/policy-lookup", None, order=650))


def _todos(session: Session, actor: Actor) -> list[Todo]:
    """For the service center: provider applications waiting for verification."""
    if not actor.can("marketplace:center:manage"):
        return []
    return [Todo("待审核的服务商入驻申请", "Provider applications to verify", len(service.pending_providers(session)),
                 "/marketplace/center")]


register_todos(_todos)

MAX_ATTACHMENT = 10 * 1024 * 1024

VOCAB: dict[str, Any] = {
    "categories": CATEGORIES, "product_categories": PRODUCT_CATEGORIES, "platforms": PLATFORMS,
    "demand_states": DEMAND_STATES, "engagement_states": ENGAGEMENT_STATES, "provider_states": PROVIDER_STATES,
    "counties": service.JURISDICTIONS,
}


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, f"marketplace/{name}", {**VOCAB, **context}, status=status)


def _errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in exc.fields:
        out.setdefault(f.field, f.message)
    return out


def _form(form: FormData, names: tuple[str, ...], limit: int = 4000) -> dict[str, str]:
    return {k: str(form.get(k, "") or "")[:limit] for k in names}


def _int(value: Any) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return 0
    return number if 0 < number <= 2_147_483_647 else 0


def _upload(form: FormData, name: str) -> tuple[bytes, str] | None:
    item = form.get(name)
    if isinstance(item, FormFile) and item.filename:
        return item.file.read(), item.filename
    return None


def _stored_upload(request: Request, form: FormData, name: str, folder: str) -> tuple[str, str] | None:
    """A file from the form, checked (size; PDF, image or spreadsheet judged from the content, never the name) and
    stored under a random name outside any served folder: (original name, stored name)."""
    upload = _upload(form, name)
    if upload is None:
        return None
    data, filename = upload
    check_size(data, MAX_ATTACHMENT)
    sniff(data)
    stored, _digest = store(request.app.state.settings.upload_dir / folder, data)
    return filename, stored


def _download(name: str, data: bytes) -> Response:
    return Response(data, media_type=sniff(data).media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


# ================================================================ public pages

@router.get("/showcase", response_class=HTMLResponse)
def showcase_page(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                  q: str = "", county: str = "", category: str = "", page: int = 1) -> Response:
    f = showcase.ProductFilter(q=q[:50], county=county[:12] if county in service.JURISDICTIONS else "",
                               category=category[:30] if category in PRODUCT_CATEGORIES else "",
                               page=max(1, min(page, 10_000)))
    items, total = showcase.search_products(session, f)
    query = urlencode({"q": f.q, "county": f.county, "category": f.category})
    return _page(request, "showcase.html", {
        "items": items, "total": total, "f": f, "query": query, "pages": max(1, -(-total // f.per_page)),
        "collections": showcase.featured_collections(session) if not (f.q or f.county or f.category) else [],
        "orgs": service.organisation_names(session, {p.org_id for p in items}),
    })


@router.get("/showcase/product", response_class=HTMLResponse)
def product_page(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                 id: int = 0) -> Response:
    if not _int(id):
        return RedirectResponse("/showcase", status_code=303)
    product = showcase.get_product(session, id)
    return _page(request, "product.html", {
        "p": product, "links": showcase.links_of(session, product.id),
        "brand": showcase.brand_name(session, product.brand_id),
        "org": service.organisation_names(session, {product.org_id}).get(product.org_id, ""),
    })


@router.get("/showcase/collection", response_class=HTMLResponse)
def collection_page(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                    id: int = 0) -> Response:
    if not _int(id):
        return RedirectResponse("/showcase", status_code=303)
    collection, products = showcase.get_collection(session, id)
    return _page(request, "collection.html", {
        "c": collection, "items": products, "orgs": service.organisation_names(session, {p.org_id for p in products}),
    })


@router.get("/showcase/enterprise", response_class=HTMLResponse)
def enterprise_page(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                    id: int = 0) -> Response:
    if not _int(id):
        return RedirectResponse("/showcase", status_code=303)
    return _page(request, "enterprise.html", {"e": showcase.enterprise_page(session, id)})


@router.get("/showcase/go")
def follow_link(session: DbSession, _: Annotated[Actor | None, Depends(public())], link: int = 0) -> Response:
    """Counts the click as traffic for the enterprise, then sends the visitor to the shop."""
    if not _int(link):
        return RedirectResponse("/showcase", status_code=303)
    return RedirectResponse(showcase.follow_link(session, link), status_code=303,
                            headers={"Referrer-Policy": "no-referrer"})


@router.get("/showcase/image")
def image(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
          id: int = 0) -> Response:
    if not _int(id):
        return RedirectResponse("/static/favicon.svg", status_code=303)
    data = showcase.image_bytes(session, id, request.app.state.settings.upload_dir)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=86400",
                                                            "X-Content-Type-Options": "nosniff"})


@router.get("/providers", response_class=HTMLResponse)
def provider_directory(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                       category: str = "", county: str = "", q: str = "") -> Response:
    category = category if category in CATEGORIES else ""
    county = county if county in service.JURISDICTIONS else ""
    providers = service.list_providers(session, category=category, county=county, q=q[:50])
    ids = [p.id for p in providers]
    return _page(request, "providers.html", {
        "providers": providers, "offerings": service.offerings_of(session, ids),
        "records": service.provider_records(session, ids), "category": category, "county": county, "q": q[:50],
    })


@router.get("/policy-lookup", response_class=HTMLResponse)
def policy_lookup(request: Request, _: Annotated[Actor | None, Depends(public())], q: str = "",
                  division: str = "331100", kind: str = "") -> Response:
    division = division if division in service.JURISDICTIONS or division == "331100" else "331100"
    kind = kind if kind in ORG_KINDS else ""
    return _page(request, "lookup.html", {"measures": lookup.measures(division, q[:50], kind=kind), "q": q[:50],
                                          "division": division, "kind": kind, "kinds": ORG_KINDS})


@router.get("/providers/detail", response_class=HTMLResponse)
def provider_detail(request: Request, session: DbSession, _: Annotated[Actor | None, Depends(public())],
                    id: int = 0) -> Response:
    if not _int(id):
        return RedirectResponse("/providers", status_code=303)
    provider = service.verified_provider(session, id)
    return _page(request, "provider_detail.html", {
        "p": provider, "offerings": service.offerings_of(session, [provider.id])[provider.id],
        "record": service.provider_records(session, [provider.id])[provider.id],
    })


# ================================================================ notifications

@router.get("/marketplace/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, session: DbSession,
                       actor: Annotated[Actor, Depends(require("marketplace:notification:read"))]) -> Response:
    return _page(request, "notifications.html", {"items": service.notifications(session, actor)})


@router.post("/marketplace/notifications/read")
def notifications_read(session: DbSession,
                       actor: Annotated[Actor, Depends(require("marketplace:notification:read"))]) -> Response:
    service.mark_read(session, actor)
    return RedirectResponse("/marketplace/notifications?ok=saved", status_code=303)


# ================================================================ demands

@router.get("/marketplace/demands", response_class=HTMLResponse)
def demands_page(request: Request, session: DbSession,
                 actor: Annotated[Actor, Depends(require("marketplace:demand:read"))]) -> Response:
    provider = service.provider_of(session, actor)
    if provider is not None and provider.state == "verified":
        items, view = service.demands_for_provider(session, actor), "provider"
    else:
        items, view = service.list_demands(session, actor), "owner" if actor.scope == "org" else "officer"
    return _page(request, "demands.html", {"items": items, "view": view,
                                           "orgs": service.organisation_names(session, {d.org_id for d in items})})


def _demand_form(request: Request, session: Any, form: dict[str, Any], errors: dict[str, str], message: str,
                 status: int = 200) -> Response:
    return _page(request, "demand_form.html", {
        "form": form, "errors": errors, "message": message, "providers": service.list_providers(session, limit=500),
    }, status=status)


@router.get("/marketplace/demands/new", response_class=HTMLResponse)
def demand_new(request: Request, session: DbSession,
               _: Annotated[Actor, Depends(require("marketplace:demand:write"))]) -> Response:
    return _demand_form(request, session, {"invite": []}, {}, "")


@router.post("/marketplace/demands/new", response_class=HTMLResponse)
def demand_create(request: Request, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("marketplace:demand:write"))]) -> Response:
    form: dict[str, Any] = _form(posted, ("category", "title", "description", "budget", "deadline"))
    form["is_private"] = posted.get("is_private") == "1"
    form["invite"] = [_int(v) for v in posted.getlist("invite") if _int(v)]
    try:
        attachment = _stored_upload(request, posted, "attachment", "demands")
        demand = service.create_demand(session, actor, category=form["category"], title=form["title"],
                                       description=form["description"], budget=form["budget"],
                                       deadline=form["deadline"], is_private=form["is_private"],
                                       invite=form["invite"], attachment=attachment)
    except DomainError as exc:
        session.rollback()
        return _demand_form(request, session, form, _errors(exc), exc.message, status=exc.status)
    return RedirectResponse(f"/marketplace/demands/{demand.id}?ok=created", status_code=303)


def _demand_page(request: Request, session: Any, actor: Actor, demand: Any, *, quote_form: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, message: str = "", status: int = 200) -> Response:
    provider = service.provider_of(session, actor)
    owner = demand.org_id == actor.org_id
    can_see_matches = (owner and actor.can("marketplace:match:read")) or actor.can("marketplace:center:manage")
    matches = matching.rank_demand(session, demand) if can_see_matches else []
    quotes = service.quotes_for(session, actor, demand)
    invited = service.invited_ids(session, demand.id)
    return _page(request, "demand.html", {
        "d": demand, "owner": owner, "matches": matches, "quotes": quotes, "invited": invited,
        "provider": provider, "names": service.provider_names(session, {q.provider_id for q in quotes} | invited),
        "org": service.organisation_names(session, {demand.org_id}).get(demand.org_id, ""),
        "can_quote": bool(provider and provider.state == "verified" and not owner and demand.state == "open"
                          and actor.can("marketplace:quote:write")
                          and all(q.provider_id != provider.id for q in quotes)),
        "center": actor.can("marketplace:center:manage"),
        "quote_form": quote_form or {}, "errors": errors or {}, "message": message,
    }, status=status)


@router.get("/marketplace/demands/{demand_id}", response_class=HTMLResponse)
def demand_detail(request: Request, demand_id: RecordId, session: DbSession,
                  actor: Annotated[Actor, Depends(require("marketplace:demand:read"))]) -> Response:
    return _demand_page(request, session, actor, service.get_demand(session, actor, demand_id))


@router.get("/marketplace/demands/{demand_id}/attachment")
def demand_attachment(request: Request, demand_id: RecordId, session: DbSession,
                      actor: Annotated[Actor, Depends(require("marketplace:demand:read"))]) -> Response:
    """The demand's attachment, for whoever may see the demand."""
    return _download(*service.attachment_of(session, actor, demand_id, request.app.state.settings.upload_dir))


@router.post("/marketplace/demands/{demand_id}/quote", response_class=HTMLResponse)
def demand_quote(request: Request, demand_id: RecordId, session: DbSession, posted: PostedForm,
                 actor: Annotated[Actor, Depends(require("marketplace:quote:write"))]) -> Response:
    demand = service.get_demand(session, actor, demand_id)
    form = _form(posted, ("amount", "days", "message"))
    try:
        service.submit_quote(session, actor, demand.id, amount=form["amount"], days=form["days"],
                             message=form["message"])
    except DomainError as exc:
        session.rollback()
        demand = service.get_demand(session, actor, demand_id)
        return _demand_page(request, session, actor, demand, quote_form=form, errors=_errors(exc),
                            message=exc.message, status=exc.status)
    return RedirectResponse(f"/marketplace/demands/{demand.id}?ok=saved", status_code=303)


@router.post("/marketplace/demands/{demand_id}/invite")
def demand_invite(demand_id: RecordId, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("marketplace:demand:write"))]) -> Response:
    demand = service.own_demand(session, actor, demand_id)
    service.invite_provider(session, actor, demand.id, _int(posted.get("provider_id", "")))
    return RedirectResponse(f"/marketplace/demands/{demand.id}?ok=saved", status_code=303)


@router.post("/marketplace/quotes/{quote_id}/accept")
def quote_accept(quote_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("marketplace:demand:write"))]) -> Response:
    engagement = service.accept_quote(session, actor, quote_id)
    return RedirectResponse(f"/marketplace/engagements/{engagement.id}?ok=created", status_code=303)


# ================================================================ engagements

@router.get("/marketplace/engagements", response_class=HTMLResponse)
def engagements_page(request: Request, session: DbSession,
                     actor: Annotated[Actor, Depends(require("marketplace:engagement:read"))]) -> Response:
    items = service.list_engagements(session, actor)
    return _page(request, "engagements.html", {
        "items": items, "orgs": service.organisation_names(session, {e.org_id for e in items}),
        "names": service.provider_names(session, {e.provider_id for e in items}),
    })


def _engagement_page(request: Request, session: Any, actor: Actor, engagement: Any, message: str = "",
                     errors: dict[str, str] | None = None, status: int = 200) -> Response:
    ratings = service.ratings_of(session, engagement.id)
    side = service.side_of(session, actor, engagement)
    demand = session.get(Demand, engagement.demand_id)
    return _page(request, "engagement.html", {
        "e": engagement, "demand": demand, "side": side, "ratings": ratings,
        "rated": any(r.side == side for r in ratings), "disputes": service.disputes_of(session, engagement.id),
        "org": service.organisation_names(session, {engagement.org_id}).get(engagement.org_id, ""),
        "provider_name": service.provider_names(session, {engagement.provider_id}).get(engagement.provider_id, ""),
        "message": message, "errors": errors or {},
    }, status=status)


@router.get("/marketplace/engagements/{engagement_id}", response_class=HTMLResponse)
def engagement_detail(request: Request, engagement_id: RecordId, session: DbSession,
                      actor: Annotated[Actor, Depends(require("marketplace:engagement:read"))]) -> Response:
    return _engagement_page(request, session, actor, service.get_engagement(session, actor, engagement_id))


@router.post("/marketplace/engagements/{engagement_id}/advance", response_class=HTMLResponse)
def engagement_advance(request: Request, engagement_id: RecordId, session: DbSession, posted: PostedForm,
                       actor: Annotated[Actor, Depends(require("marketplace:engagement:write"))]) -> Response:
    engagement = service.get_engagement(session, actor, engagement_id)
    form = _form(posted, ("action", "reason"), 2000)
    if form["action"] == "resolve":
        form["action"] = ""  # the center resolves disputes in its back office
    try:
        service.advance(session, actor, engagement.id, form["action"], form["reason"])
    except DomainError as exc:
        session.rollback()
        engagement = service.get_engagement(session, actor, engagement_id)
        return _engagement_page(request, session, actor, engagement, exc.message, _errors(exc), exc.status)
    return RedirectResponse(f"/marketplace/engagements/{engagement.id}?ok=saved", status_code=303)


@router.post("/marketplace/engagements/{engagement_id}/rate", response_class=HTMLResponse)
def engagement_rate(request: Request, engagement_id: RecordId, session: DbSession, posted: PostedForm,
                    actor: Annotated[Actor, Depends(require("marketplace:engagement:write"))]) -> Response:
    engagement = service.get_engagement(session, actor, engagement_id)
    form = _form(posted, ("score", "comment"), 1000)
    try:
        service.rate(session, actor, engagement.id, score=form["score"], comment=form["comment"])
    except DomainError as exc:
        session.rollback()
        engagement = service.get_engagement(session, actor, engagement_id)
        return _engagement_page(request, session, actor, engagement, exc.message, _errors(exc), exc.status)
    return RedirectResponse(f"/marketplace/engagements/{engagement.id}?ok=saved", status_code=303)


# ================================================================ provider workspace

def _provider_page(request: Request, session: Any, actor: Actor, *, form: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, message: str = "", status: int = 200) -> Response:
    provider = service.provider_of(session, actor)
    offerings = service.offerings_of(session, [provider.id])[provider.id] if provider else []
    return _page(request, "provider.html", {
        "provider": provider, "offerings": offerings, "form": form or {}, "errors": errors or {},
        "message": message,
        "demands": service.demands_for_provider(session, actor)[:10] if provider and provider.state == "verified"
        else [],
    }, status=status)


@router.get("/marketplace/provider", response_class=HTMLResponse)
def provider_page(request: Request, session: DbSession,
                  actor: Annotated[Actor, Depends(require("marketplace:provider:write"))]) -> Response:
    return _provider_page(request, session, actor)


@router.post("/marketplace/provider/profile", response_class=HTMLResponse)
def provider_apply(request: Request, session: DbSession, posted: PostedForm,
                   actor: Annotated[Actor, Depends(require("marketplace:provider:write"))]) -> Response:
    form = _form(posted, ("display_name", "kind", "introduction", "documents", "capacity"))
    try:
        document = _stored_upload(request, posted, "document", "providers")
        service.apply_as_provider(session, actor, **form, document=document)
    except DomainError as exc:
        session.rollback()
        return _provider_page(request, session, actor, form=form, errors=_errors(exc), message=exc.message,
                              status=exc.status)
    return RedirectResponse("/marketplace/provider?ok=saved", status_code=303)


@router.post("/marketplace/provider/offerings", response_class=HTMLResponse)
def provider_offering(request: Request, session: DbSession, posted: PostedForm,
                      actor: Annotated[Actor, Depends(require("marketplace:provider:write"))]) -> Response:
    form: dict[str, Any] = _form(posted, ("category", "title", "description", "price_min", "price_max", "cases",
                                          "contract_no", "budget_line"))
    form["counties"] = [str(c)[:12] for c in posted.getlist("counties")]
    form["government_purchased"] = posted.get("government_purchased") == "1"
    try:
        service.create_offering(session, actor, **form)
    except DomainError as exc:
        session.rollback()
        return _provider_page(request, session, actor, form=form, errors=_errors(exc), message=exc.message,
                              status=exc.status)
    return RedirectResponse("/marketplace/provider?ok=created", status_code=303)


@router.post("/marketplace/provider/offerings/{offering_id}/withdraw")
def provider_withdraw(offering_id: RecordId, session: DbSession,
                      actor: Annotated[Actor, Depends(require("marketplace:provider:write"))]) -> Response:
    service.withdraw_offering(session, actor, offering_id)
    return RedirectResponse("/marketplace/provider?ok=saved", status_code=303)


# ================================================================ enterprise showcase workspace

def _mine_page(request: Request, session: Any, actor: Actor, *, form: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, message: str = "", status: int = 200) -> Response:
    traffic = showcase.traffic_of(session, actor)
    return _page(request, "mine.html", {"traffic": traffic, "clicks": sum(n for _, n in traffic),
                                        "form": form or {}, "errors": errors or {}, "message": message},
                 status=status)


@router.get("/marketplace/showcase", response_class=HTMLResponse)
def mine_page(request: Request, session: DbSession,
              actor: Annotated[Actor, Depends(require("marketplace:showcase:write"))]) -> Response:
    return _mine_page(request, session, actor)


@router.post("/marketplace/showcase/products", response_class=HTMLResponse)
def mine_create(request: Request, session: DbSession, posted: PostedForm,
                actor: Annotated[Actor, Depends(require("marketplace:showcase:write"))]) -> Response:
    form: dict[str, Any] = _form(posted, ("name", "category", "description", "certifications", "brand",
                                          "link_platform", "link_url"))
    links = [(form["link_platform"], form["link_url"])] if form["link_url"].strip() else []
    try:
        image_id = None
        upload = _upload(posted, "image")
        if upload is not None:
            try:
                image_id = showcase.save_image(session, actor, upload[0], request.app.state.settings.upload_dir).id
            except DomainError as exc:
                raise DomainError(exc.message, exc.code, exc.status, [FieldError("image", exc.message)]) from None
        showcase.create_product(session, actor, showcase.ProductInput(
            name=form["name"], category=form["category"], description=form["description"],
            certifications=form["certifications"], brand=form["brand"], links=links), image_id=image_id)
    except DomainError as exc:
        session.rollback()
        return _mine_page(request, session, actor, form=form, errors=_errors(exc), message=exc.message,
                          status=exc.status)
    return RedirectResponse("/marketplace/showcase?ok=created", status_code=303)


@router.post("/marketplace/showcase/products/{product_id}/unpublish")
def mine_unpublish(product_id: RecordId, session: DbSession,
                   actor: Annotated[Actor, Depends(require("marketplace:showcase:write"))]) -> Response:
    showcase.unpublish_product(session, actor, product_id)
    return RedirectResponse("/marketplace/showcase?ok=saved", status_code=303)


# ================================================================ the center's back office

def _center_page(request: Request, session: Any, actor: Actor, message: str = "", errors: dict[str, str] | None = None,
                 status: int = 200) -> Response:
    disputes = service.open_disputes(session, actor)
    return _page(request, "center.html", {
        "pending": service.pending_providers(session), "disputes": disputes,
        "open_demands": service.list_demands(session, actor, state="open", limit=50),
        "providers": service.list_providers(session, limit=500), "collections": showcase.featured_collections(session),
        "message": message, "errors": errors or {},
    }, status=status)


@router.get("/marketplace/center", response_class=HTMLResponse)
def center_page(request: Request, session: DbSession,
                actor: Annotated[Actor, Depends(require("marketplace:center:manage"))]) -> Response:
    return _center_page(request, session, actor)


@router.post("/marketplace/center/providers/{provider_id}/review", response_class=HTMLResponse)
def center_review(request: Request, provider_id: RecordId, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("marketplace:center:manage"))]) -> Response:
    try:
        service.review_provider(session, actor, provider_id, approve=posted.get("decision") == "approve",
                                note=str(posted.get("note", ""))[:500])
    except DomainError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        return _center_page(request, session, actor, exc.message, _errors(exc), exc.status)
    return RedirectResponse("/marketplace/center?ok=saved", status_code=303)


@router.get("/marketplace/center/providers/{provider_id}/document")
def center_provider_document(request: Request, provider_id: RecordId, session: DbSession,
                             _: Annotated[Actor, Depends(require("marketplace:center:manage"))]) -> Response:
    return _download(*service.provider_document(session, provider_id, request.app.state.settings.upload_dir))


@router.post("/marketplace/center/demands/{demand_id}/invite")
def center_invite(demand_id: RecordId, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("marketplace:center:manage"))]) -> Response:
    """Matching by hand: the center invites a provider to quote."""
    demand = service.get_demand(session, actor, demand_id)
    service.invite_provider(session, actor, demand.id, _int(posted.get("provider_id", "")))
    return RedirectResponse(f"/marketplace/demands/{demand.id}?ok=saved", status_code=303)


@router.post("/marketplace/center/engagements/{engagement_id}/resolve", response_class=HTMLResponse)
def center_resolve(request: Request, engagement_id: RecordId, session: DbSession, posted: PostedForm,
                   actor: Annotated[Actor, Depends(require("marketplace:center:manage"))]) -> Response:
    engagement = service.get_engagement(session, actor, engagement_id)
    try:
        service.advance(session, actor, engagement.id, "resolve", str(posted.get("reason", ""))[:2000])
    except DomainError as exc:
        session.rollback()
        return _center_page(request, session, actor, exc.message, _errors(exc), exc.status)
    return RedirectResponse("/marketplace/center?ok=saved", status_code=303)


@router.post("/marketplace/center/collections", response_class=HTMLResponse)
def center_collection(request: Request, session: DbSession, posted: PostedForm,
                      actor: Annotated[Actor, Depends(require("marketplace:center:manage"))]) -> Response:
    # An unreadable number becomes -1, which the service reports as a product that does not exist.
    ids = [_int(p) or -1 for p in str(posted.get("product_ids", "")).replace("，", ",").replace(" ", ",").split(",")
           if p.strip()]
    try:
        showcase.create_collection(session, actor, title=str(posted.get("title", ""))[:300],
                                   description=str(posted.get("description", ""))[:2000],
                                   product_ids=ids)
    except DomainError as exc:
        session.rollback()
        return _center_page(request, session, actor, exc.message, _errors(exc), exc.status)
    return RedirectResponse("/marketplace/center?ok=created", status_code=303)


IMPORTS = {"providers": (imports.import_providers, "服务商与服务", "Providers and offerings"),
           "products": (imports.import_products, "丽水专区产品", "Showcase products")}


def _import_page(kind: str) -> Any:
    def page(request: Request, report: imports.ImportReport | None, filename: str, message: str = "",
             fields: list[FieldError] | None = None, status: int = 200) -> Response:
        headers, _rows = imports.template(kind)
        return _page(request, "import.html", {"kind": kind, "title": IMPORTS[kind][1:], "columns": headers,
                                              "report": report, "filename": filename, "message": message,
                                              "fields": fields or []}, status=status)

    return page


def _kind(kind: str) -> str:
    return kind if kind in IMPORTS else "providers"


@router.get("/marketplace/center/import", response_class=HTMLResponse)
def import_page(request: Request, _: Annotated[Actor, Depends(require("marketplace:center:manage"))],
                kind: str = "providers") -> Response:
    return _import_page(_kind(kind))(request, None, "")


@router.get("/marketplace/center/import/template")
def import_template(_: Annotated[Actor, Depends(require("marketplace:center:manage"))],
                    kind: str = "providers") -> Response:
    kind = _kind(kind)
    headers, rows = imports.template(kind)
    return Response(write_xlsx(headers, rows, "导入模板"), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="marketplace-{kind}-template.xlsx"'})


@router.post("/marketplace/center/import", response_class=HTMLResponse)
def import_run(request: Request, session: DbSession, file: UploadFile,
               actor: Annotated[Actor, Depends(require("marketplace:center:manage"))],
               kind: str = "providers") -> Response:
    kind = _kind(kind)
    run = IMPORTS[kind][0]
    return run_import(request, session, file, lambda content, name: run(session, actor, content, name),
                      _import_page(kind))


@router.get("/marketplace/center/figures", response_class=HTMLResponse)
def figures_page(request: Request, session: DbSession,
                 actor: Annotated[Actor, Depends(require("marketplace:center:stats"))]) -> Response:
    return _page(request, "figures.html", {"by_category": service.figures(session, actor, "category"),
                                           "by_county": service.figures(session, actor, "county")})


@router.get("/marketplace/center/figures/export")
def figures_export(session: DbSession,
                   actor: Annotated[Actor, Depends(require("marketplace:center:stats", rate="export"))]) -> Response:
    rows = service.figure_rows(session, actor)
    stamp = date.today().strftime("%Y%m%d")
    return Response(write_xlsx(service.FIGURE_HEADERS, rows, "公共服务平台统计"), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="marketplace-figures-{stamp}.xlsx"'})

