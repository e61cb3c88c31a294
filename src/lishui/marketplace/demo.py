"""Demo data for the public service platform: verified providers with offerings, enterprise demands with quotes
and engagements at every stage, ratings, a dispute, showcase products with shop links and two featured
collections. Deterministic (seeded) and idempotent (nothing is written when providers exist)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.marketplace import service, showcase
from lishui.marketplace.models import Provider
from lishui.registry import Organisation

OFFERINGS = {
    "store_operation": [("天猫/淘宝店铺代运营", "店铺装修、商品上架、日常运营、大促活动策划，按月服务", 8000, 60000),
                        ("京东店铺托管运营", "京东自营及POP店铺运营托管，数据分析与推广", 10000, 80000)],
    "design": [("产品主图与详情页设计", "主图、详情页、店铺首页视觉设计，三个工作日交付", 800, 6000)],
    "photography": [("农产品与工艺品摄影", "棚拍与实景拍摄，青瓷、茶叶、香菇等产品摄影经验丰富", 1500, 12000)],
    "marketing": [("直播带货与短视频推广", "抖音、快手直播运营，短视频内容策划与投放", 5000, 50000)],
    "software": [("小程序商城开发", "微信小程序商城、分销系统、订单对接ERP", 20000, 150000)],
    "logistics": [("农产品冷链仓配", "丽水全市冷链仓储与配送，对接主流快递", 3000, 30000)],
    "finance": [("电商贷款与供应链金融咨询", "协助对接银行信用贷款与贴息政策", 0, 5000)],
    "training": [("电子商务实操培训", "网店开设、运营、直播技能培训，政府购买服务项目", 0, 0)],
}
DEMANDS = [
    ("store_operation", "龙泉青瓷天猫旗舰店寻找代运营团队", "主营龙泉青瓷茶具，希望提升天猫店铺销量", 40000),
    ("photography", "庆元香菇产品拍摄", "需要拍摄香菇礼盒的主图和详情页素材", 5000),
    ("design", "缙云烧饼礼盒包装与详情页设计", "新品上线，需要详情页和包装设计", 4000),
    ("marketing", "景宁惠明茶抖音直播推广", "春茶上市，希望通过直播带货推广", 20000),
    ("software", "云和木制玩具小程序商城", "开发微信小程序商城并对接现有库存系统", 60000),
    ("logistics", "遂昌菊米冷链配送", "夏季需要冷链仓储与配送服务", 10000),
    ("training", "员工电商运营培训", "十名员工参加网店运营培训", 0),
    ("store_operation", "松阳茶叶京东店铺托管", "京东店铺开设与运营托管", 30000),
]
PRODUCTS = {
    "331181": [("龙泉青瓷梅子青茶具", "celadon", "龙泉窑", "地理标志产品"), ("龙泉宝剑", "celadon", "龙泉剑", "")],
    "331126": [("庆元椴木香菇", "mushroom", "庆元香菇", "地理标志产品、绿色食品"),
               ("廊桥竹编收纳篮", "craft", "", "")],
    "331122": [("缙云烧饼", "food", "缙云烧饼", "缙云烧饼品牌认证"), ("缙云茭白", "agri", "", "绿色食品")],
    "331127": [("景宁惠明茶", "tea", "惠明", "地理标志产品"), ("畲族彩带", "craft", "", "")],
    "331125": [("云和木制积木", "toys", "云和木玩", "")], "331123": [("遂昌菊米", "tea", "", "")],
    "331124": [("松阳银猴茶", "tea", "松阳银猴", "地理标志产品")], "331121": [("青田杨梅", "agri", "", "")],
    "331102": [("莲都碧湖西瓜", "agri", "", "")], "331199": [("丽水山耕礼盒", "food", "丽水山耕", "丽水山耕品牌")],
}


@dataclass
class DemoMarket:
    providers: int = 0
    demands: int = 0
    products: int = 0


def _as(org: Organisation, role: str) -> Actor:
    return Actor(user_id=None, username="demo", display_name="演示数据", role=role, org_id=org.id,
                 permissions=frozenset({"*"}), scope="org")


def generate(session: Session, actor: Actor, *, seed: int = 20171) -> DemoMarket:
    out = DemoMarket()
    if session.scalar(select(Provider.id).limit(1)) is not None:
        return out
    rng = random.Random(seed)
    orgs = list(session.scalars(select(Organisation).where(Organisation.kind.in_(
        ("service_provider", "training", "logistics", "enterprise"))).order_by(Organisation.id)))
    by_kind: dict[str, list[Organisation]] = {}
    for org in orgs:
        by_kind.setdefault(org.kind, []).append(org)
    # Providers: every demo provider firm, plus training and logistics firms for their categories.
    categories = list(OFFERINGS)
    firms = [(o, categories[i % len(categories)]) for i, o in enumerate(by_kind.get("service_provider", []))]
    firms += [(o, "training") for o in by_kind.get("training", [])[:3]]
    firms += [(o, "logistics") for o in by_kind.get("logistics", [])[:3]]
    providers: list[tuple[Organisation, Actor, int]] = []
    for index, (org, category) in enumerate(firms):
        provider_actor = _as(org, "provider_user")
        provider = service.apply_as_provider(session, provider_actor, display_name=org.name, kind=category,
                                             introduction=f"{org.name}，专注{category}服务",
                                             documents="营业执照、案例材料",
                                             capacity=rng.randint(3, 10))
        if index % 7 == 6:
            continue  # left pending: the center's review queue has something to show
        service.review_provider(session, actor, provider.id, approve=True)
        for title, description, low, high in OFFERINGS[category]:
            counties = "" if rng.random() < 0.5 else " ".join(rng.sample(sorted(service.JURISDICTIONS), 3))
            service.create_offering(session, provider_actor, category=category, title=title,
                                    description=description, price_min=str(low), price_max=str(high),
                                    counties=counties, government_purchased=category == "training",
                                    contract_no="LSGM-2017-0" + str(10 + index) if category == "training" else "",
                                    budget_line="电子商务公共服务购买" if category == "training" else "")
        providers.append((org, provider_actor, provider.id))
        out.providers += 1
    enterprises = by_kind.get("enterprise", [])[:40]
    today = clock.today()
    for index, org in enumerate(enterprises[:24]):
        category, title, description, budget = DEMANDS[index % len(DEMANDS)]
        ent_actor = _as(org, "enterprise_user")
        demand = service.create_demand(session, ent_actor, category=category, title=title,
                                       description=description, budget=str(budget),
                                       deadline=today + timedelta(days=rng.randint(10, 60)))
        out.demands += 1
        bidders = [p for p in providers if p[0].id != org.id]
        rng.shuffle(bidders)
        quotes = [service.submit_quote(session, p_actor, demand.id,
                                       amount=str(max(0, budget - rng.randint(0, 5) * 500)), days=rng.randint(5, 60),
                                       message="可按需求排期，提供案例")
                  for _, p_actor, _pid in bidders[:rng.randint(0, 3)]]
        stage = index % 6
        if not quotes or stage == 0:
            continue
        engagement = service.accept_quote(session, ent_actor, quotes[0].id)
        provider_actor = next(a for _, a, pid in providers if pid == engagement.provider_id)
        if stage >= 2:
            service.advance(session, provider_actor, engagement.id, "start")
        if stage == 3:
            service.advance(session, ent_actor, engagement.id, "dispute", "交付时间延误")
            continue
        if stage >= 4:
            service.advance(session, provider_actor, engagement.id, "deliver")
            service.rate(session, ent_actor, engagement.id, score=rng.choice((4, 5, 5, 3)), comment="服务专业")
        if stage == 5:
            service.rate(session, provider_actor, engagement.id, score=5, comment="合作顺畅")
    product_ids = []
    for index, org in enumerate(enterprises):
        options = PRODUCTS.get(org.division_code) or PRODUCTS["331102"]
        name, category, brand, cert = options[index % len(options)]
        platform = rng.choice(("taobao", "tmall", "jd", "pdd"))
        product = showcase.create_product(session, _as(org, "enterprise_user"), showcase.ProductInput(
            name=name, category=category, brand=brand, certifications=cert,
            description=f"{org.name}出品，产自{service.JURISDICTIONS.get(org.division_code, '丽水')}",
            links=[(platform, f"https://shop.example.cn/{platform}/{org.id}")]))
        product_ids.append(product.id)
        out.products += 1
    if product_ids:
        showcase.create_collection(session, actor, title="丽水山耕 · 地理标志好物",
                                   description="丽水九县（市、区）的地理标志农产品", product_ids=product_ids[:8])
        showcase.create_collection(session, actor, title="匠心手作", description="青瓷、宝剑、竹编、木玩",
                                   product_ids=product_ids[8:14] or product_ids[:2])
    return out
