"""Registry pages: organisations (list, detail, create, edit, import, export), parks, people, divisions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from pydantic import ValidationError
from starlette.datastructures import FormData

from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError
from lishui.core.i18n import pick
from lishui.core.ids import InvalidIdentifier, validate_uscc
from lishui.registry import service
from lishui.registry.messages import field_errors_zh
from lishui.registry.schemas import OrganisationCreate, OrganisationUpdate, ParkCreate, PersonCreate, TenancyCreate
from lishui.registry.vocab import ORG_KINDS, ORG_KINDS_EN, ORG_TAGS, ORG_TAGS_EN
from lishui.web.deps import DbSession, PostedForm
from lishui.web.downloads import table_download
from lishui.web.guard import require
from lishui.web.imports import run_import
from lishui.web.nav import NavEntry, register
from lishui.web.templating import language, render

router = APIRouter(prefix="/registry", include_in_schema=False)

register(NavEntry("主体登记", "机构名录", "Organisations", "/registry/orgs", "registry:org:read", order=100))
register(NavEntry("主体登记", "批量导入", "Import", "/registry/orgs/import", "registry:org:import", order=110))
register(NavEntry("主体登记", "电商园区", "Parks", "/registry/parks", "registry:park:read", order=120))
register(NavEntry("主体登记", "人员", "People", "/registry/people", "registry:person:read", order=130))
register(NavEntry("主体登记", "行政区划", "Divisions", "/registry/divisions", "registry:division:read", order=140))

ORG_FORM_FIELDS = ("uscc", "name", "kind", "division_code", "township_code", "address", "legal_representative",
                   "contact_name", "contact_phone", "contact_email", "bank_name", "bank_account", "established_on")


def _filter(q: str, kind: str, division: str, tag: str, page: int) -> service.OrgFilter:
    return service.OrgFilter(q=q[:100], kind=kind[:30], division_code=division[:12], tag=tag[:30], page=max(1, page))


VOCABULARY: dict[str, Any] = {
    "kinds": list(ORG_KINDS.items()), "kind_labels": ORG_KINDS, "kinds_en": ORG_KINDS_EN,
    "tag_options": list(ORG_TAGS.items()), "tag_labels": ORG_TAGS, "tags_en": ORG_TAGS_EN,
}


def _form_context(session: Any) -> dict[str, Any]:
    divisions = service.registrable_divisions(session)
    townships = service.list_divisions(session, level="township")
    return {
        **VOCABULARY,
        "jurisdictions": [(d.code, d.name) for d in divisions],
        "divisions": divisions,
        "township_groups": [(d, [tw for tw in townships if tw.parent_code == d.code])
                            for d in divisions if d.level == "county"],
    }


@router.get("/orgs", response_class=HTMLResponse)
def org_list(request: Request, session: DbSession, actor: Annotated[Actor, Depends(require("registry:org:read"))],
             q: str = "", kind: str = "", division: str = "", tag: str = "", page: int = 1) -> Response:
    f = _filter(q, kind, division, tag, page)
    items, total = service.list_organisations(session, actor, f)
    query = urlencode({"q": f.q, "kind": f.kind, "division": f.division_code, "tag": f.tag})
    return render(request, "registry/org_list.html", {
        "items": items, "total": total, "f": f, "pages": max(1, -(-total // f.per_page)), "query": query,
        "names": service.division_names(session), **_form_context(session),
    })


@router.get("/orgs/export")
def org_export(session: DbSession, actor: Annotated[Actor, Depends(require("registry:org:export", rate="export"))],
               q: str = "", kind: str = "", division: str = "", tag: str = "", format: str = "xlsx") -> Response:
    headers, rows = service.export_rows(session, actor, _filter(q, kind, division, tag, 1))
    stamp = date.today().strftime("%Y%m%d")
    return table_download(headers, rows, name=f"organisations-{stamp}", format=format, sheet="机构名录")


@router.get("/orgs/template")
def org_template(_: Annotated[Actor, Depends(require("registry:org:import"))], format: str = "xlsx") -> Response:
    headers, rows = service.template_rows()
    return table_download(headers, rows, name="organisations-template", format=format, sheet="导入模板")


def _import_page(request: Request, report: service.ImportReport | None, filename: str, message: str = "",
                 fields: list[FieldError] | None = None, status: int = 200) -> Response:
    return render(request, "registry/org_import.html", {
        "report": report, "message": message, "fields": fields or [], "filename": filename, **VOCABULARY,
    }, status=status)


@router.get("/orgs/import", response_class=HTMLResponse)
def org_import_page(request: Request, _: Annotated[Actor, Depends(require("registry:org:import"))]) -> Response:
    return _import_page(request, None, "")


@router.post("/orgs/import", response_class=HTMLResponse)
def org_import(request: Request, session: DbSession,
               actor: Annotated[Actor, Depends(require("registry:org:import"))], file: UploadFile) -> Response:
    return run_import(request, session, file,
                      lambda content, name: service.import_organisations(session, actor, content, name), _import_page)


@router.get("/orgs/check-uscc", response_class=HTMLResponse)
def org_check_uscc(request: Request, _: Annotated[Actor, Depends(require("registry:org:read"))],
                   uscc: str = "") -> Response:
    """Inline validation fragment for the credit-code field (htmx)."""
    if not uscc:
        return HTMLResponse("")
    try:
        validate_uscc(uscc[:40])
    except InvalidIdentifier as exc:
        return HTMLResponse(f'<div class="field-error">{escape(str(exc))}</div>')
    return HTMLResponse(f'<div class="field-ok">✓ {pick(language(request), "校验通过", "Check character OK")}</div>')


@router.get("/orgs/new", response_class=HTMLResponse)
def org_new(request: Request, session: DbSession,
            _: Annotated[Actor, Depends(require("registry:org:write"))]) -> Response:
    return render(request, "registry/org_form.html", {"org": None, "form": {"tags": []}, "errors": {},
                                                       "message": "", **_form_context(session)})


def _org_form(form: FormData) -> dict[str, Any]:
    data: dict[str, Any] = {k: str(form.get(k, "")) for k in ORG_FORM_FIELDS}
    data["tags"] = [str(t) for t in form.getlist("tags")]
    data["established_on"] = data["established_on"] or None
    data["revision"] = str(form.get("revision", "0"))
    return data


def _errors(request: Request, exc: DomainError | ValidationError) -> tuple[str, dict[str, str]]:
    """The message over the form and the message next to each field."""
    fields: list[FieldError] = field_errors_zh(exc) if isinstance(exc, ValidationError) else exc.fields
    if isinstance(exc, ValidationError):
        message = pick(language(request), "请检查标红的字段", "Please correct the fields marked in red")
    else:
        message = exc.message
    errors: dict[str, str] = {}
    for f in fields:
        errors.setdefault(f.field, f.message)
    return message, errors


def _status(exc: DomainError | ValidationError) -> int:
    """The page re-rendered after a refused form keeps the error's status (422, 409 or 403)."""
    return exc.status if isinstance(exc, DomainError) else 422


