"""Marketplace business logic: providers, offerings, demands, quotes, engagements, ratings, disputes,
notifications and the center's figures. Every read applies the actor's data scope in the query; a provider
never sees a private demand it was not invited to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Select, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from lishui.core.money import ZERO, Money
from lishui.marketplace.models import (
    Demand,
    Dispute,
    Engagement,
    Invitation,
    Notification,
    Offering,
    Provider,
    Quote,
    Rating,
)
from lishui.marketplace.text import words
from lishui.marketplace.vocab import CATEGORIES, TRANSITIONS
from lishui.registry import COUNTIES, ZONE_CODE, Organisation, get_organisation_unscoped

JURISDICTIONS = {**COUNTIES, ZONE_CODE: "丽水经济技术开发区"}
PROVIDER_ORG_KINDS = frozenset({"service_provider", "training", "logistics", "warehouse_center", "bank",
                                "service_center", "enterprise"})
MAX_MONEY = Money.yuan("100000000")  # a hundred million yuan: beyond it a figure is a typing error


# ---------------------------------------------------------------- parsing helpers

def parse_money(value: Any, field: str, label: str) -> Money:
    if isinstance(value, Money):
        money = value
    else:
        text = str(value if value is not None else "").strip()
        if not text:
            raise ValidationFailed(f"请填写{label}", [FieldError(field, f"请填写{label}")])
        try:
            money = Money.yuan(Decimal(text.replace(",", "")))
        except (InvalidOperation, ValueError, TypeError):
            raise ValidationFailed(f"{label}不是有效金额", [FieldError(field, f"“{text[:30]}”不是有效金额（元）")]) \
                from None
    if money.fen < 0:
        raise ValidationFailed(f"{label}不能为负数", [FieldError(field, f"{label}不能小于零")])
    if money > MAX_MONEY:
        raise ValidationFailed(f"{label}过大", [FieldError(field, f"{label}超过一亿元，请核对")])
    return money


def parse_date(value: Any, field: str, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationFailed(f"{label}格式有误", [FieldError(field, f"请按 年-月-日 填写{label}")]) from None


def parse_counties(values: list[str] | str, field: str = "counties") -> list[str]:
    items = values.split() if isinstance(values, str) else [v.strip() for v in values if v.strip()]
    bad = [c for c in items if c not in JURISDICTIONS]
    if bad:
        raise ValidationFailed("服务地区有误", [FieldError(field, f"“{bad[0][:20]}”不是丽水市的县（市、区）代码")])
    return sorted(set(items))


def _text(value: Any, field: str, label: str, *, required: bool = False, limit: int = 200) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(f"请填写{label}", [FieldError(field, f"请填写{label}")])
    if len(text) > limit:
        raise ValidationFailed(f"{label}过长", [FieldError(field, f"{label}不能超过{limit}个字")])
    return text


def _category(value: Any, field: str = "category") -> str:
    code = str(value or "").strip()
    if not code:
        raise ValidationFailed("请选择服务类别", [FieldError(field, "请选择服务类别")])
    if code not in CATEGORIES:
        raise ValidationFailed("服务类别有误", [FieldError(field, f"“{code[:30]}”不是平台的服务类别")])
    return code


# ---------------------------------------------------------------- notifications

def notify(session: Session, org_id: int, kind: str, text: str, link: str = "") -> None:
    session.add(Notification(org_id=org_id, kind=kind, text=text[:500], link=link[:200]))


def notifications(session: Session, actor: Actor, limit: int = 50) -> list[Notification]:
    if actor.org_id is None:
        return []
    return list(session.scalars(select(Notification).where(Notification.org_id == actor.org_id)
                                .order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, actor: Actor) -> int:
    if actor.org_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.org_id == actor.org_id, Notification.is_read.is_(False))) or 0


def mark_read(session: Session, actor: Actor) -> int:
    items = [n for n in notifications(session, actor, 500) if not n.is_read]
    for n in items:
        n.is_read = True
    if items:
        audit.record(session, actor, "marketplace.notification.read", object_type="notification",
                     detail={"count": len(items)})
    return len(items)


# ---------------------------------------------------------------- providers

def provider_of(session: Session, actor: Actor) -> Provider | None:
    if actor.org_id is None:
        return None
    return session.scalar(select(Provider).where(Provider.org_id == actor.org_id))


def verified_provider_of(session: Session, actor: Actor) -> Provider:
    provider = provider_of(session, actor)
    if provider is None:
        raise Forbidden("请先提交服务商入驻申请")
    if provider.state != "verified":
        raise Forbidden("服务商尚未通过公共服务中心认证")
    return provider


def _provider_snapshot(p: Provider) -> dict[str, Any]:
    return {"org_id": p.org_id, "display_name": p.display_name, "kind": p.kind, "state": p.state,
            "capacity": p.capacity, "review_note": p.review_note}


def apply_as_provider(session: Session, actor: Actor, *, display_name: str, kind: str, introduction: str = "",
                      documents: str = "", capacity: int | str = 5,
                      document: tuple[str, str] | None = None) -> Provider:
    """The provider's own application (or its update while pending): reviewed by the center before it shows.
    ``document``: (original name, stored name) of a qualification file the caller checked and stored."""
    if actor.org_id is None:
        raise Forbidden("只有机构用户可以申请入驻")
    org = get_organisation_unscoped(session, actor.org_id)
    assert org is not None
    name = _text(display_name, "display_name", "服务商名称", required=True)
    kind = _category(kind, "kind")
    try:
        cap = int(str(capacity))
    except ValueError:
        raise ValidationFailed("承接能力有误", [FieldError("capacity", "请填写同时可承接的项目数（整数）")]) from None
    if not 1 <= cap <= 1000:
        raise ValidationFailed("承接能力有误", [FieldError("capacity", "同时可承接的项目数应在 1 到 1000 之间")])
    provider = provider_of(session, actor)
    before = _provider_snapshot(provider) if provider else None
    if provider is None:
        provider = Provider(org_id=org.id)
        session.add(provider)
    provider.display_name, provider.kind, provider.capacity = name, kind, cap
    provider.introduction = _text(introduction, "introduction", "简介", limit=4000)
    provider.documents = _text(documents, "documents", "资质材料说明", limit=2000)
    if document is not None:
        provider.document_name, provider.document_stored = document[0][:200], document[1]
    if provider.state == "rejected" or before is None:
        provider.state = "pending"
    session.flush()
    audit.record(session, actor, "marketplace.provider.apply", object_type="provider", object_id=provider.id,
                 before=before, after=_provider_snapshot(provider))
    return provider


def provider_document(session: Session, provider_id: int, upload_dir: Path) -> tuple[str, bytes]:
    """The qualification file a provider submitted, for the center's review."""
    provider = session.get(Provider, provider_id)
    path = upload_dir / "providers" / (provider.document_stored if provider else "")
    if provider is None or not provider.document_stored or not path.is_file():
        raise NotFound("没有上传资质文件")
    return provider.document_name or "document", path.read_bytes()


