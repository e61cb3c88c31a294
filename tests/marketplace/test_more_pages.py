"""Every marketplace page renders in Chinese and English for the roles that use it; demand attachments reach only
those who may see the demand; enterprise pages; the center's web import is all-or-nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lishui.core import clock
from lishui.core.actor import system_actor
from lishui.core.tabular import write_xlsx
from lishui.marketplace import imports, service, showcase
from lishui.marketplace.models import Offering
from tests.factories import csrf, login


@pytest.fixture
def scene(db, market):
    ent = market.enterprise(division="331127", name="景宁惠明茶业有限公司")
    provider = market.provider(name="瓯江代运营")
    demand_id = market.demand(ent)
    with db.unit_of_work() as session:
        quote = service.submit_quote(session, provider.actor, demand_id, amount="100", days=3)
        engagement = service.accept_quote(session, ent.actor, quote.id)
        product = showcase.create_product(session, ent.actor, showcase.ProductInput(
            name="景宁惠明茶", category="tea", brand="惠明", links=[("jd", "https://shop.example.cn/tea")]))
        collection = showcase.create_collection(session, system_actor("t"), title="春茶专题", product_ids=[product.id])
    return {"ent": ent, "provider": provider, "demand": demand_id, "engagement": engagement.id,
            "product": product.id, "collection": collection.id}


def test_every_page_renders_in_both_languages(app, factory, scene):
    from fastapi.testclient import TestClient

    public = ["/showcase", f"/showcase/product?id={scene['product']}", f"/showcase/collection?id={scene['collection']}",
              f"/showcase/enterprise?id={scene['ent'].account.org_id}", "/providers", "/policy-lookup?q=物流",
              f"/providers/detail?id={scene['provider'].provider_id}"]
    demand, engagement = f"/marketplace/demands/{scene['demand']}", f"/marketplace/engagements/{scene['engagement']}"
    by_role = [
        (scene["ent"].account, ["/marketplace/demands", "/marketplace/demands/new", demand, "/marketplace/engagements",
                                engagement, "/marketplace/showcase", "/marketplace/notifications"]),
        (scene["provider"].account, ["/marketplace/demands", demand, "/marketplace/provider", engagement]),
        (factory.account("city_officer"), ["/marketplace/center", "/marketplace/center/figures",
                                           "/marketplace/center/import?kind=products", demand]),
    ]
    for lang in ("zh", "en"):
        with TestClient(app, base_url="http://127.0.0.1") as anonymous:
            anonymous.cookies.set("lang", lang)
            for path in public:
                resp = anonymous.get(path)
                assert resp.status_code == 200, (lang, path, resp.text[:300])
        for account, paths in by_role:
            with TestClient(app, base_url="http://127.0.0.1") as client:
                login(client, account)
                client.cookies.set("lang", lang)
                for path in paths:
                    resp = client.get(path)
                    assert resp.status_code == 200, (lang, path, resp.text[:300])
                    assert ('<html lang="en">' in resp.text) == (lang == "en")


def test_an_attachment_reaches_only_those_who_may_see_the_demand(app, client, db, market, settings):
    from fastapi.testclient import TestClient

    ent = market.enterprise()
    invited, outsider = market.provider(name="受邀"), market.provider(name="局外")
    login(client, ent.account)
    resp = client.post("/marketplace/demands/new", data={
        "csrf_token": csrf(client, "/marketplace/demands/new"), "category": "design", "title": "包装设计",
        "budget": "3000", "deadline": (clock.today() + timedelta(days=5)).isoformat(), "is_private": "1",
        "invite": str(invited.provider_id)}, files={"attachment": ("需求.pdf", b"%PDF-1.4 brief", "application/pdf")},
        follow_redirects=False)
    assert resp.status_code == 303, resp.text[:300]
    url = resp.headers["location"].split("?")[0] + "/attachment"
    got = client.get(url)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 brief"
    assert got.headers["content-type"] == "application/pdf" and "attachment;" in got.headers["content-disposition"]
    with TestClient(app, base_url="http://127.0.0.1") as c_in, TestClient(app, base_url="http://127.0.0.1") as c_out:
        assert login(c_in, invited.account).get(url).status_code == 200
        assert login(c_out, outsider.account).get(url).status_code == 404
    refused = client.post("/marketplace/demands/new", data={
        "csrf_token": csrf(client, "/marketplace/demands/new"), "category": "design", "title": "x", "budget": "1",
        "deadline": clock.today().isoformat()}, files={"attachment": ("a.exe", b"MZ\x90\x00\x03", "text/plain")})
    assert refused.status_code == 415


def test_the_center_imports_providers_on_the_web_all_or_nothing(client, db, factory):
    from lishui.registry import Organisation

    org_id = factory.org(kind="service_provider")
    with db.unit_of_work() as session:
        code = session.get(Organisation, org_id).uscc
    login(client, factory.account("city_officer"))
    token = csrf(client, "/marketplace/center/import")
    row = [code, "丽水云创", "店铺代运营", "5", "天猫代运营", "店铺代运营", "", "10000", "50000", "", "", "否", "", ""]
    bad = write_xlsx(imports.PROVIDER_COLUMNS, [row, [*row[:7], "abc", *row[8:]]])
    resp = client.post("/marketplace/center/import?kind=providers", data={"csrf_token": token},
                       files={"file": ("p.xlsx", bad)})
    assert resp.status_code == 422 and "最低报价（元）" in resp.text and 'id="error-table"' in resp.text
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Offering)) == 0
    resp = client.post("/marketplace/center/import?kind=providers", data={"csrf_token": token},
                       files={"file": ("p.xlsx", write_xlsx(imports.PROVIDER_COLUMNS, [row]))})
    assert resp.status_code == 200 and 'id="import-ok"' in resp.text
    assert "丽水云创" in client.get("/providers").text
