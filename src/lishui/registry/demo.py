"""A deterministic, believable Lishui: organisations over counties and townships, parks, people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core.actor import Actor
from lishui.core.ids import USCC_ALPHABET, resident_check_char, uscc_check_char
from lishui.registry import service
from lishui.registry.models import Division, Organisation
from lishui.registry.schemas import OrganisationCreate
from lishui.registry.vocab import CITY_CODE, COUNTIES, ZONE_CODE

SHORT = {"331102": "莲都", "331121": "青田", "331122": "缙云", "331123": "遂昌", "331124": "松阳", "331125": "云和",
         "331126": "庆元", "331127": "景宁", "331181": "龙泉", ZONE_CODE: "丽水"}
BRAND = list("瓯江山水绿谷浙南秀丽云峰瑞丰恒泰鑫源华茂德诚嘉禾兴旺宏远天成金鼎银河汇通百川聚贤农家畲乡古堰仙都")
# What each county is known for: what its enterprises sell.
PRODUCTS = {
    "331102": ["农产品", "食品", "服饰", "家居用品"], "331121": ["石雕", "杨梅", "进出口", "鞋业"],
    "331122": ["烧饼", "机械", "户外用品", "茭白"], "331123": ["竹炭", "茶叶", "菊米", "旅游"],
    "331124": ["茶叶", "中药材", "食用菌", "传统民居"], "331125": ["木制玩具", "雪梨", "童车", "文创"],
    "331126": ["香菇", "廊桥竹编", "甜桔柚", "生物科技"], "331127": ["惠明茶", "畲族服饰", "高山蔬菜", "民宿"],
    "331181": ["青瓷", "宝剑", "竹木", "灵芝"], ZONE_CODE: ["合成革", "半导体", "智能装备", "电子商务"],
}
SUFFIX = ["电子商务有限公司", "贸易有限公司", "网络科技有限公司", "农业开发有限公司", "实业有限公司", "商贸有限公司"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高叶潘雷蓝钟")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红海燕")
BANKS = ["丽水农商银行", "中国工商银行丽水分行", "中国农业银行丽水分行", "中国银行丽水分行", "中国建设银行丽水分行",
         "浙江泰隆商业银行丽水分行", "丽水市民生村镇银行"]

SERVICE_KINDS = [("park_operator", "电商产业园运营管理有限公司"), ("station_operator", "农村电子商务服务有限公司"),
                 ("service_center", "电子商务公共服务中心"), ("logistics", "快递服务有限公司"),
                 ("warehouse_center", "仓储配送有限公司"), ("training", "电子商务培训学校"),
                 ("service_provider", "电商代运营服务有限公司")]


def make_uscc(rng: random.Random, division: str, kind_digits: str = "91") -> str:
    body = kind_digits + division + "".join(rng.choice(USCC_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY")
                                            for _ in range(9))
    return body + uscc_check_char(body)


def make_resident_id(rng: random.Random, division: str) -> str:
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 40))
    body = division + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return body + resident_check_char(body)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@dataclass
class DemoRegistry:
    city_bureau: int = 0
    county_bureaus: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, list[int]] = field(default_factory=dict)


def _org(rng: random.Random, used: set[str], name: str, kind: str, division: str, township: str | None,
         tags: list[str], uscc_kind: str = "91") -> OrganisationCreate:
    code = make_uscc(rng, division if division != ZONE_CODE else CITY_CODE, uscc_kind)
    while code in used:
        code = make_uscc(rng, division if division != ZONE_CODE else CITY_CODE, uscc_kind)
    used.add(code)
    return OrganisationCreate(
        uscc=code, name=name, kind=kind, division_code=division, township_code=township,
        address=f"丽水市{SHORT.get(division, '')}{rng.randrange(1, 300)}号", legal_representative=person_name(rng),
        contact_name=person_name(rng), contact_phone=f"13{rng.randrange(100000000, 999999999)}",
        bank_name=rng.choice(BANKS), bank_account="6" + "".join(str(rng.randrange(10)) for _ in range(18)),
        established_on=date(2005, 1, 1) + timedelta(days=rng.randrange(365 * 12)), tags=tags,
    )


def generate(session: Session, actor: Actor, *, enterprises: int = 3000, seed: int = 20151) -> DemoRegistry:
    rng = random.Random(seed)
    towns: dict[str, list[str]] = {}
    township_rows = select(Division.code, Division.parent_code).where(Division.level == "township")
    for code, parent in session.execute(township_rows):
        towns.setdefault(parent, []).append(code)
    used: set[str] = set()
    items: list[OrganisationCreate] = []
    out = DemoRegistry()
    # Government units: the city commerce bureau, finance bureau and each county's commerce bureau.
    items.append(_org(rng, used, "丽水市商务局", "government", CITY_CODE, None, [], "11"))
    items.append(_org(rng, used, "丽水市财政局", "government", CITY_CODE, None, [], "11"))
    for code, name in COUNTIES.items():
        items.append(_org(rng, used, f"{name}商务局", "government", code, None, [], "11"))
    items.append(_org(rng, used, "丽水经济技术开发区管理委员会经济发展局", "government", ZONE_CODE, None, [], "11"))
    jurisdictions = [*COUNTIES, ZONE_CODE]
    weights = [22, 12, 16, 7, 7, 5, 5, 4, 12, 10]
    for kind, suffix in SERVICE_KINDS:
        for division in jurisdictions:
            if kind in ("service_center", "warehouse_center") or rng.random() < 0.8:
                town = rng.choice(towns.get(division, [None]))
                items.append(_org(rng, used, f"{SHORT[division]}{rng.choice(BRAND)}{rng.choice(BRAND)}{suffix}",
                                  kind, division, town, ["ecommerce_service"]))
    for bank in BANKS:
        items.append(_org(rng, used, bank, "bank", CITY_CODE, None, []))
    names: set[str] = {i.name for i in items}
    for _ in range(enterprises):
        division = rng.choices(jurisdictions, weights)[0]
        while True:
            name = (f"{SHORT[division]}{rng.choice(BRAND)}{rng.choice(BRAND)}{rng.choice(PRODUCTS[division])}"
                    f"{rng.choice(SUFFIX)}")
            if name not in names:
                names.add(name)
                break
        tags = ["ecommerce_trading"] if rng.random() < 0.7 else ["traditional_commerce"]
        if rng.random() < 0.35:
            tags.append("manufacturer")
        if rng.random() < 0.08:
            tags.append("cross_border")
        if rng.random() < 0.12:
            tags.append("above_size")
        if rng.random() < 0.4:
            tags.append("in_commerce_stats")
        town = rng.choice(towns.get(division, [None]))
        items.append(_org(rng, used, name, "enterprise", division, town, tags))
    service._bulk_insert(session, items)
    ids = dict(session.execute(select(Organisation.name, Organisation.id)).tuples().all())
    kinds = dict(session.execute(select(Organisation.id, Organisation.kind)).tuples().all())
    out.city_bureau = ids["丽水市商务局"]
    for code, name in COUNTIES.items():
        out.county_bureaus[code] = ids[f"{name}商务局"]
    out.county_bureaus[ZONE_CODE] = ids["丽水经济技术开发区管理委员会经济发展局"]
    for org_id, kind in sorted(kinds.items()):
        out.by_kind.setdefault(kind, []).append(org_id)
    _parks(session, actor, rng, out)
    _people(session, actor, rng, out)
    return out


def _parks(session: Session, actor: Actor, rng: random.Random, demo: DemoRegistry) -> None:
    operators = demo.by_kind.get("park_operator", [])
    enterprises = demo.by_kind.get("enterprise", [])
    division_of = dict(session.execute(
        select(Organisation.id, Organisation.division_code).where(Organisation.kind == "enterprise")
    ).tuples().all())
    park_names = ["丽水电子商务产业园", "缙云电商创业园", "龙泉青瓷宝剑电商园", "青田侨乡进口商品电商园",
                  "遂昌电子商务产业园", "松阳茶叶电商园"]
    for i, name in enumerate(park_names):
        operator_id = operators[i % len(operators)]
        operator = session.get(Organisation, operator_id)
        assert operator is not None
        park = service.create_park(session, actor, name=name, operator_org_id=operator_id,
                                   division_code=operator.division_code,
                                   total_area_m2=Decimal(rng.randrange(8000, 60000)),
                                   address=f"{name}园区路{i + 1}号", opened_on=date(2013 + i % 3, 3 + i, 1))
        local = [e for e in enterprises if division_of[e] == operator.division_code]
        for org_id in rng.sample(local or enterprises, min(len(local or enterprises), rng.randrange(10, 40))):
            service.add_tenancy(session, actor, park.id, org_id=org_id,
                                move_in_date=date(2015, 1, 1) + timedelta(days=rng.randrange(1200)),
                                leased_area_m2=Decimal(rng.randrange(50, 2000)))


def _people(session: Session, actor: Actor, rng: random.Random, demo: DemoRegistry, count: int = 200) -> None:
    employers = demo.by_kind.get("station_operator", []) + demo.by_kind.get("enterprise", [])[:100]
    divisions = list(COUNTIES)
    for _ in range(count):
        division = rng.choice(divisions)
        service.create_person(session, actor, name=person_name(rng), id_number=make_resident_id(rng, division),
                              division_code=division, org_id=rng.choice(employers),
                              phone=f"13{rng.randrange(100000000, 999999999)}")