def review_provider(session: Session, actor: Actor, provider_id: int, *, approve: bool, note: str = "") -> Provider:
    """The center checks the credit code (the registry validated it at registration) and the documents."""
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("服务商不存在")
    org = get_organisation_unscoped(session, provider.org_id)
    if approve and (org is None or not org.is_active):
        raise ValidationFailed("登记机构已注销，不能认证", [FieldError("provider", "登记机构已注销")])
    note = _text(note, "note", "审核意见", required=not approve, limit=500)
    before = _provider_snapshot(provider)
    provider.state = "verified" if approve else "rejected"
    provider.review_note = note
    provider.verified_at = clock.now() if approve else None
    session.flush()
    audit.record(session, actor, "marketplace.provider.review", object_type="provider", object_id=provider.id,
                 before=before, after=_provider_snapshot(provider))
    notify(session, provider.org_id, "status",
           "服务商入驻申请已通过认证" if approve else f"服务商入驻申请未通过：{note}", "/marketplace/provider")
    return provider


def list_providers(session: Session, *, state: str = "verified", category: str = "", county: str = "",
                   q: str = "", limit: int = 100) -> list[Provider]:
    stmt = select(Provider).where(Provider.state == state)
    if category:
        stmt = stmt.where(or_(Provider.kind == category, Provider.id.in_(
            select(Offering.provider_id).where(Offering.category == category, Offering.is_active.is_(True)))))
    if county:
        stmt = stmt.where(Provider.id.in_(select(Offering.provider_id).where(
            or_(Offering.counties == "", Offering.counties.like(f"%{county[:12]}%")))))
    if q:
        stmt = stmt.where(Provider.display_name.like(f"%{q[:50]}%"))
    return list(session.scalars(stmt.order_by(Provider.id).limit(limit)))


