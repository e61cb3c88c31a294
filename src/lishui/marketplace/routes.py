"""Marketplace JSON API under /api/v1/marketplace: parse, authorise, call one service, return."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lishui.core.actor import Actor
from lishui.core.errors import Forbidden
from lishui.marketplace import matching, service, showcase
from lishui.marketplace.schemas import (
    DemandCreate,
    DemandRead,
    EngagementRead,
    FigureRead,
    FiguresRead,
    MatchRead,
    NotificationRead,
    OfferingCreate,
    OfferingRead,
    QuoteCreate,
    QuoteRead,
    RatingCreate,
    RatingRead,
    TransitionBody,
)
from lishui.web.deps import DbSession, RecordId
from lishui.web.guard import require, signed_in
from lishui.web.idempotency import IdempotencyKey, idempotent

router = APIRouter(prefix="/api/v1/marketplace", tags=["marketplace"])


@router.get("/demands", response_model=list[DemandRead])
def list_demands(session: DbSession,
                 actor: Annotated[Actor, Depends(require("marketplace:demand:read"))]) -> list[DemandRead]:
    """Demands you may see: your own (enterprise), public ones and those you were invited to (provider),
    your county's (county officer), all (city)."""
    return [DemandRead.model_validate(d) for d in service.list_demands(session, actor)]


@router.post("/demands", response_model=DemandRead, status_code=201)
def create_demand(request: Request, body: DemandCreate, session: DbSession,
                  actor: Annotated[Actor, Depends(require("marketplace:demand:write"))],
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body, lambda: DemandRead.model_validate(
        service.create_demand(session, actor, category=body.category, title=body.title,
                              description=body.description, budget=body.budget, deadline=body.deadline,
                              is_private=body.is_private, invite=body.invite)))


@router.get("/demands/{demand_id}", response_model=DemandRead)
def get_demand(demand_id: RecordId, session: DbSession,
               actor: Annotated[Actor, Depends(require("marketplace:demand:read"))]) -> DemandRead:
    return DemandRead.model_validate(service.get_demand(session, actor, demand_id))


@router.get("/demands/{demand_id}/matches", response_model=list[MatchRead])
def demand_matches(demand_id: RecordId, session: DbSession,
                   actor: Annotated[Actor, Depends(require("marketplace:match:read"))]) -> list[MatchRead]:
    """The top 20 providers for a demand you posted (the center: any demand), each with its reasons."""
    demand = service.own_demand(session, actor, demand_id)
    return [MatchRead.model_validate({**asdict(m)}) for m in matching.rank_demand(session, demand)]


@router.get("/demands/{demand_id}/quotes", response_model=list[QuoteRead])
def demand_quotes(demand_id: RecordId, session: DbSession,
                  actor: Annotated[Actor, Depends(require("marketplace:demand:read"))]) -> list[QuoteRead]:
    demand = service.get_demand(session, actor, demand_id)
    return [QuoteRead.model_validate(q) for q in service.quotes_for(session, actor, demand)]


@router.post("/demands/{demand_id}/quotes", response_model=QuoteRead, status_code=201)
def submit_quote(request: Request, demand_id: RecordId, body: QuoteCreate, session: DbSession,
                 actor: Annotated[Actor, Depends(require("marketplace:quote:write"))],
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body, lambda: QuoteRead.model_validate(
        service.submit_quote(session, actor, demand_id, amount=body.amount, days=body.days, message=body.message)))


@router.post("/quotes/{quote_id}/accept", response_model=EngagementRead, status_code=201)
def accept_quote(quote_id: RecordId, session: DbSession,
                 actor: Annotated[Actor, Depends(require("marketplace:demand:write"))]) -> JSONResponse:
    engagement = EngagementRead.model_validate(service.accept_quote(session, actor, quote_id))
    return JSONResponse(engagement.model_dump(mode="json"), status_code=201)


@router.get("/engagements", response_model=list[EngagementRead])
def list_engagements(session: DbSession, actor: Annotated[Actor, Depends(require("marketplace:engagement:read"))]
                     ) -> list[EngagementRead]:
    return [EngagementRead.model_validate(e) for e in service.list_engagements(session, actor)]


@router.get("/engagements/{engagement_id}", response_model=EngagementRead)
def get_engagement(engagement_id: RecordId, session: DbSession,
                   actor: Annotated[Actor, Depends(require("marketplace:engagement:read"))]) -> EngagementRead:
    return EngagementRead.model_validate(service.get_engagement(session, actor, engagement_id))


