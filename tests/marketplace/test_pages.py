"""Marketplace pages through the app: the public showcase, directory and policy lookup; the enterprise → provider
journey over forms; private demands hidden from providers; escaping; uploads checked; the center's export."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from lishui.core import clock
from lishui.marketplace import service, showcase
from lishui.marketplace.models import Demand, LinkClick, Product
from lishui.marketplace.models import Image as ImageRow
from tests.factories import csrf, login


def png(width: int = 2400, height: int = 1600) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(buf, format="PNG")
    return buf.getvalue()


def product(db, org_id: int, name: str = "龙泉青瓷茶具", **kw) -> int:
    from lishui.core.actor import system_actor

    with db.unit_of_work() as session:
        p = showcase.create_product(session, system_actor("t"), showcase.ProductInput(
            name=name, category=kw.get("category", "celadon"), description=kw.get("description", "手工拉坯"),
            certifications="地理标志产品", brand="龙泉窑", links=[("tmall", "https://shop.example.cn/celadon")]),
            org_id=org_id)
        return p.id


def test_public_pages_answer_anonymous_visitors(client, db, market):
    ent = market.enterprise(division="331181", name="龙泉青瓷有限公司")
    pid = product(db, ent.account.org_id)
    product(db, ent.account.org_id, name="庆元香菇", category="mushroom", description="椴木香菇")
    shown = market.provider(name="丽水代运营", counties="331181 331126")
    hidden = market.provider(name="未认证服务商", verify=False)
    page = client.get("/showcase", params={"q": "青瓷"})
    assert page.status_code == 200 and "龙泉青瓷茶具" in page.text and "庆元香菇" not in page.text
    assert "龙泉市" in page.text
    page = client.get("/showcase", params={"county": "331181", "category": "mushroom"})
    assert "庆元香菇" in page.text and "龙泉青瓷茶具" not in page.text
    detail = client.get("/showcase/product", params={"id": pid})
    assert detail.status_code == 200 and "地理标志产品" in detail.text and "/showcase/go?link=" in detail.text
    assert client.get("/showcase/product", params={"id": 999999}).status_code == 404
    directory = client.get("/providers")
    assert "丽水代运营" in directory.text and "未认证服务商" not in directory.text
    detail = client.get("/providers/detail", params={"id": shown.provider_id})
    assert detail.status_code == 200 and "庆元县、龙泉市" in detail.text and "天猫店铺代运营" in detail.text
    assert client.get("/providers/detail", params={"id": hidden.provider_id}).status_code == 404
    stations = client.get("/policy-lookup", params={"kind": "station_operator"})
    assert "kind=station_operator" in stations.text and "M06" in stations.text and "M21" not in stations.text
    lookup = client.get("/policy-lookup", params={"q": "园区"})
    assert lookup.status_code == 200 and "/calculator?" in lookup.text and "谁可以申请" in lookup.text


def test_a_click_out_is_counted_for_the_enterprise(client, db, market):
    ent = market.enterprise()
    pid = product(db, ent.account.org_id)
    with db.unit_of_work() as session:
        link_id = showcase.links_of(session, pid)[0].id
    resp = client.get("/showcase/go", params={"link": link_id}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "https://shop.example.cn/celadon"
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(LinkClick)) == 1
    login(client, ent.account)
    mine = client.get("/marketplace/showcase")
    assert 'id="total-clicks">1<' in mine.text


def test_enterprise_posts_provider_quotes_enterprise_accepts_over_forms(app, db, market):
    from fastapi.testclient import TestClient

    provider = market.provider(name="瓯江代运营")
    ent = market.enterprise()
    deadline = (clock.today() + timedelta(days=20)).isoformat()
    with TestClient(app, base_url="http://127.0.0.1") as c_ent, TestClient(app, base_url="http://127.0.0.1") as c_pro:
        login(c_ent, ent.account)
        login(c_pro, provider.account)
        resp = c_ent.post("/marketplace/demands/new", data={
            "csrf_token": csrf(c_ent, "/marketplace/demands/new"), "category": "store_operation",
            "title": "<script>alert(1)</script>天猫店代运营", "description": "青瓷店铺", "budget": "30000",
            "deadline": deadline}, follow_redirects=False)
        assert resp.status_code == 303, resp.text[:500]
        demand_url = resp.headers["location"].split("?")[0]
        page = c_ent.get(demand_url)
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
        assert "瓯江代运营" in page.text  # the ranked list with reasons
        resp = c_pro.post(f"{demand_url}/quote", data={"csrf_token": csrf(c_pro, demand_url), "amount": "abc",
                                                        "days": "10"})
        assert resp.status_code == 422 and "不是有效金额" in resp.text
        resp = c_pro.post(f"{demand_url}/quote", data={"csrf_token": csrf(c_pro, demand_url), "amount": "28000",
                                                        "days": "30", "message": "三个月运营"},
                          follow_redirects=False)
        assert resp.status_code == 303
        page = c_ent.get(demand_url)
        assert "28,000.00" in page.text
        with db.unit_of_work() as session:
            quote_id = service.quotes_for(session, ent.actor, session.scalar(select(Demand)))[0].id
        resp = c_ent.post(f"/marketplace/quotes/{quote_id}/accept", data={"csrf_token": csrf(c_ent, demand_url)},
                          follow_redirects=False)
        assert resp.status_code == 303
        engagement_url = resp.headers["location"].split("?")[0]
        assert "服务中" not in c_pro.get(engagement_url).text
        for action in ("start", "deliver"):
            resp = c_pro.post(f"{engagement_url}/advance", data={"csrf_token": csrf(c_pro, engagement_url),
                                                                  "action": action}, follow_redirects=False)
            assert resp.status_code == 303
        resp = c_ent.post(f"{engagement_url}/rate", data={"csrf_token": csrf(c_ent, engagement_url), "score": "5",
                                                          "comment": "满意"}, follow_redirects=False)
        assert resp.status_code == 303
        assert "已交付" in c_ent.get(engagement_url).text
        notes = c_pro.get("/marketplace/notifications")
        assert "已被接受" in notes.text


def test_a_provider_cannot_open_a_private_demand_it_was_not_invited_to(client, db, market):
    ent = market.enterprise()
    invited = market.provider(name="受邀")
    outsider = market.provider(name="局外")
    demand_id = market.demand(ent, private=True, invite=[invited.provider_id], title="不公开的需求")
    login(client, outsider.account)
    assert client.get(f"/marketplace/demands/{demand_id}").status_code == 404
    assert "不公开的需求" not in client.get("/marketplace/demands").text
    resp = client.post(f"/marketplace/demands/{demand_id}/quote",
                       data={"csrf_token": csrf(client, "/marketplace/demands"), "amount": "1", "days": "1"},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert client.get(f"/api/v1/marketplace/demands/{demand_id}").status_code == 404


def test_a_bad_demand_form_keeps_nothing_and_names_the_fields(client, db, market):
    ent = market.enterprise()
    login(client, ent.account)
    resp = client.post("/marketplace/demands/new", data={
        "csrf_token": csrf(client, "/marketplace/demands/new"), "category": "design", "title": "主图",
        "budget": "-5", "deadline": "2001-01-01"})
    assert resp.status_code == 422
    assert "预算不能小于零" in resp.text and "截止日期不能早于今天" in resp.text
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Demand)) == 0


def test_photos_are_checked_resized_and_served(client, db, market, settings):
    ent = market.enterprise()
    login(client, ent.account)
    token = csrf(client, "/marketplace/showcase")
    resp = client.post("/marketplace/showcase/products", data={"csrf_token": token, "name": "缙云烧饼",
                                                                "category": "food"},
                       files={"image": ("x.png", b"%PDF-1.4 not an image", "image/png")})
    assert resp.status_code == 415 and "图片" in resp.text
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (6 * 1024 * 1024)
    resp = client.post("/marketplace/showcase/products", data={"csrf_token": token, "name": "缙云烧饼",
                                                                "category": "food"}, files={"image": ("b.png", big)})
    assert resp.status_code == 413
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0
        assert session.scalar(select(func.count()).select_from(ImageRow)) == 0
    resp = client.post("/marketplace/showcase/products", data={"csrf_token": token, "name": "缙云烧饼",
                                                                "category": "food", "link_platform": "taobao",
                                                                "link_url": "https://shop.example.cn/1"},
                       files={"image": ("ok.png", png())}, follow_redirects=False)
    assert resp.status_code == 303
    with db.unit_of_work() as session:
        img = session.scalars(select(ImageRow)).one()
        assert (img.width, img.height) == (1200, 800)
        stored = settings.upload_dir / "showcase" / img.stored_name
        assert stored.is_file() and not str(stored).startswith(str(settings.upload_dir / ".." / "static"))
        image_id = img.id
    served = client.get("/showcase/image", params={"id": image_id})
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == (1200, 800)


def test_an_offering_without_category_gets_a_form_error(client, market):
    provider = market.provider()
    login(client, provider.account)
    resp = client.post("/marketplace/provider/offerings", data={
        "csrf_token": csrf(client, "/marketplace/provider"), "title": "详情页设计", "price_min": "100",
        "price_max": "200"})
    assert resp.status_code == 422 and "请选择服务类别" in resp.text


def test_the_center_verifies_providers_and_exports_figures(client, db, market, factory):
    pending = market.provider(verify=False, name="待审服务商")
    officer = factory.account("city_officer")
    login(client, officer)
    page = client.get("/marketplace/center")
    assert "待审服务商" in page.text
    resp = client.post(f"/marketplace/center/providers/{pending.provider_id}/review",
                       data={"csrf_token": csrf(client, "/marketplace/center"), "decision": "approve"},
                       follow_redirects=False)
    assert resp.status_code == 303
    assert "待审服务商" in client.get("/providers").text
    figures = client.get("/marketplace/center/figures")
    assert figures.status_code == 200 and "龙泉市" in figures.text
    export = client.get("/marketplace/center/figures/export")
    wb = load_workbook(io.BytesIO(export.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "维度" and any(r[1] == "店铺代运营" for r in rows)


def test_withdrawn_offerings_stop_matching_and_unpublished_products_leave_the_showcase(client, db, market):
    from lishui.core.money import Money
    from lishui.marketplace import matching
    from lishui.marketplace.models import Offering

    provider = market.provider(name="将下架", category="design", title="主图设计")
    need = matching.Need("design", "331102", Money.yuan("1000"), ["主图", "设计"])
    with db.unit_of_work() as session:
        assert [m.provider_id for m in matching.rank(session, need)] == [provider.provider_id]
        offering_id = session.scalars(select(Offering.id)).one()
    login(client, provider.account)
    token = csrf(client, "/marketplace/provider")
    resp = client.post(f"/marketplace/provider/offerings/{offering_id}/withdraw", data={"csrf_token": token},
                       follow_redirects=False)
    assert resp.status_code == 303
    with db.unit_of_work() as session:
        assert matching.rank(session, need) == []
    ent = market.enterprise()
    pid = product(db, ent.account.org_id, name="下架的茶")
    with db.unit_of_work() as session:
        link_id = showcase.links_of(session, pid)[0].id
    other = market.enterprise()
    login(client, other.account)
    resp = client.post(f"/marketplace/showcase/products/{pid}/unpublish",
                       data={"csrf_token": csrf(client, "/marketplace/showcase")},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 404  # not its product
    login(client, ent.account)
    resp = client.post(f"/marketplace/showcase/products/{pid}/unpublish",
                       data={"csrf_token": csrf(client, "/marketplace/showcase")}, follow_redirects=False)
    assert resp.status_code == 303
    assert "下架的茶" not in client.get("/showcase").text
    assert client.get("/showcase/product", params={"id": pid}).status_code == 404
    assert client.get("/showcase/go", params={"link": link_id}, follow_redirects=False).status_code == 404


def test_a_provider_applies_with_a_document_the_center_reviews(app, client, db, factory):
    from fastapi.testclient import TestClient

    account = factory.account("provider_user", org_id=factory.org(kind="service_provider"))
    login(client, account)
    token = csrf(client, "/marketplace/provider")
    form = {"csrf_token": token, "display_name": "丽水新服务商", "kind": "photography", "capacity": "3",
            "documents": "营业执照、作品集"}
    refused = client.post("/marketplace/provider/profile", data=form,
                          files={"document": ("x.pdf", b"MZ\x90\x00binary", "application/pdf")})
    assert refused.status_code == 415
    resp = client.post("/marketplace/provider/profile", data=form,
                       files={"document": ("执照.pdf", b"%PDF-1.4 licence", "application/pdf")}, follow_redirects=False)
    assert resp.status_code == 303
    assert "待审核" in client.get("/marketplace/provider").text
    with db.unit_of_work() as session:
        provider_id = service.pending_providers(session)[0][0].id
    with TestClient(app, base_url="http://127.0.0.1") as officer:
        login(officer, factory.account("city_officer"))
        assert "执照.pdf" in officer.get("/marketplace/center").text
        got = officer.get(f"/marketplace/center/providers/{provider_id}/document")
        assert got.status_code == 200 and got.content == b"%PDF-1.4 licence"
    assert client.get(f"/marketplace/center/providers/{provider_id}/document").status_code == 403
