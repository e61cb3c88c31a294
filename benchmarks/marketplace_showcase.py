"""Showcase search over 200,000 products on PostgreSQL (issue 6, goal < 100 ms).

    python benchmarks/marketplace_showcase.py [--products 200000] [--database-url postgresql+psycopg://...]

Fills a fresh database with products of 5,000 enterprises over the nine counties and the zone (names, brands,
certifications and descriptions from what Lishui sells), with their search n-grams as the service writes them,
runs ANALYZE, then times ``showcase.search_products`` — the first page of 24 and the total count, as the page
shows them — for keyword searches of one to six characters, with and without the county and category filters.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _market_db import DEFAULT_URL, fresh_database, make_orgs
from sqlalchemy import insert, text

from lishui.marketplace import showcase
from lishui.marketplace.models import Product
from lishui.marketplace.service import JURISDICTIONS
from lishui.marketplace.vocab import PRODUCT_CATEGORIES

GOODS = {
    "celadon": ["青瓷茶具", "青瓷花瓶", "哥窑茶杯", "弟窑盘子", "龙泉宝剑"],
    "mushroom": ["椴木香菇", "黑木耳", "灵芝", "猴头菇"],
    "tea": ["惠明茶", "银猴茶", "白茶", "红茶", "菊米"], "food": ["烧饼", "笋干", "土蜂蜜", "年糕", "番薯干"],
    "agri": ["杨梅", "茭白", "高山蔬菜", "甜桔柚", "雪梨"], "craft": ["竹编", "石雕", "畲族彩带", "木雕"],
    "toys": ["木制积木", "拼图", "童车", "过家家玩具"], "herbal": ["铁皮石斛", "覆盆子", "三叶青"],
    "industry": ["合成革", "户外用品", "不锈钢保温杯", "阀门"],
}
PLACES = ["龙泉", "庆元", "缙云", "景宁", "云和", "遂昌", "松阳", "青田", "莲都", "丽水"]
TAGS = ["地理标志产品", "绿色食品", "有机认证", "丽水山耕", "非遗", ""]


def populate(db, count: int, rng: random.Random) -> None:
    enterprises = make_orgs(db, 5000, "enterprise", rng, "展示企业")
    counties = sorted(JURISDICTIONS)
    categories = list(PRODUCT_CATEGORIES)
    with db.unit_of_work() as session:
        batch = []
        for i in range(count):
            category = rng.choice(categories)
            good = rng.choice(GOODS[category])
            place = rng.choice(PLACES)
            name = f"{place}{good}{rng.choice(['礼盒', '家庭装', '精品', '特级', ''])}{i % 97}号"
            brand = f"{place}{rng.choice(['山耕', '瓯江', '秀山', '云和', '仙都'])}"
            cert = rng.choice(TAGS)
            description = f"产自{place}的{good}，{rng.choice(['手工制作', '高山种植', '传统工艺', '当季新鲜'])}"
            batch.append({"org_id": enterprises[i % len(enterprises)], "name": name, "category": category,
                          "division_code": rng.choice(counties), "description": description, "certifications": cert,
                          "search_tokens": showcase.search_tokens(name, description, brand, cert)})
            if len(batch) == 5000:
                session.execute(insert(Product), batch)
                batch = []
        if batch:
            session.execute(insert(Product), batch)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE mp_products"))
            conn.commit()


QUERIES = [
    ("青瓷", "", ""), ("香菇", "", ""), ("龙泉青瓷茶具", "", ""), ("惠明茶", "331127", ""), ("茶", "", "tea"),
    ("地理标志", "", ""), ("烧饼礼盒", "331122", "food"), ("不存在的东西", "", ""), ("", "331181", "celadon"),
    ("", "", ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(5)
    with fresh_database(args.database_url) as db:
        started = time.perf_counter()
        populate(db, args.products, rng)
        print(f"database: {db.engine.dialect.name}; {args.products:,} products made in "
              f"{time.perf_counter() - started:.1f} s")
        every = []
        with db.unit_of_work() as session:
            for q, county, category in QUERIES:
                f = showcase.ProductFilter(q=q, county=county, category=category)
                showcase.search_products(session, f)  # warm the plan cache and the buffers
                timings = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    items, total = showcase.search_products(session, f)
                    timings.append((time.perf_counter() - t0) * 1000)
                every += timings
                label = " ".join(x for x in (f"q={q!r}" if q else "", f"county={county}" if county else "",
                                            f"category={category}" if category else "") if x) or "(no filter)"
                print(f"  {label:<40} {total:>7,} found, page of {len(items):>2}: median "
                      f"{statistics.median(timings):6.1f} ms, max {max(timings):6.1f} ms")
        every.sort()
        print(f"showcase search over {args.products:,} products, {len(every)} searches: median "
              f"{statistics.median(every):.1f} ms, p95 {every[int(len(every) * 0.95) - 1]:.1f} ms, "
              f"max {every[-1]:.1f} ms  (goal < 100 ms)")


if __name__ == "__main__":
    main()