@router.post("/engagements/{engagement_id}/transition", response_model=EngagementRead)
def transition(engagement_id: RecordId, body: TransitionBody, session: DbSession,
               actor: Annotated[Actor, Depends(require("marketplace:engagement:write"))]) -> EngagementRead:
    """start / deliver (provider), dispute (either side, with a reason)."""
    if body.action == "resolve":
        raise Forbidden("争议由公共服务中心在后台处理")
    return EngagementRead.model_validate(service.advance(session, actor, engagement_id, body.action, body.reason))


@router.post("/engagements/{engagement_id}/ratings", response_model=RatingRead, status_code=201)
def rate(engagement_id: RecordId, body: RatingCreate, session: DbSession,
         actor: Annotated[Actor, Depends(require("marketplace:engagement:write"))]) -> JSONResponse:
    rating = RatingRead.model_validate(service.rate(session, actor, engagement_id, score=body.score,
                                                    comment=body.comment))
    return JSONResponse(rating.model_dump(mode="json"), status_code=201)


@router.post("/offerings", response_model=OfferingRead, status_code=201)
def create_offering(request: Request, body: OfferingCreate, session: DbSession,
                    actor: Annotated[Actor, Depends(require("marketplace:provider:write"))],
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body, lambda: OfferingRead.model_validate(
        service.create_offering(session, actor, category=body.category, title=body.title,
                                description=body.description, price_min=body.price_min, price_max=body.price_max,
                                counties=body.counties, cases=body.cases,
                                government_purchased=body.government_purchased, contract_no=body.contract_no,
                                budget_line=body.budget_line)))


@router.get("/figures", response_model=FiguresRead)
def figures(session: DbSession, actor: Annotated[Actor, Depends(require("marketplace:center:stats"))]
            ) -> FiguresRead:
    """Volumes, response times and satisfaction per category and per county (a county officer: its county)."""
    return FiguresRead(
        by_category=[FigureRead.model_validate(vars(f)) for f in service.figures(session, actor, "category")],
        by_county=[FigureRead.model_validate(vars(f)) for f in service.figures(session, actor, "county")])


@router.get("/notifications", response_model=list[NotificationRead])
def notifications(session: DbSession, actor: Annotated[Actor, Depends(require("marketplace:notification:read"))]
                  ) -> list[NotificationRead]:
    return [NotificationRead.model_validate(n) for n in service.notifications(session, actor)]


# ---------------------------------------------------------------- the public catalogue, for systems


class ShowcaseProductRead(BaseModel):
    id: int
    name: str
    category: str
    division_code: str = Field(description="Origin county")
    description: str
    certifications: str
    org_id: int


class ShowcasePage(BaseModel):
    total: int
    page: int
    items: list[ShowcaseProductRead]


class DirectoryProviderRead(BaseModel):
    id: int
    display_name: str
    kind: str
    introduction: str


@router.get("/products", response_model=ShowcasePage)
def showcase_products(session: DbSession, _: Annotated[Actor | None, Depends(signed_in())],
                      q: Annotated[str, Query(max_length=50)] = "", county: Annotated[str, Query(max_length=12)] = "",
                      category: Annotated[str, Query(max_length=30)] = "",
                      page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                      per_page: Annotated[int, Query(ge=1, le=100)] = 24) -> ShowcasePage:
    """The Lishui showcase (丽水专区) as data: published products, searched like the public page."""
    items, total = showcase.search_products(session, showcase.ProductFilter(q=q, county=county, category=category,
                                                                            page=page, per_page=per_page))
    return ShowcasePage(total=total, page=page, items=[ShowcaseProductRead(
        id=p.id, name=p.name, category=p.category, division_code=p.division_code, description=p.description,
        certifications=p.certifications, org_id=p.org_id) for p in items])


@router.get("/providers", response_model=list[DirectoryProviderRead])
def provider_directory(session: DbSession, _: Annotated[Actor | None, Depends(signed_in())],
                       category: Annotated[str, Query(max_length=30)] = "",
                       county: Annotated[str, Query(max_length=12)] = "",
                       q: Annotated[str, Query(max_length=50)] = "") -> list[DirectoryProviderRead]:
    """Verified service providers, as on the public directory (pending or rejected ones never appear)."""
    return [DirectoryProviderRead(id=p.id, display_name=p.display_name, kind=p.kind, introduction=p.introduction)
            for p in service.list_providers(session, category=category, county=county, q=q)]