def verified_provider(session: Session, provider_id: int) -> Provider:
    """A provider the public may see: verified by the center."""
    provider = session.get(Provider, provider_id)
    if provider is None or provider.state != "verified":
        raise NotFound("服务商不存在或尚未认证")
    return provider


def offerings_of(session: Session, provider_ids: list[int]) -> dict[int, list[Offering]]:
    out: dict[int, list[Offering]] = {pid: [] for pid in provider_ids}
    if provider_ids:
        for o in session.scalars(select(Offering).where(Offering.provider_id.in_(provider_ids),
                                                        Offering.is_active.is_(True)).order_by(Offering.id)):
            out[o.provider_id].append(o)
    return out


@dataclass
class ProviderRecord:
    """What matching and the directory show about a provider's track record."""

    engagements: int
    active: int
    rating: float | None
    ratings: int
    response_hours: float | None


def provider_records(session: Session, provider_ids: list[int] | None = None) -> dict[int, ProviderRecord]:
    def where(column: Any) -> Any:
        return column.in_(provider_ids) if provider_ids is not None else true()

    eng = dict(session.execute(select(Engagement.provider_id, func.count()).where(where(Engagement.provider_id))
                               .group_by(Engagement.provider_id)).tuples().all())
    active = dict(session.execute(
        select(Engagement.provider_id, func.count()).where(where(Engagement.provider_id),
                                                           Engagement.state.in_(("accepted", "in_progress")))
        .group_by(Engagement.provider_id)).tuples().all())
    ratings = {pid: (avg, n) for pid, avg, n in session.execute(
        select(Engagement.provider_id, func.avg(Rating.score), func.count())
        .join(Engagement, Engagement.id == Rating.engagement_id)
        .where(Rating.side == "enterprise", where(Engagement.provider_id)).group_by(Engagement.provider_id))}
    response = dict(session.execute(select(Quote.provider_id, func.avg(Quote.response_hours))
                                    .where(where(Quote.provider_id)).group_by(Quote.provider_id)).tuples().all())
    ids = set(eng) | set(ratings) | set(response) | set(active)
    if provider_ids is not None:
        ids |= set(provider_ids)
    return {pid: ProviderRecord(int(eng.get(pid, 0)), int(active.get(pid, 0)),
                                float(ratings[pid][0]) if pid in ratings else None,
                                int(ratings[pid][1]) if pid in ratings else 0,
                                float(response[pid]) if response.get(pid) is not None else None) for pid in ids}


# ---------------------------------------------------------------- offerings

def offering_tokens(title: str, description: str, cases: str, category: str) -> str:
    label = CATEGORIES.get(category, ("", ""))[0]
    return " ".join(words(f"{title} {title} {label} {description} {cases}"))


def create_offering(session: Session, actor: Actor, *, category: str, title: str, description: str = "",
                    price_min: Any, price_max: Any, counties: list[str] | str = "", cases: str = "",
                    government_purchased: bool = False, contract_no: str = "", budget_line: str = "") -> Offering:
    provider = verified_provider_of(session, actor)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, check in (
        ("category", lambda: _category(category)),
        ("title", lambda: _text(title, "title", "服务名称", required=True)),
        ("description", lambda: _text(description, "description", "服务说明", limit=4000)),
        ("cases", lambda: _text(cases, "cases", "案例", limit=4000)),
        ("price_min", lambda: parse_money(price_min, "price_min", "最低报价")),
        ("price_max", lambda: parse_money(price_max, "price_max", "最高报价")),
        ("counties", lambda: parse_counties(counties)),
    ):
        try:
            values[name] = check()
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    if "price_min" in values and "price_max" in values and values["price_max"] < values["price_min"]:
        errors.append(FieldError("price_max", "最高报价不能低于最低报价"))
    if government_purchased:
        if not contract_no.strip():
            errors.append(FieldError("contract_no", "政府购买服务须填写合同编号"))
        if not budget_line.strip():
            errors.append(FieldError("budget_line", "政府购买服务须填写预算科目"))
    if errors:
        raise ValidationFailed("服务信息有误，未保存", errors)
    offering = Offering(provider_id=provider.id, category=values["category"], title=values["title"],
                        description=values["description"], price_min=values["price_min"],
                        price_max=values["price_max"], counties=" ".join(values["counties"]), cases=values["cases"],
                        government_purchased=government_purchased, contract_no=contract_no.strip()[:100],
                        budget_line=budget_line.strip()[:100])
    offering.tokens = offering_tokens(offering.title, offering.description, offering.cases, offering.category)
    session.add(offering)
    session.flush()
    audit.record(session, actor, "marketplace.offering.create", object_type="offering", object_id=offering.id,
                 after={"category": offering.category, "title": offering.title, "price_min": offering.price_min.fen,
                        "price_max": offering.price_max.fen, "counties": offering.counties,
                        "government_purchased": government_purchased, "contract_no": offering.contract_no})
    return offering


