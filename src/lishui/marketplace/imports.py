"""All-or-nothing imports of providers (with their offerings) and showcase products from .xlsx/.csv.

Every row is checked first and every problem reported with its row and column; nothing is written unless every
row is good. The import is the center's own act, so imported providers are verified (their credit codes must be
registered organisations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, ValidationFailed
from lishui.core.tabular import read_table
from lishui.marketplace.models import Offering, Provider
from lishui.marketplace.service import JURISDICTIONS, offering_tokens, parse_money
from lishui.marketplace.showcase import ProductInput, check_product, create_product
from lishui.marketplace.vocab import CATEGORIES, PLATFORMS, PRODUCT_CATEGORIES
from lishui.registry import Organisation

PROVIDER_COLUMNS = ["统一社会信用代码", "服务商名称", "主营类别", "承接能力", "服务名称", "服务类别", "服务说明",
                    "最低报价（元）", "最高报价（元）", "服务地区", "案例", "政府购买服务", "合同编号", "预算科目"]
PROVIDER_REQUIRED = ["统一社会信用代码", "服务商名称", "服务名称", "服务类别", "最低报价（元）", "最高报价（元）"]
LINK_COLUMNS = {f"{label}链接": code for code, label in PLATFORMS.items() if code != "other"}
PRODUCT_COLUMNS = ["统一社会信用代码", "产品名称", "产品类别", "品牌", "产品介绍", "认证", *LINK_COLUMNS]
PRODUCT_REQUIRED = ["统一社会信用代码", "产品名称", "产品类别"]
YES = {"是", "y", "yes", "true", "1"}
NO = {"", "否", "n", "no", "false", "0"}


@dataclass
class ImportReport:
    total_rows: int
    created: int
    errors: list[FieldError]
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _code(value: str, vocabulary: dict[str, tuple[str, str]]) -> str:
    """A vocabulary code from its code or its Chinese label."""
    value = value.strip()
    if value in vocabulary:
        return value
    return next((k for k, (zh, _) in vocabulary.items() if zh == value), "")


def _counties(value: str) -> list[str] | None:
    names = {name: code for code, name in JURISDICTIONS.items()}
    out = []
    for part in value.replace("、", " ").replace("，", " ").replace(",", " ").split():
        code = part if part in JURISDICTIONS else names.get(part)
        if code is None:
            return None
        out.append(code)
    return sorted(set(out))


def _orgs_by_code(session: Session, codes: set[str]) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    items = sorted(codes)
    for start in range(0, len(items), 1000):
        for org in session.scalars(select(Organisation).where(Organisation.uscc.in_(items[start:start + 1000]))):
            found[org.uscc] = org
    return found


def template(kind: str) -> tuple[list[str], list[list[str]]]:
    """Headers and one example row of an import file."""
    if kind == "providers":
        return PROVIDER_COLUMNS, [["91331102MA28XXXXXX", "丽水某电商服务有限公司", "店铺代运营", "5", "天猫店铺代运营",
                                   "店铺代运营", "店铺装修、日常运营", "10000", "50000", "莲都区、龙泉市", "", "否", "",
                                   ""]]
    return PRODUCT_COLUMNS, [["91331126MA28XXXXXX", "庆元椴木香菇", "食用菌", "庆元香菇", "椴木栽培", "地理标志产品",
                              "https://…", "", "", "", "", ""]]


def import_providers(session: Session, actor: Actor, content: bytes, filename: str = "") -> ImportReport:
    sheet = read_table(content, PROVIDER_COLUMNS, PROVIDER_REQUIRED)
    orgs = _orgs_by_code(session, {r["统一社会信用代码"].strip().upper() for r in sheet.rows})
    errors: list[FieldError] = []
    good: list[tuple[Organisation, dict[str, Any]]] = []
    for row_no, row in enumerate(sheet.rows, start=2):
        row_errors: list[FieldError] = []
        org = orgs.get(row["统一社会信用代码"].strip().upper())
        if org is None:
            row_errors.append(FieldError("统一社会信用代码", "该信用代码未在主体登记中登记", row_no))
        values: dict[str, Any] = {"name": row["服务商名称"].strip(), "title": row["服务名称"].strip(),
                                  "description": row.get("服务说明", "").strip(), "cases": row.get("案例", "").strip(),
                                  "contract_no": row.get("合同编号", "").strip(),
                                  "budget_line": row.get("预算科目", "").strip()}
        for column, key in (("服务商名称", "name"), ("服务名称", "title")):
            if not values[key] or len(values[key]) > 200:
                row_errors.append(FieldError(column, "必填，且不超过200个字", row_no))
        category = _code(row["服务类别"], CATEGORIES)
        if not category:
            row_errors.append(FieldError("服务类别", f"“{row['服务类别'][:20]}”不是平台的服务类别", row_no))
        values["category"] = category
        values["kind"] = _code(row.get("主营类别", ""), CATEGORIES) or category
        for column, key in (("最低报价（元）", "price_min"), ("最高报价（元）", "price_max")):
            try:
                values[key] = parse_money(row[column], key, column)
            except ValidationFailed as exc:
                row_errors.append(FieldError(column, exc.fields[0].message if exc.fields else exc.message, row_no))
        if "price_min" in values and "price_max" in values and values["price_max"] < values["price_min"]:
            row_errors.append(FieldError("最高报价（元）", "最高报价不能低于最低报价", row_no))
        counties = _counties(row.get("服务地区", ""))
        if counties is None:
            row_errors.append(FieldError("服务地区", "请填写丽水市的县（市、区）名称，用顿号分隔；留空为全市",
                                         row_no))
        values["counties"] = counties or []
        try:
            capacity = int(row.get("承接能力", "") or 5)
            if not 1 <= capacity <= 1000:
                raise ValueError
            values["capacity"] = capacity
        except ValueError:
            row_errors.append(FieldError("承接能力", "应为 1 到 1000 的整数", row_no))
        flag = row.get("政府购买服务", "").strip().lower()
        if flag not in YES | NO:
            row_errors.append(FieldError("政府购买服务", "填“是”或“否”", row_no))
        values["government_purchased"] = flag in YES
        if values["government_purchased"]:
            if not values["contract_no"]:
                row_errors.append(FieldError("合同编号", "政府购买服务须填写合同编号", row_no))
            if not values["budget_line"]:
                row_errors.append(FieldError("预算科目", "政府购买服务须填写预算科目", row_no))
        errors.extend(row_errors)
        if not row_errors and org is not None:
            good.append((org, values))
    if errors:
        return ImportReport(len(sheet.rows), 0, errors)
    providers = {p.org_id: p for p in session.scalars(select(Provider).where(
        Provider.org_id.in_([o.id for o, _ in good])))}
    for org, v in good:
        provider = providers.get(org.id)
        if provider is None:
            provider = Provider(org_id=org.id, display_name=v["name"], kind=v["kind"], capacity=v["capacity"],
                                documents=f"批量导入：{filename[:100]}", state="verified", verified_at=clock.now(),
                                review_note="公共服务中心批量导入")
            session.add(provider)
            session.flush()
            providers[org.id] = provider
        offering = Offering(provider_id=provider.id, category=v["category"], title=v["title"],
                            description=v["description"], price_min=v["price_min"], price_max=v["price_max"],
                            counties=" ".join(v["counties"]), cases=v["cases"],
                            government_purchased=v["government_purchased"], contract_no=v["contract_no"],
                            budget_line=v["budget_line"])
        offering.tokens = offering_tokens(offering.title, offering.description, offering.cases, offering.category)
        session.add(offering)
    session.flush()
    audit.record(session, actor, "marketplace.provider.import", object_type="provider",
                 detail={"rows": len(good), "providers": len({o.id for o, _ in good}), "file": filename[:200]})
    return ImportReport(len(sheet.rows), len(good), [])


def import_products(session: Session, actor: Actor, content: bytes, filename: str = "") -> ImportReport:
    sheet = read_table(content, PRODUCT_COLUMNS, PRODUCT_REQUIRED)
    orgs = _orgs_by_code(session, {r["统一社会信用代码"].strip().upper() for r in sheet.rows})
    errors: list[FieldError] = []
    good: list[tuple[Organisation, ProductInput]] = []
    columns = {"name": "产品名称", "category": "产品类别", "description": "产品介绍", "certifications": "认证",
               "links": "链接"}
    for row_no, row in enumerate(sheet.rows, start=2):
        org = orgs.get(row["统一社会信用代码"].strip().upper())
        row_errors = [] if org is not None else [FieldError("统一社会信用代码", "该信用代码未在主体登记中登记", row_no)]
        links = [(code, row[col].strip()) for col, code in LINK_COLUMNS.items() if row.get(col, "").strip()]
        data = ProductInput(name=row["产品名称"].strip(),
                            category=_code(row["产品类别"], PRODUCT_CATEGORIES) or row["产品类别"].strip(),
                            description=row.get("产品介绍", ""), certifications=row.get("认证", ""),
                            brand=row.get("品牌", ""), links=links)
        for e in check_product(data, row_no):
            column = columns.get(e.field, e.field)
            if e.field == "links":
                column = next((c for c, code in LINK_COLUMNS.items() if row.get(c, "").strip()
                               and row[c].strip()[:60] in e.message), "链接")
            row_errors.append(FieldError(column, e.message, row_no))
        errors.extend(row_errors)
        if not row_errors and org is not None:
            good.append((org, data))
    if errors:
        return ImportReport(len(sheet.rows), 0, errors)
    for org, data in good:
        create_product(session, actor, data, org_id=org.id, audited=False)
    audit.record(session, actor, "marketplace.product.import", object_type="product",
                 detail={"rows": len(good), "file": filename[:200]})
    return ImportReport(len(sheet.rows), len(good), [])


