"""The marketplace API with bearer tokens: post a demand, see the ranked matches, quote, accept, deliver, rate;
errors in the one shape; a private demand hidden from a provider not invited."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from lishui.core import clock


def bearer(app, factory, account) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    client.headers["Authorization"] = f"Bearer {factory.token(account)}"
    return client


def test_the_whole_engagement_through_the_api(app, factory, market):
    provider = market.provider(name="瓯江设计", category="design", title="详情页设计", price_min="1000",
                               price_max="8000")
    ent = market.enterprise()
    e_api, p_api = bearer(app, factory, ent.account), bearer(app, factory, provider.account)
    deadline = (clock.today() + timedelta(days=10)).isoformat()
    bad = e_api.post("/api/v1/marketplace/demands", json={"category": "design", "title": "详情页",
                                                          "budget": "-1", "deadline": deadline})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "budget"
    past = e_api.post("/api/v1/marketplace/demands", json={"category": "design", "title": "详情页",
                                                           "budget": "100", "deadline": "2020-01-01"})
    assert past.status_code == 422
    assert past.json()["fields"] == [{"field": "deadline", "message": "截止日期不能早于今天"}]
    created = e_api.post("/api/v1/marketplace/demands", json={"category": "design", "title": "青瓷详情页设计",
                                                              "budget": "5000.50", "deadline": deadline},
                         headers={"Idempotency-Key": "demand-1"})
    assert created.status_code == 201, created.text
    demand = created.json()
    assert demand["budget"] == "5000.50"
    again = e_api.post("/api/v1/marketplace/demands", json={"category": "design", "title": "青瓷详情页设计",
                                                            "budget": "5000.50", "deadline": deadline},
                       headers={"Idempotency-Key": "demand-1"})
    assert again.json()["id"] == demand["id"] and again.headers["Idempotent-Replayed"] == "true"
    matches = e_api.get(f"/api/v1/marketplace/demands/{demand['id']}/matches").json()
    assert matches[0]["provider_name"] == "瓯江设计" and len(matches[0]["reasons"]) == 8
    assert p_api.get(f"/api/v1/marketplace/demands/{demand['id']}/matches").status_code == 403
    quote = p_api.post(f"/api/v1/marketplace/demands/{demand['id']}/quotes", json={"amount": "4800", "days": 7})
    assert quote.status_code == 201, quote.text
    engagement = e_api.post(f"/api/v1/marketplace/quotes/{quote.json()['id']}/accept")
    assert engagement.status_code == 201 and engagement.json()["state"] == "accepted"
    eid = engagement.json()["id"]
    early = e_api.post(f"/api/v1/marketplace/engagements/{eid}/ratings", json={"score": 5})
    assert early.status_code == 422 and early.json()["code"] == "validation_failed"
    for action in ("start", "deliver"):
        resp = p_api.post(f"/api/v1/marketplace/engagements/{eid}/transition", json={"action": action})
        assert resp.status_code == 200, resp.text
    assert e_api.post(f"/api/v1/marketplace/engagements/{eid}/ratings", json={"score": 4}).status_code == 201
    assert p_api.post(f"/api/v1/marketplace/engagements/{eid}/ratings", json={"score": 5}).status_code == 201
    assert e_api.get(f"/api/v1/marketplace/engagements/{eid}").json()["state"] == "completed"
    kinds = {n["kind"] for n in p_api.get("/api/v1/marketplace/notifications").json()}
    assert {"new_demand", "status"} <= kinds


def test_a_private_demand_is_not_found_for_a_provider_not_invited(app, factory, market):
    ent = market.enterprise()
    invited, outsider = market.provider(name="受邀"), market.provider(name="局外")
    demand_id = market.demand(ent, private=True, invite=[invited.provider_id])
    o_api = bearer(app, factory, outsider.account)
    assert o_api.get(f"/api/v1/marketplace/demands/{demand_id}").json()["code"] == "not_found"
    assert demand_id not in {d["id"] for d in o_api.get("/api/v1/marketplace/demands").json()}
    resp = o_api.post(f"/api/v1/marketplace/demands/{demand_id}/quotes", json={"amount": "1", "days": 1})
    assert resp.status_code == 404
    i_api = bearer(app, factory, invited.account)
    assert i_api.get(f"/api/v1/marketplace/demands/{demand_id}").status_code == 200


def test_figures_for_the_city_and_a_county(app, factory, market):
    ent = market.enterprise(division="331122")
    market.demand(ent)
    city = bearer(app, factory, factory.account("city_officer")).get("/api/v1/marketplace/figures").json()
    assert next(f for f in city["by_county"] if f["key"] == "331122")["demands"] == 1
    liandu = bearer(app, factory, factory.account("county_officer", division="331102"))
    figures = liandu.get("/api/v1/marketplace/figures").json()
    assert all(f["demands"] == 0 for f in figures["by_county"])


def test_an_offering_without_category_is_refused_by_the_api(app, factory, market):
    provider = market.provider()
    resp = bearer(app, factory, provider.account).post("/api/v1/marketplace/offerings", json={
        "category": "none", "title": "x", "price_min": "1", "price_max": "2"})
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "category"


def test_the_showcase_and_the_provider_directory_as_data(app, factory, market, db):
    from lishui.marketplace import showcase

    verified = market.provider(name="云和木玩电商服务", category="design", title="木玩主图设计")
    market.provider(name="待审核服务商", verify=False)
    ent = market.enterprise(division="331125")
    with db.unit_of_work() as session:
        tea = showcase.create_product(session, ent.actor, showcase.ProductInput(name="景宁惠明茶", category="tea",
                                                                               description="<b>高山</b>云雾茶"))
        showcase.create_product(session, ent.actor, showcase.ProductInput(name="云和木制玩具", category="toys"))
        tea_id = tea.id
    api = bearer(app, factory, factory.account("county_officer"))
    found = api.get("/api/v1/marketplace/products", params={"q": "惠明茶"}).json()
    assert found["total"] == 1 and found["items"][0]["id"] == tea_id
    assert found["items"][0]["description"] == "<b>高山</b>云雾茶"  # data as entered; pages escape it
    crafts = api.get("/api/v1/marketplace/products", params={"category": "toys"}).json()
    assert [p["name"] for p in crafts["items"]] == ["云和木制玩具"]
    names = [p["display_name"] for p in api.get("/api/v1/marketplace/providers").json()]
    assert "云和木玩电商服务" in names and "待审核服务商" not in names
    assert verified.account.username
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    assert anonymous.get("/api/v1/marketplace/products").status_code == 401
