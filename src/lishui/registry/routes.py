"""Registry JSON API under /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lishui.core.actor import Actor
from lishui.core.files import check_size
from lishui.registry import service
from lishui.registry.schemas import (
    DivisionRead,
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
    OrganisationUpdate,
    ParkCreate,
    ParkRead,
    PersonCreate,
    PersonRead,
    TenancyCreate,
    TenancyRead,
)
from lishui.web.deps import DbSession
from lishui.web.guard import require
from lishui.web.idempotency import IdempotencyKey, idempotent

router = APIRouter(prefix="/api/v1", tags=["registry"])


def _read(org: object) -> OrganisationRead:
    return OrganisationRead.model_validate(org, from_attributes=True)


@router.get("/divisions", response_model=list[DivisionRead])
def divisions(session: DbSession, _: Annotated[Actor, Depends(require("registry:division:read"))],
              level: Annotated[str, Query(max_length=10)] = "",
              parent: Annotated[str, Query(max_length=12)] = "") -> list[DivisionRead]:
    return [DivisionRead.model_validate(d) for d in service.list_divisions(session, level or None, parent or None)]


@router.get("/orgs", response_model=OrganisationPage)
def list_orgs(
    session: DbSession,
    actor: Annotated[Actor, Depends(require("registry:org:read"))],
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(max_length=30)] = "",
    division: Annotated[str, Query(max_length=12)] = "",
    tag: Annotated[str, Query(max_length=30)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> OrganisationPage:
    f = service.OrgFilter(q=q, kind=kind, division_code=division, tag=tag, page=page, per_page=per_page)
    items, total = service.list_organisations(session, actor, f)
    return OrganisationPage(items=[_read(o) for o in items], total=total, page=page, per_page=per_page)


@router.post("/orgs", response_model=OrganisationRead, status_code=201)
def create_org(request: Request, body: OrganisationCreate, session: DbSession,
               actor: Annotated[Actor, Depends(require("registry:org:write"))],
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotent(request, session, actor, idempotency_key, body,
                      lambda: _read(service.create_organisation(session, actor, body)))


@router.get("/orgs/{org_id}", response_model=OrganisationRead)
def get_org(org_id: int, session: DbSession,
            actor: Annotated[Actor, Depends(require("registry:org:read"))]) -> OrganisationRead:
    return _read(service.get_organisation(session, actor, org_id))


@router.put("/orgs/{org_id}", response_model=OrganisationRead)
def update_org(org_id: int, body: OrganisationUpdate, session: DbSession,
               actor: Annotated[Actor, Depends(require("registry:org:read"))]) -> OrganisationRead:
    return _read(service.update_organisation(session, actor, org_id, body))


class RevealBody(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class Revealed(BaseModel):
    value: str


@router.post("/orgs/{org_id}/reveal-bank-account", response_model=Revealed)
def reveal_bank_account(org_id: int, body: RevealBody, session: DbSession,
                        actor: Annotated[Actor, Depends(require("registry:org:unmask"))]) -> JSONResponse:
    value = service.reveal_bank_account(session, actor, org_id, body.reason)
    return JSONResponse({"value": value}, headers={"Cache-Control": "no-store"})


class ImportResult(BaseModel):
    total_rows: int
    created: int
    errors: list[dict[str, object]]


@router.post("/orgs/import", response_model=ImportResult,
             responses={422: {"description": "Rows with errors; nothing written"}})
def import_orgs(request: Request, file: UploadFile, session: DbSession,
                actor: Annotated[Actor, Depends(require("registry:org:import"))]) -> JSONResponse:
    content = file.file.read()
    check_size(content, request.app.state.settings.max_upload_bytes)
    report = service.import_organisations(session, actor, content, file.filename or "")
    body = {"total_rows": report.total_rows, "created": report.created,
            "errors": [e.as_dict() for e in report.errors]}
    if not report.ok:
        session.rollback()
        return JSONResponse({"code": "validation_failed", "message": "文件中有错误行，未写入任何数据", **body},
                            status_code=422)
    return JSONResponse(body)


@router.get("/parks", response_model=list[ParkRead])
def list_parks(session: DbSession, actor: Annotated[Actor, Depends(require("registry:park:read"))]) -> list[ParkRead]:
    return [ParkRead.model_validate(p) for p in service.list_parks(session, actor)]


@router.post("/parks", response_model=ParkRead, status_code=201)
def create_park(body: ParkCreate, session: DbSession,
                actor: Annotated[Actor, Depends(require("registry:park:write"))]) -> ParkRead:
    return ParkRead.model_validate(service.create_park(session, actor, **body.model_dump()))


@router.get("/parks/{park_id}", response_model=ParkRead)
def get_park(park_id: int, session: DbSession,
             actor: Annotated[Actor, Depends(require("registry:park:read"))]) -> ParkRead:
    return ParkRead.model_validate(service.get_park(session, actor, park_id))


@router.post("/parks/{park_id}/tenancies", response_model=TenancyRead, status_code=201)
def add_tenancy(park_id: int, body: TenancyCreate, session: DbSession,
                actor: Annotated[Actor, Depends(require("registry:park:write"))]) -> TenancyRead:
    return TenancyRead.model_validate(service.add_tenancy(session, actor, park_id, **body.model_dump()))


@router.get("/people", response_model=list[PersonRead])
def list_people(session: DbSession, actor: Annotated[Actor, Depends(require("registry:person:read"))],
                q: Annotated[str, Query(max_length=50)] = "") -> JSONResponse:
    people = [PersonRead.model_validate(p).model_dump(mode="json") for p in service.list_people(session, actor, q)]
    return JSONResponse(people, headers={"Cache-Control": "no-store"})


@router.post("/people", response_model=PersonRead, status_code=201)
def create_person(body: PersonCreate, session: DbSession,
                  actor: Annotated[Actor, Depends(require("registry:person:write"))]) -> JSONResponse:
    person = service.create_person(session, actor, **body.model_dump())
    return JSONResponse(PersonRead.model_validate(person).model_dump(mode="json"), status_code=201,
                        headers={"Cache-Control": "no-store"})


@router.get("/people/{person_id}", response_model=PersonRead)
def get_person(person_id: int, session: DbSession,
               actor: Annotated[Actor, Depends(require("registry:person:read"))]) -> JSONResponse:
    person = PersonRead.model_validate(service.get_person(session, actor, person_id)).model_dump(mode="json")
    return JSONResponse(person, headers={"Cache-Control": "no-store"})


@router.post("/people/{person_id}/reveal-id-number", response_model=Revealed)
def reveal_id_number(person_id: int, body: RevealBody, session: DbSession,
                     actor: Annotated[Actor, Depends(require("registry:person:unmask"))]) -> JSONResponse:
    value = service.reveal_id_number(session, actor, person_id, body.reason)
    return JSONResponse({"value": value}, headers={"Cache-Control": "no-store"})
