"""Registry business logic. Every read applies the actor's data scope in the query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.db import cipher_of
from lishui.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from lishui.core.ids import (
    InvalidIdentifier,
    birth_date_of,
    mask_account,
    mask_resident_id,
    validate_resident_id,
)
from lishui.core.tabular import FORMULA_START, read_table
from lishui.registry.messages import field_errors_zh
from lishui.registry.models import Division, Organisation, OrganisationTag, Park, ParkTenancy, Person
from lishui.registry.schemas import OrganisationCreate, OrganisationUpdate
from lishui.registry.vocab import ORG_KINDS, ORG_TAGS, ZONE_CODE

BANK_CONTEXT = "organisations.bank_account"
AREA_STEP = Decimal("0.01")  # areas are stored with two decimals (Numeric(12, 2))
ID_CONTEXT = "people.id_number"


def bank_context(uscc: str) -> str:
    """SM4-GCM associated data of a bank account: the column and the row (its credit code, which never changes),
    so a ciphertext copied to another organisation or another column fails to decrypt."""
    return f"{BANK_CONTEXT}:{uscc}"


def id_context(index: str) -> str:
    """Associated data of an ID number: the column and the row (its blind index, unique per person)."""
    return f"{ID_CONTEXT}:{index}"


# ---------------------------------------------------------------- scope

def scope_orgs(stmt: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a query over organisations to what the actor may see."""
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(Organisation.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        return stmt.where(Organisation.id == actor.org_id)
    return stmt.where(Organisation.id == -1)


def _visible_division(actor: Actor, division_code: str) -> bool:
    return actor.scope == "city" or (actor.scope == "division" and actor.scope_division == division_code)


# ---------------------------------------------------------------- divisions

def list_divisions(session: Session, level: str | None = None, parent: str | None = None) -> list[Division]:
    stmt = select(Division).order_by(Division.level, Division.sort_order)
    if level:
        stmt = stmt.where(Division.level == level)
    if parent:
        stmt = stmt.where(Division.parent_code == parent)
    return list(session.scalars(stmt))


def jurisdictions(session: Session) -> list[Division]:
    """The nine counties and the development zone, in the official order."""
    return list(session.scalars(
        select(Division).where(Division.level.in_(("county", "zone"))).order_by(Division.sort_order)
    ))


def registrable_divisions(session: Session) -> list[Division]:
    """Where an organisation can be registered: the city itself (city-level units), counties, the zone."""
    return list(session.scalars(
        select(Division).where(Division.level.in_(("city", "county", "zone"))).order_by(Division.sort_order)
    ))


def organisation_names(session: Session, ids: set[int]) -> dict[int, str]:
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    return dict(session.execute(stmt).tuples().all())


def division_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Division.code, Division.name)).tuples().all())


# ---------------------------------------------------------------- organisations

def get_organisation_unscoped(session: Session, org_id: int) -> Organisation | None:
    """For other domains acting as the platform (e.g. identity resolving a user's organisation)."""
    return session.get(Organisation, org_id)