def withdraw_offering(session: Session, actor: Actor, offering_id: int) -> Offering:
    """A provider withdraws one of its offerings: it no longer shows or matches (the row stays)."""
    provider = provider_of(session, actor)
    offering = session.get(Offering, offering_id)
    if offering is None or provider is None or offering.provider_id != provider.id:
        raise NotFound("服务不存在")
    if offering.is_active:
        offering.is_active = False
        session.flush()
        audit.record(session, actor, "marketplace.offering.withdraw", object_type="offering", object_id=offering.id,
                     before={"active": True}, after={"active": False})
    return offering


# ---------------------------------------------------------------- demands and their visibility

def scope_demands(stmt: Select[Any], session: Session, actor: Actor) -> Select[Any]:
    """What demands the actor may see: the city all; a county its own; an enterprise its own; a verified
    provider the public ones and the private ones it was invited to."""
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(Demand.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        provider = provider_of(session, actor)
        if provider is None or provider.state != "verified":
            return stmt.where(Demand.org_id == actor.org_id)
        invited = select(Invitation.demand_id).where(Invitation.provider_id == provider.id)
        return stmt.where(or_(Demand.org_id == actor.org_id, Demand.is_private.is_(False), Demand.id.in_(invited)))
    return stmt.where(false())


def get_demand(session: Session, actor: Actor, demand_id: int) -> Demand:
    demand = session.scalar(scope_demands(select(Demand).where(Demand.id == demand_id), session, actor))
    if demand is None:
        raise NotFound("需求不存在")
    return demand


def own_demand(session: Session, actor: Actor, demand_id: int) -> Demand:
    """A demand the actor's enterprise posted (the city may act on any): 404 otherwise."""
    demand = get_demand(session, actor, demand_id)
    if actor.scope != "city" and demand.org_id != actor.org_id:
        raise NotFound("需求不存在")
    return demand


def list_demands(session: Session, actor: Actor, *, state: str = "", category: str = "", mine: bool = False,
                 limit: int = 200) -> list[Demand]:
    stmt = scope_demands(select(Demand), session, actor)
    if mine and actor.org_id is not None:
        stmt = stmt.where(Demand.org_id == actor.org_id)
    if state:
        stmt = stmt.where(Demand.state == state)
    if category:
        stmt = stmt.where(Demand.category == category)
    return list(session.scalars(stmt.order_by(Demand.id.desc()).limit(limit)))


def demands_for_provider(session: Session, actor: Actor, limit: int = 100) -> list[Demand]:
    """Open demands a provider can answer: its categories first (invitations above all), then the rest."""
    provider = verified_provider_of(session, actor)
    categories = {provider.kind} | set(session.scalars(
        select(Offering.category).where(Offering.provider_id == provider.id, Offering.is_active.is_(True))))
    invited = set(session.scalars(select(Invitation.demand_id).where(Invitation.provider_id == provider.id)))
    stmt = scope_demands(select(Demand), session, actor).where(Demand.state == "open", Demand.org_id != actor.org_id)
    items = list(session.scalars(stmt.order_by(Demand.id.desc()).limit(500)))
    items.sort(key=lambda d: (d.id not in invited, d.category not in categories, -d.id))
    return items[:limit]


def create_demand(session: Session, actor: Actor, *, category: str, title: str, description: str = "",
                  budget: Any, deadline: Any, is_private: bool = False, invite: list[int] | None = None,
                  attachment: tuple[str, str] | None = None) -> Demand:
    """``attachment``: (original name, stored name) of a file already checked and stored by the caller."""
    if actor.org_id is None:
        raise Forbidden("只有企业用户可以发布需求")
    org = get_organisation_unscoped(session, actor.org_id)
    assert org is not None
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, check in (
        ("category", lambda: _category(category)),
        ("title", lambda: _text(title, "title", "需求标题", required=True)),
        ("description", lambda: _text(description, "description", "需求说明", limit=4000)),
        ("budget", lambda: parse_money(budget, "budget", "预算")),
        ("deadline", lambda: parse_date(deadline, "deadline", "截止日期")),
    ):
        try:
            values[name] = check()
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    if "deadline" in values and values["deadline"] < clock.today():
        errors.append(FieldError("deadline", "截止日期不能早于今天"))
    invited = _providers_to_invite(session, invite or [], errors)
    if is_private and not invited:
        errors.append(FieldError("invite", "不公开的需求须至少邀请一家服务商"))
    if errors:
        raise ValidationFailed("需求信息有误，未发布", errors)
    demand = Demand(org_id=org.id, division_code=org.division_code, category=values["category"],
                    title=values["title"], description=values["description"], budget=values["budget"],
                    deadline=values["deadline"], is_private=is_private)
    if attachment:
        demand.attachment_name, demand.attachment_stored = attachment[0][:200], attachment[1]
    demand.tokens = " ".join(words(f"{demand.title} {demand.title} {demand.description}"))
    session.add(demand)
    session.flush()
    for provider in invited:
        session.add(Invitation(demand_id=demand.id, provider_id=provider.id))
        notify(session, provider.org_id, "new_demand", f"您被邀请为需求“{demand.title}”报价",
               f"/marketplace/demands/{demand.id}")
    if not is_private:
        _notify_matching_providers(session, demand, skip={p.id for p in invited})
    audit.record(session, actor, "marketplace.demand.create", object_type="demand", object_id=demand.id,
                 after={"category": demand.category, "title": demand.title, "budget": demand.budget.fen,
                        "deadline": demand.deadline, "private": is_private,
                        "invited": sorted(p.id for p in invited)})
    return demand


def _providers_to_invite(session: Session, ids: list[int], errors: list[FieldError]) -> list[Provider]:
    found = list(session.scalars(select(Provider).where(Provider.id.in_(ids), Provider.state == "verified")))
    missing = set(ids) - {p.id for p in found}
    if missing:
        errors.append(FieldError("invite", f"服务商编号 {sorted(missing)[0]} 不存在或未认证"))
    return found


def _notify_matching_providers(session: Session, demand: Demand, skip: set[int], top: int = 10) -> None:
    from lishui.marketplace.matching import rank_demand

    for match in rank_demand(session, demand, top=top):
        if match.provider_id not in skip and match.org_id != demand.org_id:
            notify(session, match.org_id, "new_demand", f"有新的{CATEGORIES[demand.category][0]}需求：{demand.title}",
                   f"/marketplace/demands/{demand.id}")


def invite_provider(session: Session, actor: Actor, demand_id: int, provider_id: int) -> Invitation:
    """The enterprise invites a provider to quote; the center can match by hand the same way."""
    demand = own_demand(session, actor, demand_id) if actor.scope != "city" else get_demand(session, actor,
                                                                                              demand_id)
    if demand.state != "open":
        raise Conflict("需求已不再征集报价")
    provider = session.get(Provider, provider_id)
    if provider is None or provider.state != "verified":
        raise ValidationFailed("服务商不存在或未认证", [FieldError("provider_id", "服务商不存在或未认证")])
    existing = session.scalar(select(Invitation).where(Invitation.demand_id == demand.id,
                                                       Invitation.provider_id == provider.id))
    if existing:
        return existing
    invitation = Invitation(demand_id=demand.id, provider_id=provider.id, by_center=demand.org_id != actor.org_id)
    session.add(invitation)
    session.flush()
    notify(session, provider.org_id, "new_demand", f"您被邀请为需求“{demand.title}”报价",
           f"/marketplace/demands/{demand.id}")
    audit.record(session, actor, "marketplace.demand.invite", object_type="demand", object_id=demand.id,
                 detail={"provider_id": provider.id, "by_center": invitation.by_center})
    return invitation


def attachment_of(session: Session, actor: Actor, demand_id: int, upload_dir: Path) -> tuple[str, bytes]:
    demand = get_demand(session, actor, demand_id)
    path = upload_dir / "demands" / demand.attachment_stored
    if not demand.attachment_stored or not path.is_file():
        raise NotFound("该需求没有附件")
    return demand.attachment_name or "attachment", path.read_bytes()


# ---------------------------------------------------------------- quotes

def quotes_for(session: Session, actor: Actor, demand: Demand) -> list[Quote]:
    """The owner and officers see every quote; a provider only its own."""
    stmt = select(Quote).where(Quote.demand_id == demand.id).order_by(Quote.amount, Quote.id)
    if actor.scope == "org" and demand.org_id != actor.org_id:
        provider = provider_of(session, actor)
        stmt = stmt.where(Quote.provider_id == (provider.id if provider else -1))
    return list(session.scalars(stmt))


def submit_quote(session: Session, actor: Actor, demand_id: int, *, amount: Any, days: Any,
                 message: str = "") -> Quote:
    demand = get_demand(session, actor, demand_id)
    provider = verified_provider_of(session, actor)
    if demand.org_id == actor.org_id:
        raise Forbidden("不能为本单位的需求报价")
    if demand.state != "open":
        raise Conflict("该需求已不再征集报价")
    if demand.deadline < clock.today():
        raise Conflict(f"该需求已于 {demand.deadline.isoformat()} 截止报价")
    errors: list[FieldError] = []
    money = None
    try:
        money = parse_money(amount, "amount", "报价")
    except ValidationFailed as exc:
        errors.extend(exc.fields)
    try:
        n_days = int(str(days).strip())
        if not 1 <= n_days <= 3650:
            raise ValueError
    except ValueError:
        errors.append(FieldError("days", "工期应为 1 到 3650 天"))
        n_days = 0
    try:
        note = _text(message, "message", "报价说明", limit=2000)
    except ValidationFailed as exc:
        errors.extend(exc.fields)
        note = ""
    if errors or money is None:
        raise ValidationFailed("报价有误，未提交", errors)
    if session.scalar(select(Quote.id).where(Quote.demand_id == demand.id, Quote.provider_id == provider.id)):
        raise Conflict("已为该需求报过价", [FieldError("amount", "每家服务商对一个需求只能报价一次")])
    hours = int((clock.now() - demand.created_at).total_seconds() // 3600)
    quote = Quote(demand_id=demand.id, provider_id=provider.id, amount=money, days=n_days, message=note,
                  response_hours=max(0, hours))
    session.add(quote)
    session.flush()
    notify(session, demand.org_id, "quote", f"{provider.display_name} 为“{demand.title}”报价 ¥{money}",
           f"/marketplace/demands/{demand.id}")
    audit.record(session, actor, "marketplace.quote.submit", object_type="quote", object_id=quote.id,
                 after={"demand_id": demand.id, "amount": money.fen, "days": n_days})
    return quote


def get_quote_for_owner(session: Session, actor: Actor, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound("报价不存在")
    own_demand(session, actor, quote.demand_id)  # 404 unless the actor's enterprise posted the demand
    return quote


def accept_quote(session: Session, actor: Actor, quote_id: int) -> Engagement:
    quote = get_quote_for_owner(session, actor, quote_id)
    demand = session.get(Demand, quote.demand_id)
    assert demand is not None
    if demand.state != "open" or quote.state != "submitted":
        raise Conflict("该需求已选定服务商")
    quote.state = "accepted"
    for other in session.scalars(select(Quote).where(Quote.demand_id == demand.id, Quote.id != quote.id)):
        other.state = "declined"
    demand.state = "awarded"
    engagement = Engagement(demand_id=demand.id, quote_id=quote.id, provider_id=quote.provider_id,
                            org_id=demand.org_id, division_code=demand.division_code, category=demand.category,
                            amount=quote.amount, accepted_at=clock.now())
    session.add(engagement)
    session.flush()
    provider = session.get(Provider, quote.provider_id)
    assert provider is not None
    notify(session, provider.org_id, "status", f"您对“{demand.title}”的报价已被接受",
           f"/marketplace/engagements/{engagement.id}")
    audit.record(session, actor, "marketplace.quote.accept", object_type="engagement", object_id=engagement.id,
                 after={"demand_id": demand.id, "quote_id": quote.id, "amount": quote.amount.fen,
                        "state": engagement.state})
    return engagement


# ---------------------------------------------------------------- engagements

def scope_engagements(stmt: Select[Any], session: Session, actor: Actor) -> Select[Any]:
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(Engagement.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        provider = provider_of(session, actor)
        return stmt.where(or_(Engagement.org_id == actor.org_id,
                              Engagement.provider_id == (provider.id if provider else -1)))
    return stmt.where(false())


def get_engagement(session: Session, actor: Actor, engagement_id: int) -> Engagement:
    found = session.scalar(scope_engagements(select(Engagement).where(Engagement.id == engagement_id), session,
                                             actor))
    if found is None:
        raise NotFound("服务项目不存在")
    return found


def list_engagements(session: Session, actor: Actor, limit: int = 200) -> list[Engagement]:
    return list(session.scalars(scope_engagements(select(Engagement), session, actor)
                                .order_by(Engagement.id.desc()).limit(limit)))


def side_of(session: Session, actor: Actor, engagement: Engagement) -> str:
    """enterprise | provider | center (an officer acting for the center) | none."""
    if actor.org_id is not None and engagement.org_id == actor.org_id:
        return "enterprise"
    provider = provider_of(session, actor)
    if provider is not None and provider.id == engagement.provider_id:
        return "provider"
    if actor.can("marketplace:center:manage"):
        return "center"
    return "none"


def advance(session: Session, actor: Actor, engagement_id: int, action: str, reason: str = "") -> Engagement:
    engagement = get_engagement(session, actor, engagement_id)
    if action not in TRANSITIONS:
        raise ValidationFailed("未知的操作", [FieldError("action", f"“{action[:20]}”不是可执行的操作")])
    sources, target, who = TRANSITIONS[action]
    side = side_of(session, actor, engagement)
    allowed = {"provider": {"provider"}, "either": {"provider", "enterprise"}, "center": {"center"}}[who]
    if side not in allowed:
        raise Forbidden("您不能对该服务项目执行此操作")
    if engagement.state not in sources:
        raise Conflict(f"当前状态下不能执行此操作（当前：{engagement.state}）")
    before = engagement.state
    now = clock.now()
    if action == "dispute":
        text = _text(reason, "reason", "争议原因", required=True, limit=2000)
        session.add(Dispute(engagement_id=engagement.id, raised_by=side, reason=text))
    if action == "resolve":
        text = _text(reason, "reason", "处理意见", required=True, limit=2000)
        for d in session.scalars(select(Dispute).where(Dispute.engagement_id == engagement.id,
                                                       Dispute.state == "open")):
            d.state, d.resolution, d.resolved_at = "resolved", text, now
    engagement.state = target
    if action == "start":
        engagement.started_at = now
    if action == "deliver":
        engagement.delivered_at = now
    session.flush()
    provider = session.get(Provider, engagement.provider_id)
    assert provider is not None
    for org_id in {engagement.org_id, provider.org_id} - {actor.org_id}:
        notify(session, org_id, "status", f"服务项目 #{engagement.id} 状态变更：{before} → {target}",
               f"/marketplace/engagements/{engagement.id}")
    audit.record(session, actor, f"marketplace.engagement.{action}", object_type="engagement",
                 object_id=engagement.id, before={"state": before}, after={"state": target},
                 detail={"reason": reason[:500]} if reason else None)
    return engagement


def rate(session: Session, actor: Actor, engagement_id: int, *, score: Any, comment: str = "") -> Rating:
    engagement = get_engagement(session, actor, engagement_id)
    side = side_of(session, actor, engagement)
    if side not in ("enterprise", "provider"):
        raise Forbidden("只有项目双方可以评价")
    if engagement.state not in ("delivered", "completed"):
        raise ValidationFailed("服务尚未交付，不能评价", [FieldError("score", "服务交付后才能评价")])
    try:
        value = int(str(score).strip())
        if not 1 <= value <= 5:
            raise ValueError
    except ValueError:
        raise ValidationFailed("评分有误", [FieldError("score", "评分应为 1 到 5 分")]) from None
    note = _text(comment, "comment", "评价", limit=1000)
    if session.scalar(select(Rating.id).where(Rating.engagement_id == engagement.id, Rating.side == side)):
        raise Conflict("已评价过该服务项目", [FieldError("score", "每方只能评价一次")])
    rating = Rating(engagement_id=engagement.id, side=side, score=value, comment=note)
    session.add(rating)
    session.flush()
    sides = set(session.scalars(select(Rating.side).where(Rating.engagement_id == engagement.id)))
    if sides == {"enterprise", "provider"}:
        engagement.state = "completed"
        engagement.completed_at = clock.now()
    audit.record(session, actor, "marketplace.engagement.rate", object_type="engagement", object_id=engagement.id,
                 after={"side": side, "score": value, "state": engagement.state})
    return rating


def ratings_of(session: Session, engagement_id: int) -> list[Rating]:
    return list(session.scalars(select(Rating).where(Rating.engagement_id == engagement_id).order_by(Rating.id)))


def disputes_of(session: Session, engagement_id: int) -> list[Dispute]:
    return list(session.scalars(select(Dispute).where(Dispute.engagement_id == engagement_id).order_by(Dispute.id)))


def open_disputes(session: Session, actor: Actor) -> list[tuple[Dispute, Engagement]]:
    stmt = scope_engagements(select(Dispute, Engagement).join(Engagement, Engagement.id == Dispute.engagement_id),
                             session, actor).where(Dispute.state == "open").order_by(Dispute.id)
    return [(d, e) for d, e in session.execute(stmt).tuples()]


# ---------------------------------------------------------------- the center's figures

@dataclass
class Figures:
    key: str
    label: str
    demands: int = 0
    quotes: int = 0
    engagements: int = 0
    completed: int = 0
    volume: Money = ZERO
    response_hours: float | None = None
    satisfaction: float | None = None


def figures(session: Session, actor: Actor, by: str) -> list[Figures]:
    """Volumes, response times and satisfaction per category (``by="category"``) or county (``"county"``),
    within the actor's scope."""
    d_col = Demand.category if by == "category" else Demand.division_code
    e_col = Engagement.category if by == "category" else Engagement.division_code
    labels = {k: v[0] for k, v in CATEGORIES.items()} if by == "category" else dict(JURISDICTIONS)
    rows = {k: Figures(k, v) for k, v in labels.items()}

    def row(key: str) -> Figures:
        return rows.setdefault(key, Figures(key, key))

    demands = scope_demands(select(d_col, func.count()).select_from(Demand), session, actor).group_by(d_col)
    for key, n in session.execute(demands).tuples():
        row(key).demands = n
    quotes = scope_demands(select(d_col, func.count(), func.avg(Quote.response_hours))
                           .select_from(Quote).join(Demand, Demand.id == Quote.demand_id), session, actor)
    for key, n, hours in session.execute(quotes.group_by(d_col)).tuples():
        row(key).quotes, row(key).response_hours = n, float(hours) if hours is not None else None
    engagements = scope_engagements(
        select(e_col, func.count(), func.sum(Engagement.amount),
               func.sum(case((Engagement.state == "completed", 1), else_=0)))
        .select_from(Engagement), session, actor).group_by(e_col)
    for key, n, volume, done in session.execute(engagements).tuples():
        r = row(key)
        r.engagements, r.volume, r.completed = n, volume if isinstance(volume, Money) else ZERO, int(done or 0)
    satisfaction = scope_engagements(select(e_col, func.avg(Rating.score)).select_from(Rating)
                                     .join(Engagement, Engagement.id == Rating.engagement_id)
                                     .where(Rating.side == "enterprise"), session, actor).group_by(e_col)
    for key, avg in session.execute(satisfaction).tuples():
        row(key).satisfaction = float(avg) if avg is not None else None
    return list(rows.values())


FIGURE_HEADERS = ["维度", "名称", "需求数", "报价数", "成交项目数", "已完成项目数", "成交金额（元）",
                  "平均响应时间（小时）", "企业满意度（5分制）"]


def figure_rows(session: Session, actor: Actor) -> list[list[Any]]:
    out: list[list[Any]] = []
    for by, label in (("category", "服务类别"), ("county", "县（市、区）")):
        for f in figures(session, actor, by):
            out.append([label, f.label, f.demands, f.quotes, f.engagements, f.completed, f.volume.as_yuan,
                        round(f.response_hours, 1) if f.response_hours is not None else "",
                        round(f.satisfaction, 2) if f.satisfaction is not None else ""])
    audit.record(session, actor, "marketplace.figures.export", object_type="figures", detail={"rows": len(out)})
    return out


def pending_providers(session: Session) -> list[tuple[Provider, Organisation]]:
    stmt = (select(Provider, Organisation).join(Organisation, Organisation.id == Provider.org_id)
            .where(Provider.state == "pending").order_by(Provider.id))
    return [(p, o) for p, o in session.execute(stmt).tuples()]


def organisation_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
                .tuples().all())


def provider_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Provider.id, Provider.display_name).where(Provider.id.in_(ids)))
                .tuples().all())


def invited_ids(session: Session, demand_id: int) -> set[int]:
    return set(session.scalars(select(Invitation.provider_id).where(Invitation.demand_id == demand_id)))