def _form_data(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {k: str(form.get(k, ""))[:300] for k in names}


@router.post("/orgs/new", response_class=HTMLResponse)
def org_create(request: Request, session: DbSession, posted: PostedForm,
               actor: Annotated[Actor, Depends(require("registry:org:write"))]) -> Response:
    data = _org_form(posted)
    try:
        org = service.create_organisation(session, actor, OrganisationCreate.model_validate(data))
    except (DomainError, ValidationError) as exc:
        session.rollback()
        message, errors = _errors(request, exc)
        return render(request, "registry/org_form.html", {"org": None, "form": data, "errors": errors,
                                                           "message": message, **_form_context(session)},
                      status=_status(exc))
    return RedirectResponse(f"/registry/orgs/{org.id}?ok=created", status_code=303)


@router.get("/orgs/{org_id}", response_class=HTMLResponse)
def org_detail(request: Request, org_id: int, session: DbSession,
               actor: Annotated[Actor, Depends(require("registry:org:read"))]) -> Response:
    org = service.get_organisation(session, actor, org_id)
    return _org_page(request, session, actor, org, "", "")


def _org_page(request: Request, session: Any, actor: Actor, org: Any, revealed: str, message: str,
              status: int = 200) -> Response:
    return render(request, "registry/org_detail.html", {
        "org": org, "names": service.division_names(session), **VOCABULARY, "revealed": revealed,
        "message": message, "tenancies": service.tenancies_of(session, actor, org.id),
    }, status=status, headers={"Cache-Control": "no-store"})


@router.post("/orgs/{org_id}/reveal", response_class=HTMLResponse)
def org_reveal(request: Request, org_id: int, session: DbSession,
               actor: Annotated[Actor, Depends(require("registry:org:unmask"))],
               reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    message = ""
    revealed = ""
    try:
        revealed = service.reveal_bank_account(session, actor, org_id, reason)
    except DomainError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        message = exc.message
    org = service.get_organisation(session, actor, org_id)
    return _org_page(request, session, actor, org, revealed, message, status=422 if message else 200)


@router.get("/orgs/{org_id}/edit", response_class=HTMLResponse)
def org_edit(request: Request, org_id: int, session: DbSession,
             actor: Annotated[Actor, Depends(require("registry:org:read"))]) -> Response:
    org = service.get_organisation(session, actor, org_id)
    if not (actor.can("registry:org:write") or (actor.can("registry:org:self_update") and actor.org_id == org.id)):
        from lishui.core.errors import Forbidden

        raise Forbidden()
    form = {k: getattr(org, k, "") for k in ORG_FORM_FIELDS if k != "bank_account"}
    form["bank_account"] = ""
    form["tags"] = sorted(org.tag_set)
    form["established_on"] = org.established_on.isoformat() if org.established_on else ""
    return render(request, "registry/org_form.html", {"org": org, "form": form, "errors": {}, "message": "",
                                                       **_form_context(session)})


@router.post("/orgs/{org_id}/edit", response_class=HTMLResponse)
def org_update(request: Request, org_id: int, session: DbSession, posted: PostedForm,
               actor: Annotated[Actor, Depends(require("registry:org:read"))]) -> Response:
    org = service.get_organisation(session, actor, org_id)
    data = _org_form(posted)
    try:
        service.update_organisation(session, actor, org_id, OrganisationUpdate.model_validate(data))
    except (DomainError, ValidationError) as exc:
        if isinstance(exc, DomainError) and exc.status in (403, 404):
            raise
        session.rollback()
        message, errors = _errors(request, exc)
        org = service.get_organisation(session, actor, org_id)
        return render(request, "registry/org_form.html", {"org": org, "form": data, "errors": errors,
                                                           "message": message, **_form_context(session)},
                      status=_status(exc))
    return RedirectResponse(f"/registry/orgs/{org.id}?ok=saved", status_code=303)


# ---------------------------------------------------------------- parks

PARK_FORM_FIELDS = ("name", "operator_org_id", "division_code", "total_area_m2", "address", "opened_on")
TENANCY_FORM_FIELDS = ("org_uscc", "move_in_date", "leased_area_m2")


@router.get("/parks", response_class=HTMLResponse)
def park_list(request: Request, session: DbSession,
              actor: Annotated[Actor, Depends(require("registry:park:read"))]) -> Response:
    return render(request, "registry/park_list.html", {"parks": service.list_parks(session, actor),
                                                        "names": service.division_names(session)})


def _park_form(request: Request, session: Any, actor: Actor, form: dict[str, str], errors: dict[str, str],
               message: str, status: int = 200) -> Response:
    return render(request, "registry/park_form.html", {
        "form": form, "errors": errors, "message": message,
        "operators": [(str(org_id), name) for org_id, name in service.park_operators(session, actor)],
        "jurisdictions": [(d.code, d.name) for d in service.registrable_divisions(session)],
    }, status=status)


@router.get("/parks/new", response_class=HTMLResponse)
def park_new(request: Request, session: DbSession,
             actor: Annotated[Actor, Depends(require("registry:park:write"))]) -> Response:
    return _park_form(request, session, actor, {}, {}, "")


@router.post("/parks/new", response_class=HTMLResponse)
def park_create(request: Request, session: DbSession, posted: PostedForm,
                actor: Annotated[Actor, Depends(require("registry:park:write"))]) -> Response:
    form = _form_data(posted, PARK_FORM_FIELDS)
    try:
        park = service.create_park(session, actor, **ParkCreate.model_validate(form).model_dump())
    except (DomainError, ValidationError) as exc:
        session.rollback()
        message, errors = _errors(request, exc)
        return _park_form(request, session, actor, form, errors, message, status=_status(exc))
    return RedirectResponse(f"/registry/parks/{park.id}?ok=created", status_code=303)


def _park_page(request: Request, session: Any, actor: Actor, park_id: int, form: dict[str, str],
               errors: dict[str, str], message: str, status: int = 200) -> Response:
    park = service.get_park(session, actor, park_id)
    org_names = service.organisation_names(session, {park.operator_org_id, *(t.org_id for t in park.tenancies)})
    return render(request, "registry/park_detail.html", {
        "park": park, "org_names": org_names, "names": service.division_names(session),
        "form": form, "errors": errors, "message": message,
    }, status=status)


@router.get("/parks/{park_id}", response_class=HTMLResponse)
def park_detail(request: Request, park_id: int, session: DbSession,
                actor: Annotated[Actor, Depends(require("registry:park:read"))]) -> Response:
    return _park_page(request, session, actor, park_id, {}, {}, "")


@router.post("/parks/{park_id}/tenancies", response_class=HTMLResponse)
def park_add_tenant(request: Request, park_id: int, session: DbSession, posted: PostedForm,
                    actor: Annotated[Actor, Depends(require("registry:park:write"))]) -> Response:
    form = _form_data(posted, TENANCY_FORM_FIELDS)
    try:
        service.add_tenancy(session, actor, park_id, **TenancyCreate.model_validate(form).model_dump())
    except (DomainError, ValidationError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        session.rollback()
        message, errors = _errors(request, exc)
        return _park_page(request, session, actor, park_id, form, errors, message, status=_status(exc))
    return RedirectResponse(f"/registry/parks/{park_id}?ok=created#tenants", status_code=303)


# ---------------------------------------------------------------- people

PERSON_FORM_FIELDS = ("name", "id_number", "division_code", "org_uscc", "phone")


@router.get("/people", response_class=HTMLResponse)
def people_list(request: Request, session: DbSession,
                actor: Annotated[Actor, Depends(require("registry:person:read"))], q: str = "") -> Response:
    return render(request, "registry/people.html", {"people": service.list_people(session, actor, q[:50]), "q": q,
                                                     "names": service.division_names(session)},
                  headers={"Cache-Control": "no-store"})


def _person_form(request: Request, session: Any, form: dict[str, str], errors: dict[str, str], message: str,
                 status: int = 200) -> Response:
    return render(request, "registry/person_form.html", {
        "form": form, "errors": errors, "message": message,
        "jurisdictions": [(d.code, d.name) for d in service.jurisdictions(session)],
    }, status=status, headers={"Cache-Control": "no-store"})


@router.get("/people/new", response_class=HTMLResponse)
def person_new(request: Request, session: DbSession,
               _: Annotated[Actor, Depends(require("registry:person:write"))]) -> Response:
    return _person_form(request, session, {}, {}, "")


@router.post("/people/new", response_class=HTMLResponse)
def person_create(request: Request, session: DbSession, posted: PostedForm,
                  actor: Annotated[Actor, Depends(require("registry:person:write"))]) -> Response:
    form = _form_data(posted, PERSON_FORM_FIELDS)
    try:
        person = service.create_person(session, actor, **PersonCreate.model_validate(form).model_dump())
    except (DomainError, ValidationError) as exc:
        session.rollback()
        message, errors = _errors(request, exc)
        # The ID number is not echoed back into the page: it is sensitive and must be typed again.
        return _person_form(request, session, {**form, "id_number": ""}, errors, message, status=_status(exc))
    return RedirectResponse(f"/registry/people/{person.id}?ok=created", status_code=303)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_detail(request: Request, person_id: int, session: DbSession,
                  actor: Annotated[Actor, Depends(require("registry:person:read"))]) -> Response:
    return _person_page(request, session, actor, person_id, "", "")


def _person_page(request: Request, session: Any, actor: Actor, person_id: int, revealed: str, message: str,
                 status: int = 200) -> Response:
    person = service.get_person(session, actor, person_id)
    org_names = service.organisation_names(session, {person.org_id}) if person.org_id else {}
    return render(request, "registry/person.html", {"person": person, "revealed": revealed, "message": message,
                                                     "org_names": org_names, "names": service.division_names(session)},
                  status=status, headers={"Cache-Control": "no-store"})


@router.post("/people/{person_id}/reveal", response_class=HTMLResponse)
def person_reveal(request: Request, person_id: int, session: DbSession,
                  actor: Annotated[Actor, Depends(require("registry:person:unmask"))],
                  reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    message = ""
    revealed = ""
    try:
        revealed = service.reveal_id_number(session, actor, person_id, reason)
    except DomainError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        message = exc.message
    return _person_page(request, session, actor, person_id, revealed, message, status=422 if message else 200)


# ---------------------------------------------------------------- divisions

@router.get("/divisions", response_class=HTMLResponse)
def divisions(request: Request, session: DbSession,
              _: Annotated[Actor, Depends(require("registry:division:read"))]) -> Response:
    juris = service.jurisdictions(session)
    towns = service.list_divisions(session, level="township")
    by_parent: dict[str, list[Any]] = {}
    for town in towns:
        by_parent.setdefault(town.parent_code or "", []).append(town)
    return render(request, "registry/divisions.html", {"jurisdictions": juris, "by_parent": by_parent,
                                                        "town_count": len(towns)})