def get_organisation(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = session.scalar(scope_orgs(select(Organisation).where(Organisation.id == org_id), actor))
    if org is None:
        raise NotFound("机构不存在")
    return org


@dataclass
class OrgFilter:
    q: str = ""
    kind: str = ""
    division_code: str = ""
    tag: str = ""
    page: int = 1
    per_page: int = 20


def _filtered(actor: Actor, f: OrgFilter) -> Select[Any]:
    stmt = scope_orgs(select(Organisation), actor)
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(or_(Organisation.name.like(like), Organisation.uscc.like(like.upper())))
    if f.kind:
        stmt = stmt.where(Organisation.kind == f.kind)
    if f.division_code:
        stmt = stmt.where(Organisation.division_code == f.division_code)
    if f.tag:
        stmt = stmt.where(Organisation.id.in_(select(OrganisationTag.org_id).where(OrganisationTag.tag == f.tag)))
    return stmt


def list_organisations(session: Session, actor: Actor, f: OrgFilter) -> tuple[list[Organisation], int]:
    stmt = _filtered(actor, f)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(f.per_page, 200))
    page = max(1, f.page)
    items = session.scalars(stmt.order_by(Organisation.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(items), total


def iter_organisations(session: Session, actor: Actor, f: OrgFilter) -> list[Organisation]:
    return list(session.scalars(_filtered(actor, f).order_by(Organisation.id)))


def _check_places(session: Session, division_code: str, township_code: str | None, row: int | None = None,
                  names: tuple[str, str] = ("division_code", "township_code")) -> list[FieldError]:
    errors = []
    division = session.get(Division, division_code)
    if division is None or division.level not in ("city", "county", "zone"):
        errors.append(FieldError(names[0], f"“{division_code}”不是丽水市、所辖县（市、区）或开发区的代码", row))
    if township_code:
        town = session.get(Division, township_code)
        if town is None or town.level != "township":
            errors.append(FieldError(names[1], f"“{township_code}”不是丽水市的乡镇（街道）代码", row))
        elif division is not None and division.level == "county" and town.parent_code != division_code:
            errors.append(FieldError(names[1], f"乡镇（街道）“{town.name}”不属于所选县（区）", row))
    return errors


def _existing_conflict(session: Session, uscc: str) -> Conflict | None:
    existing = session.scalar(select(Organisation).where(Organisation.uscc == uscc))
    if existing is None:
        return None
    return Conflict(
        f"统一社会信用代码 {uscc} 已登记为“{existing.name}”（编号 {existing.id}）",
        [FieldError("uscc", f"已登记为“{existing.name}”")],
    )


def _snapshot(org: Organisation) -> dict[str, Any]:
    return {
        "uscc": org.uscc, "name": org.name, "kind": org.kind, "division_code": org.division_code,
        "township_code": org.township_code, "address": org.address,
        "legal_representative": org.legal_representative, "contact_name": org.contact_name,
        "contact_phone": org.contact_phone, "contact_email": org.contact_email, "bank_name": org.bank_name,
        "bank_account": org.bank_account_masked, "established_on": org.established_on,
        "tags": sorted(org.tag_set), "revision": org.revision,
    }


def _apply(session: Session, org: Organisation, data: OrganisationCreate | OrganisationUpdate) -> None:
    for name in ("name", "kind", "division_code", "township_code", "address", "legal_representative",
                 "contact_name", "contact_phone", "contact_email", "bank_name", "established_on"):
        setattr(org, name, getattr(data, name))
    account = data.bank_account.replace(" ", "")
    if account:
        org.bank_account_cipher = cipher_of(session).encrypt(account, bank_context(org.uscc))
        org.bank_account_index = cipher_of(session).blind_index(account, BANK_CONTEXT)
        org.bank_account_masked = mask_account(account)
    org.tags = [OrganisationTag(tag=t) for t in data.tags]


def create_organisation(session: Session, actor: Actor, data: OrganisationCreate) -> Organisation:
    errors = _check_places(session, data.division_code, data.township_code)
    if errors:
        raise ValidationFailed("所在地有误", errors)
    if not _visible_division(actor, data.division_code):
        raise Forbidden("只能在本辖区内登记机构")
    conflict = _existing_conflict(session, data.uscc)
    if conflict:
        raise conflict
    org = Organisation(uscc=data.uscc)
    _apply(session, org, data)
    session.add(org)
    session.flush()
    audit.record(session, actor, "registry.org.create", object_type="organisation", object_id=org.id,
                 after=_snapshot(org))
    return org


def update_organisation(session: Session, actor: Actor, org_id: int, data: OrganisationUpdate) -> Organisation:
    org = get_organisation(session, actor, org_id)
    if not actor.can("registry:org:write"):
        if not (actor.can("registry:org:self_update") and actor.org_id == org.id):
            raise Forbidden()
        if data.kind != org.kind or data.division_code != org.division_code or set(data.tags) != org.tag_set:
            raise Forbidden("机构类别、所属辖区和标签由主管部门维护")
    if data.revision != org.revision:
        raise Conflict(f"该机构已被他人修改（当前版本 {org.revision}），请刷新后重试")
    errors = _check_places(session, data.division_code, data.township_code)
    if errors:
        raise ValidationFailed("所在地有误", errors)
    if not _visible_division(actor, data.division_code) and actor.scope != "org":
        raise Forbidden("只能将机构划入本辖区")
    before = _snapshot(org)
    _apply(session, org, data)
    org.revision += 1
    session.flush()
    audit.record(session, actor, "registry.org.update", object_type="organisation", object_id=org.id,
                 before=before, after=_snapshot(org))
    return org


def reveal_bank_account(session: Session, actor: Actor, org_id: int, reason: str) -> str:
    if not actor.can("registry:org:unmask"):
        raise Forbidden("没有查看完整银行账号的权限")
    if len(reason.strip()) < 4:
        raise ValidationFailed("请说明查看原因", [FieldError("reason", "请填写查看原因（至少4个字）")])
    org = get_organisation(session, actor, org_id)
    if not org.bank_account_cipher:
        return ""
    value = cipher_of(session).decrypt(org.bank_account_cipher, bank_context(org.uscc))
    audit.record(session, actor, "registry.org.unmask", object_type="organisation", object_id=org.id,
                 detail={"field": "bank_account", "reason": reason.strip()})
    return value


# ---------------------------------------------------------------- import / export

IMPORT_COLUMNS: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "名称": "name",
    "机构类别": "kind",
    "所属县（区）": "division_code",
    "乡镇（街道）": "township_code",
    "地址": "address",
    "法定代表人": "legal_representative",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "电子邮箱": "contact_email",
    "开户银行": "bank_name",
    "银行账号": "bank_account",
    "成立日期": "established_on",
    "标签": "tags",
}
FIELD_TITLES = {v: k for k, v in IMPORT_COLUMNS.items()}
REQUIRED_COLUMNS = ("统一社会信用代码", "名称", "机构类别", "所属县（区）")
# Columns an export adds: accepted on import (so an exported file can be imported elsewhere) and ignored.
# The masked account cannot be imported; the id belongs to the database that exported it.
EXPORT_ONLY_COLUMNS = ("编号", "银行账号（脱敏）")
MAX_ERRORS_REPORTED = 500
IMPORT_CHUNK = 2000


@dataclass
class ImportReport:
    total_rows: int
    created: int
    errors: list[FieldError]
    truncated: bool = False  # checking stopped after MAX_ERRORS_REPORTED errors

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Places:
    """Division names and codes, loaded once per import."""

    jurisdictions: dict[str, str]  # name or code of the city, a county or the zone -> code
    towns: dict[tuple[str | None, str], str]  # (county code, township name or code) -> code
    zone_towns: dict[str, str]  # township name or code -> code: the zone may name any township

    def township(self, division_code: str, raw: str) -> str | None:
        if division_code == ZONE_CODE:
            return self.zone_towns.get(raw)
        return self.towns.get((division_code, raw))


def _places(session: Session) -> _Places:
    divisions = session.execute(select(Division.code, Division.name, Division.level, Division.parent_code)).all()
    jurisdictions = {d.name: d.code for d in divisions if d.level in ("city", "county", "zone")}
    jurisdictions.update({d.code: d.code for d in divisions if d.level in ("city", "county", "zone")})
    townships = [d for d in divisions if d.level == "township"]
    towns = {(d.parent_code, d.name): d.code for d in townships}
    towns.update({(d.parent_code, d.code): d.code for d in townships})
    zone_towns = {d.name: d.code for d in townships}
    zone_towns.update({d.code: d.code for d in townships})
    return _Places(jurisdictions, towns, zone_towns)


def _unquote(value: str) -> str:
    """Undo the quote an export puts before text that a spreadsheet would read as a formula."""
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


def _row_to_input(row: dict[str, str], places: _Places, kinds_by_label: dict[str, str],
                  tags_by_label: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {IMPORT_COLUMNS[k]: _unquote(v) for k, v in row.items() if k in IMPORT_COLUMNS}
    data["kind"] = kinds_by_label.get(data.get("kind", ""), data.get("kind", ""))
    division_raw = data.get("division_code", "")
    data["division_code"] = places.jurisdictions.get(division_raw, division_raw)
    town_raw = data.get("township_code", "")
    if town_raw:
        data["township_code"] = places.township(data["division_code"], town_raw) or town_raw
    raw_tags = [t.strip() for t in data.get("tags", "").replace("，", ",").replace("、", ",").split(",") if t.strip()]
    data["tags"] = [tags_by_label.get(t, t) for t in raw_tags]
    if not data.get("established_on"):
        data["established_on"] = None
    return data


def _place_errors(actor: Actor, data: dict[str, Any], raw: dict[str, str], places: _Places,
                  row: int) -> list[FieldError]:
    """Checks of the division columns, made even when other columns of the row are wrong."""
    division = data.get("division_code") or ""
    if not division:
        return []  # reported as a missing value by the schema
    if division not in places.jurisdictions:
        return [FieldError("所属县（区）", f"“{raw.get('所属县（区）')}”不是丽水市、所辖县（市、区）或开发区", row)]
    town = data.get("township_code")
    if town and places.township(division, town) is None:
        return [FieldError("乡镇（街道）", f"“{raw.get('乡镇（街道）')}”不是该县（区）的乡镇（街道）", row)]
    if not _visible_division(actor, division):
        return [FieldError("所属县（区）", "只能导入本辖区的机构", row)]
    return []


def import_organisations(session: Session, actor: Actor, content: bytes, filename: str = "") -> ImportReport:
    """Validate every row first; write nothing unless every row is good (all-or-nothing)."""
    sheet = read_table(content, [*IMPORT_COLUMNS, *EXPORT_ONLY_COLUMNS], REQUIRED_COLUMNS)
    places = _places(session)
    kinds_by_label = {v: k for k, v in ORG_KINDS.items()}
    tags_by_label = {v: k for k, v in ORG_TAGS.items()}
    errors: list[FieldError] = []
    good: list[OrganisationCreate] = []
    first_row_of: dict[str, int] = {}
    truncated = False
    for index, row in enumerate(sheet.rows, start=2):
        if len(errors) >= MAX_ERRORS_REPORTED:
            truncated = True
            break
        data = _row_to_input(row, places, kinds_by_label, tags_by_label)
        row_errors = _place_errors(actor, data, row, places, index)
        try:
            item = OrganisationCreate.model_validate(data)
        except ValidationError as exc:
            errors.extend(field_errors_zh(exc, row=index, titles=FIELD_TITLES) + row_errors)
            continue
        if item.uscc in first_row_of:
            row_errors.append(FieldError("统一社会信用代码", f"与第{first_row_of[item.uscc]}行重复", index))
        else:
            first_row_of[item.uscc] = index
        errors.extend(row_errors)
        if not row_errors:
            good.append(item)
    existing_codes = _existing_codes(session, list(first_row_of))
    for code, name in existing_codes.items():
        errors.append(FieldError("统一社会信用代码", f"已登记为“{name}”", first_row_of[code]))
    if errors:
        errors.sort(key=lambda e: (e.row or 0, list(IMPORT_COLUMNS).index(e.field)
                                   if e.field in IMPORT_COLUMNS else len(IMPORT_COLUMNS)))
        return ImportReport(len(sheet.rows), 0, errors, truncated)
    _bulk_insert(session, good)
    audit.record(session, actor, "registry.org.import", object_type="organisation",
                 detail={"rows": len(good), "file": filename[:200]})
    return ImportReport(len(sheet.rows), len(good), [])


def _existing_codes(session: Session, codes: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(codes), 1000):
        chunk = codes[start:start + 1000]
        found.update(session.execute(
            select(Organisation.uscc, Organisation.name).where(Organisation.uscc.in_(chunk))
        ).tuples().all())
    return found


def _bulk_insert(session: Session, items: list[OrganisationCreate], chunk: int | None = None) -> None:
    chunk = chunk or IMPORT_CHUNK
    for start in range(0, len(items), chunk):
        _insert_chunk(session, items[start:start + chunk])


def _insert_chunk(session: Session, batch: list[OrganisationCreate]) -> None:
    """Core INSERTs for one chunk of validated organisations and their tags (no ORM objects: speed)."""
    cipher = cipher_of(session)
    rows = []
    for item in batch:
        account = item.bank_account.replace(" ", "")
        rows.append({
            "uscc": item.uscc, "name": item.name, "kind": item.kind, "division_code": item.division_code,
            "township_code": item.township_code, "address": item.address,
            "legal_representative": item.legal_representative, "contact_name": item.contact_name,
            "contact_phone": item.contact_phone, "contact_email": item.contact_email,
            "bank_name": item.bank_name,
            "bank_account_cipher": cipher.encrypt(account, bank_context(item.uscc)) if account else "",
            "bank_account_index": cipher.blind_index(account, BANK_CONTEXT) if account else "",
            "bank_account_masked": mask_account(account) if account else "",
            "established_on": item.established_on, "is_active": True, "revision": 1,
        })
    session.execute(insert(Organisation), rows)
    ids = dict(session.execute(
        select(Organisation.uscc, Organisation.id).where(Organisation.uscc.in_([i.uscc for i in batch]))
    ).tuples().all())
    tag_rows = [{"org_id": ids[i.uscc], "tag": t} for i in batch for t in i.tags]
    if tag_rows:
        session.execute(insert(OrganisationTag), tag_rows)


def export_rows(session: Session, actor: Actor, f: OrgFilter) -> tuple[list[str], list[list[Any]]]:
    names = division_names(session)
    headers = ["编号", *IMPORT_COLUMNS.keys()]
    headers[headers.index("银行账号")] = "银行账号（脱敏）"
    out = []
    for org in iter_organisations(session, actor, f):
        out.append([
            org.id, org.uscc, org.name, ORG_KINDS.get(org.kind, org.kind), names.get(org.division_code, ""),
            names.get(org.township_code or "", ""), org.address, org.legal_representative, org.contact_name,
            org.contact_phone, org.contact_email, org.bank_name, org.bank_account_masked,
            org.established_on.isoformat() if org.established_on else "",
            "、".join(ORG_TAGS[t] for t in sorted(org.tag_set) if t in ORG_TAGS),
        ])
    audit.record(session, actor, "registry.org.export", object_type="organisation",
                 detail={"rows": len(out), "filter": f.__dict__})
    return headers, out


def template_rows() -> tuple[list[str], list[list[str]]]:
    return list(IMPORT_COLUMNS), [[
        "91330100716105852F", "示例电子商务有限公司", "企业", "莲都区", "紫金街道", "丽水市莲都区示例路1号", "张三",
        "李四", "0578-2000000", "demo@example.cn", "丽水农商银行", "6228480000000000000", "2015-06-01",
        "电商交易、纳入商务统计",
    ]]


# ---------------------------------------------------------------- parks

def scope_parks(stmt: Select[Any], actor: Actor) -> Select[Any]:
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(Park.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        tenant_parks = select(ParkTenancy.park_id).where(ParkTenancy.org_id == actor.org_id)
        return stmt.where(or_(Park.operator_org_id == actor.org_id, Park.id.in_(tenant_parks)))
    return stmt.where(Park.id == -1)


def list_parks(session: Session, actor: Actor) -> list[Park]:
    return list(session.scalars(scope_parks(select(Park), actor).order_by(Park.id)))


def get_park(session: Session, actor: Actor, park_id: int) -> Park:
    park = session.scalar(scope_parks(select(Park).where(Park.id == park_id), actor))
    if park is None:
        raise NotFound("园区不存在")
    return park


def tenancies_of(session: Session, actor: Actor, org_id: int) -> list[tuple[ParkTenancy, str]]:
    """The parks an organisation has moved into (those the actor may see), with the park names."""
    stmt = scope_parks(select(ParkTenancy, Park.name).join(Park, Park.id == ParkTenancy.park_id), actor)
    return list(session.execute(stmt.where(ParkTenancy.org_id == org_id).order_by(ParkTenancy.move_in_date)).tuples())


def park_operators(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Park operators the actor may name as a park's operator."""
    stmt = scope_orgs(select(Organisation.id, Organisation.name), actor)
    return list(session.execute(stmt.where(Organisation.kind == "park_operator").order_by(Organisation.name)).tuples())


def _resolve_org(session: Session, actor: Actor, org_id: int | None, org_uscc: str | None,
                 label: str) -> Organisation | FieldError:
    """The organisation named by id or credit code, within the actor's scope, or the field error to show."""
    field = "org_id" if org_id is not None else "org_uscc"
    if org_id is None and not org_uscc:
        return FieldError("org_uscc", f"请填写{label}的统一社会信用代码")
    stmt = select(Organisation).where(
        Organisation.id == org_id if org_id is not None else Organisation.uscc == (org_uscc or "").strip().upper())
    org = session.scalar(scope_orgs(stmt, actor))
    if org is None:
        return FieldError(field, f"未找到该{label}，或不在您的辖区内")
    return org


def _area_errors(field: str, area: Decimal) -> list[FieldError]:
    if not area.is_finite() or area <= 0:
        return [FieldError(field, "面积须大于0")]
    if area != area.quantize(AREA_STEP):
        return [FieldError(field, "最多保留2位小数")]
    return []


def create_park(session: Session, actor: Actor, *, name: str, operator_org_id: int, division_code: str,
                total_area_m2: Decimal, address: str = "", opened_on: date | None = None) -> Park:
    errors = []
    operator = _resolve_org(session, actor, operator_org_id, None, "运营方")
    if isinstance(operator, FieldError):
        errors.append(FieldError("operator_org_id", operator.message))
    elif operator.kind != "park_operator":
        errors.append(FieldError("operator_org_id", f"“{operator.name}”不是园区运营方"))
    errors += _check_places(session, division_code, None)
    errors += _area_errors("total_area_m2", total_area_m2)
    if errors:
        raise ValidationFailed("园区信息有误", errors)
    if not _visible_division(actor, division_code):
        raise Forbidden("只能在本辖区内登记园区")
    if session.scalar(select(Park.id).where(Park.name == name)) is not None:
        raise Conflict(f"园区“{name}”已登记", [FieldError("name", "已有同名园区")])
    park = Park(name=name, operator_org_id=operator_org_id, division_code=division_code,
                total_area_m2=total_area_m2.quantize(AREA_STEP), address=address, opened_on=opened_on)
    session.add(park)
    session.flush()
    audit.record(session, actor, "registry.park.create", object_type="park", object_id=park.id,
                 after={"name": name, "operator_org_id": operator_org_id, "division_code": division_code,
                        "total_area_m2": total_area_m2, "opened_on": opened_on})
    return park


def add_tenancy(session: Session, actor: Actor, park_id: int, *, move_in_date: date, leased_area_m2: Decimal,
                org_id: int | None = None, org_uscc: str | None = None) -> ParkTenancy:
    park = get_park(session, actor, park_id)
    errors = []
    org = _resolve_org(session, actor, org_id, org_uscc, "入驻机构")
    if isinstance(org, FieldError):
        errors.append(org)
    errors += _area_errors("leased_area_m2", leased_area_m2)
    if errors:
        raise ValidationFailed("入驻信息有误", errors)
    assert isinstance(org, Organisation)
    current = session.scalar(select(ParkTenancy).where(
        ParkTenancy.park_id == park.id, ParkTenancy.org_id == org.id, ParkTenancy.move_out_date.is_(None)))
    if current is not None:
        raise Conflict(f"“{org.name}”已于 {current.move_in_date.isoformat()} 入驻该园区",
                       [FieldError("org_uscc" if org_id is None else "org_id", "已在该园区入驻")])
    tenancy = ParkTenancy(park_id=park.id, org_id=org.id, move_in_date=move_in_date,
                          leased_area_m2=leased_area_m2.quantize(AREA_STEP))
    session.add(tenancy)
    session.flush()
    audit.record(session, actor, "registry.park.tenancy_add", object_type="park", object_id=park.id,
                 after={"org_id": org.id, "move_in_date": move_in_date, "leased_area_m2": leased_area_m2})
    return tenancy


# ---------------------------------------------------------------- people

def scope_people(stmt: Select[Any], actor: Actor) -> Select[Any]:
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(Person.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        return stmt.where(Person.org_id == actor.org_id)
    return stmt.where(Person.id == -1)


def create_person(session: Session, actor: Actor, *, name: str, id_number: str, division_code: str,
                  org_id: int | None = None, org_uscc: str | None = None, phone: str = "") -> Person:
    errors = []
    number = ""
    try:
        number = validate_resident_id(id_number)
    except InvalidIdentifier as exc:
        errors.append(FieldError("id_number", str(exc)))
    errors += _check_places(session, division_code, None)
    if org_id is not None or org_uscc:
        org = _resolve_org(session, actor, org_id, org_uscc, "机构")
        if isinstance(org, FieldError):
            errors.append(org)
        else:
            org_id = org.id
    if errors:
        raise ValidationFailed(errors[0].message if len(errors) == 1 else "人员信息有误", errors)
    if not _visible_division(actor, division_code):
        raise Forbidden("只能登记本辖区的人员")
    cipher = cipher_of(session)
    index = cipher.blind_index(number, ID_CONTEXT)
    if session.scalar(select(Person.id).where(Person.id_number_index == index)) is not None:
        raise Conflict("该身份证号码已登记", [FieldError("id_number", "已登记")])
    person = Person(name=name, id_number_cipher=cipher.encrypt(number, id_context(index)), id_number_index=index,
                    id_number_masked=mask_resident_id(number), gender="M" if int(number[16]) % 2 else "F",
                    birth_date=birth_date_of(number), phone=phone, org_id=org_id, division_code=division_code)
    session.add(person)
    session.flush()
    audit.record(session, actor, "registry.person.create", object_type="person", object_id=person.id,
                 after={"name": name, "id_number": person.id_number_masked, "division_code": division_code,
                        "org_id": org_id})
    return person


def list_people(session: Session, actor: Actor, q: str = "") -> list[Person]:
    stmt = scope_people(select(Person), actor)
    if q:
        stmt = stmt.where(Person.name.like(f"%{q}%"))
    return list(session.scalars(stmt.order_by(Person.id.desc()).limit(200)))


def get_person(session: Session, actor: Actor, person_id: int) -> Person:
    person = session.scalar(scope_people(select(Person).where(Person.id == person_id), actor))
    if person is None:
        raise NotFound("人员不存在")
    return person


def reveal_id_number(session: Session, actor: Actor, person_id: int, reason: str) -> str:
    if not actor.can("registry:person:unmask"):
        raise Forbidden("没有查看完整身份证号码的权限")
    if len(reason.strip()) < 4:
        raise ValidationFailed("请说明查看原因", [FieldError("reason", "请填写查看原因（至少4个字）")])
    person = get_person(session, actor, person_id)
    value = cipher_of(session).decrypt(person.id_number_cipher, id_context(person.id_number_index))
    audit.record(session, actor, "registry.person.unmask", object_type="person", object_id=person.id,
                 detail={"field": "id_number", "reason": reason.strip()})
    return value
