"""The policy JSON API through the app, with bearer tokens: packs, evaluation with traces, batches, facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

CITY_PACK = "lishui-2015@2015.1"
YEAR = 2017


@pytest.fixture(autouse=True)
def _published_packs(factory):
    """A deployed platform has published its policy packs; drafts are tested in test_publication.py."""
    factory.publish_packs()


def bearer(factory, role: str, **kw: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.token(factory.account(role, **kw))}"}


@pytest.fixture
def city_api(factory) -> dict[str, str]:
    return bearer(factory, "city_officer")


def tenant(factory, *, division: str = "331102", move_in: date = date(2017, 3, 1), rent: str = "60000",
           name: str | None = None) -> int:
    """An e-commerce trading enterprise renting in a park, with its rent recorded for 2017 (M03)."""
    org = factory.org(division=division, tags=["ecommerce_trading"], name=name)
    factory.park_tenant(org, move_in=move_in, division=division)
    factory.facts(org, YEAR, annual_rent=rent, in_cross_border_park=False)
    return org


def first_inclusion(factory, division: str) -> int:
    """An enterprise whose online retail was first included in the statistics in 2017 (M21: 30,000 once)."""
    org = factory.org(division=division)
    factory.facts(org, YEAR, online_retail_included=True, first_included_year=YEAR, online_retail="8000000",
                  online_retail_base="0")
    return org


# ---------------------------------------------------------------- packs

def test_packs_list_and_detail_carry_clauses_parameters_and_measures(client: TestClient, city_api):
    listed = client.get("/api/v1/policy/packs", headers=city_api)
    assert listed.status_code == 200
    keys = {p["key"]: p for p in listed.json()}
    assert CITY_PACK in keys and keys[CITY_PACK]["valid_from"] == "2015-07-29"
    assert keys[CITY_PACK]["jurisdictions"] == ["331100", "331102", "331199"]
    assert any(p["derives_from"] == "lishui-2015" for p in keys.values())
    detail = client.get(f"/api/v1/policy/packs/{CITY_PACK}", headers=city_api).json()
    clause = next(c for c in detail["clause_texts"] if c["id"] == "二(二)4")
    assert {"M02", "M03", "M04"} <= set(clause["measures"]) and "电子商务" in clause["text"]
    cap = next(p for p in detail["parameter_values"] if p["name"] == "m03_cap")
    assert cap["versions"] == [{"effective_from": None, "value": "50000.00", "source": ""}]
    rate = next(p for p in detail["parameter_values"] if p["name"] == "m08_reference_rate")
    assert {"effective_from": "2015-10-24", "value": "0.0435"}.items() <= rate["versions"][5].items()
    assert {m["id"] for m in detail["measure_details"]} >= {f"M{i:02d}" for i in range(1, 23)}


def test_a_measure_shows_conditions_formula_caps_funding_and_external_rule(client, city_api):
    m03 = client.get(f"/api/v1/policy/packs/{CITY_PACK}/measures/M03", headers=city_api).json()
    assert m03["clauses"] == ["二(二)4"] and m03["recurrence"] == "yearly" and m03["budget_line"] == "general"
    assert [c["name"] for c in m03["conditions"]] == ["tenant", "first_three_years", "rent_paid"]
    assert m03["amount_formula"] == "fact.annual_rent × m03_rate"
    assert m03["caps"] == [{"kind": "lifetime", "label": "每家企业房租补助最高 50,000 元", "param": "m03_cap",
                            "limit": "50000.00"}]
    m14 = client.get(f"/api/v1/policy/packs/{CITY_PACK}/measures/M14", headers=city_api).json()
    assert m14["external"]["set"] is False and m14["external"]["param"] == "m14_reward_rate"
    assert client.get(f"/api/v1/policy/packs/{CITY_PACK}/measures/M99", headers=city_api).status_code == 404
    missing = client.get("/api/v1/policy/packs/no-such@1", headers=city_api)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


# ---------------------------------------------------------------- evaluation

def test_evaluate_one_measure_returns_the_amount_the_trace_and_the_explanation(client, factory, city_api):
    org = tenant(factory, rent="60000.01")
    resp = client.post("/api/v1/policy/evaluate", json={"org_id": org, "year": YEAR, "measure": "M03"},
                       headers=city_api)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["pack"] == CITY_PACK and len(body["results"]) == 1
    [m03] = body["results"]
    # Year 1 of tenancy: 70% of 60,000.01 = 42,000.007, rounded half-up once at the end.
    assert m03["status"] == "eligible" and m03["amount"] == "42000.01" and body["total_amount"] == "42000.01"
    assert all(c["passed"] for c in m03["conditions"])
    assert m03["caps"][0]["received"] == "0.00" and m03["caps"][0]["remaining"] == "50000.00"
    assert {f["name"] for f in m03["trace"]["facts"]} >= {"annual_rent", "tenancy_year", "in_park"}
    assert m03["trace"]["steps"] and "二(二)4" in m03["explanation"]


def test_caps_count_what_was_already_received(client, factory, city_api):
    org = tenant(factory, move_in=date(2016, 5, 1))
    factory.facts(org, YEAR, received_m03_lifetime="42000")
    [m03] = client.post("/api/v1/policy/evaluate", json={"org_id": org, "year": YEAR, "measure": "M03"},
                        headers=city_api).json()["results"]
    assert m03["amount_before_caps"] == "30000.00" and m03["amount"] == "8000.00"
    assert m03["caps"][0] | {"label": ""} == {
        "kind": "lifetime", "label": "", "param": "m03_cap", "limit": "50000.00", "received": "42000.00",
        "remaining": "8000.00", "before": "30000.00", "after": "8000.00", "binding": True, "clause": "二(二)4"}


def test_evaluating_every_measure_names_missing_facts_and_scope(client, factory, city_api):
    org = tenant(factory)
    results = {r["measure"]: r for r in client.post("/api/v1/policy/evaluate", json={"org_id": org, "year": YEAR},
                                                    headers=city_api).json()["results"]}
    assert results["M03"]["status"] == "eligible"
    assert results["M22"]["status"] == "missing_facts" and "online_retail" in results["M22"]["missing_facts"]
    assert results["M01"]["status"] == "not_beneficiary"
    far = factory.org(division="331126")  # 庆元县: no county pack, the city pack's scope rule applies
    far_results = {r["measure"]: r for r in client.post("/api/v1/policy/evaluate", json={"org_id": far, "year": YEAR},
                                                        headers=city_api).json()["results"]}
    assert far_results["M03"]["status"] == "out_of_scope" and "市区" in far_results["M03"]["message"]


def test_an_enterprise_evaluates_its_own_organisation_and_not_another(client, factory):
    own = tenant(factory)
    other = tenant(factory, name="别家电子商务有限公司")
    api = bearer(factory, "enterprise_user", org_id=own)
    mine = client.post("/api/v1/policy/evaluate", json={"org_id": own, "year": YEAR}, headers=api)
    assert mine.status_code == 200 and mine.json()["org_id"] == own
    theirs = client.post("/api/v1/policy/evaluate", json={"org_id": other, "year": YEAR}, headers=api)
    assert theirs.status_code == 404 and theirs.json()["code"] == "not_found"
    assert "别家" not in theirs.text


def test_a_year_no_pack_covers_is_refused(client, factory, city_api):
    org = factory.org()
    resp = client.post("/api/v1/policy/evaluate", json={"org_id": org, "year": 2030}, headers=city_api)
    assert resp.status_code == 404 and "2030" in resp.json()["message"]
    bad = client.post("/api/v1/policy/evaluate", json={"org_id": org, "year": 1999}, headers=city_api)
    assert bad.status_code == 422


# ---------------------------------------------------------------- batches

def test_a_batch_run_finds_candidates_and_near_misses_with_totals(client, factory, city_api):
    eligible = first_inclusion(factory, "331102")
    grower = factory.org(division="331199")
    factory.facts(grower, YEAR, online_retail_included=True, first_included_year=2015, online_retail="13000000.00",
                  online_retail_base="10000000.00")  # growth 3,000,000: short of a full 5,000,000 step
    resp = client.post("/api/v1/policy/batches", json={"pack": "lishui-2015", "year": YEAR}, headers=city_api)
    assert resp.status_code == 201, resp.text
    run = resp.json()
    assert run["pack"] == CITY_PACK and run["year"] == YEAR and run["status"] == "done"
    m21 = next(m for m in run["measures"] if m["measure"] == "M21")
    assert m21["eligible"] == 1 and m21["amount"] == "30000.00" and m21["budget_line"] == "general"
    assert Decimal(run["total_amount"]) == sum(Decimal(m["amount"]) for m in run["measures"])
    assert run["budget_lines"]["general"] == run["total_amount"]
    assert client.get(f"/api/v1/policy/batches/{run['id']}", headers=city_api).json() == run
    candidates = client.get(f"/api/v1/policy/batches/{run['id']}/candidates", headers=city_api).json()
    assert [(c["org_id"], c["measure"], c["amount"]) for c in candidates] == [(eligible, "M21", "30000.00")]
    near = client.get(f"/api/v1/policy/batches/{run['id']}/candidates", params={"kind": "near_miss",
                                                                                 "measure": "M22"},
                      headers=city_api).json()
    # The first inclusion also misses M22 by one condition, but not one it can meet this year (the year of
    # first inclusion pays M21 instead): it is not 差一点.
    assert {c["org_id"]: c["missing_condition"] for c in near} == {grower: "超基数部分需满 5,000,000 元 才有奖励"}


def test_a_county_officers_batch_covers_only_its_county(client, factory, city_api):
    liandu = first_inclusion(factory, "331102")
    zone = first_inclusion(factory, "331199")
    county_api = bearer(factory, "county_officer", division="331102")
    county_run = client.post("/api/v1/policy/batches", json={"pack": CITY_PACK, "year": YEAR},
                             headers=county_api).json()
    city_run = client.post("/api/v1/policy/batches", json={"pack": CITY_PACK, "year": YEAR},
                           headers=city_api).json()
    found = {c["org_id"] for c in client.get(f"/api/v1/policy/batches/{county_run['id']}/candidates",
                                             headers=county_api).json()}
    assert found == {liandu}
    assert {c["org_id"] for c in client.get(f"/api/v1/policy/batches/{city_run['id']}/candidates",
                                            headers=city_api).json()} == {liandu, zone}
    assert county_run["entities"] < city_run["entities"]
    # The city-wide run's totals include the zone's enterprise: not shown to a county officer.
    assert client.get(f"/api/v1/policy/batches/{city_run['id']}", headers=county_api).status_code == 404
    assert client.get(f"/api/v1/policy/batches/{county_run['id']}", headers=city_api).status_code == 200
    jinyun_api = bearer(factory, "county_officer", division="331122")
    assert client.get(f"/api/v1/policy/batches/{county_run['id']}/candidates",
                      headers=jinyun_api).status_code == 404


def test_a_batch_outside_the_packs_validity_or_of_an_unknown_pack_is_refused(client, city_api):
    late = client.post("/api/v1/policy/batches", json={"pack": CITY_PACK, "year": 2021}, headers=city_api)
    assert late.status_code == 422 and late.json()["fields"][0]["field"] == "year"
    unknown = client.post("/api/v1/policy/batches", json={"pack": "nowhere-2015", "year": YEAR}, headers=city_api)
    assert unknown.status_code == 404


def test_only_roles_with_the_permission_start_batches(client, factory):
    reviewer = bearer(factory, "reviewer", division="331102")
    resp = client.post("/api/v1/policy/batches", json={"pack": CITY_PACK, "year": YEAR}, headers=reviewer)
    assert resp.status_code == 403


# ---------------------------------------------------------------- facts

def test_record_a_fact_then_correct_it_as_a_new_revision(client, factory, city_api):
    org = factory.org()
    first = client.post("/api/v1/policy/facts", json={"org_id": org, "year": YEAR, "name": "annual_rent",
                                                      "value": "60000", "note": "租赁合同"}, headers=city_api)
    assert first.status_code == 201, first.text
    assert first.json() | {"recorded_at": ""} == {"name": "annual_rent", "value": "60000", "revision": 1,
                                                   "source": "officer", "note": "租赁合同",
                                                   "recorded_by": first.json()["recorded_by"], "recorded_at": ""}
    second = client.post("/api/v1/policy/facts", json={"org_id": org, "year": YEAR, "name": "annual_rent",
                                                       "value": "61,000.50"}, headers=city_api)
    assert second.json()["revision"] == 2 and second.json()["value"] == "61000.50"
    sheet = client.get("/api/v1/policy/facts", params={"org_id": org, "year": YEAR}, headers=city_api).json()
    rent = next(f for f in sheet["facts"] if f["name"] == "annual_rent")
    assert rent == {"name": "annual_rent", "label": "本入驻年度的房租", "type": "Money", "unit": "元",
                    "domain": "funds", "value": "61000.50", "origin": "table", "provider": "", "revision": 2}
    assert [h["value"] for h in sheet["history"] if h["name"] == "annual_rent"] == ["61000.50", "60000"]
    year = next(f for f in sheet["facts"] if f["name"] == "year")
    assert year["value"] == "2017" and year["origin"] == "period"
    trading = next(f for f in sheet["facts"] if f["name"] == "is_ecommerce_trading")
    assert trading["origin"] == "provider" and trading["provider"] == "registry"
    received = next(f for f in sheet["facts"] if f["name"] == "received_m03_lifetime")
    assert received["origin"] == "default" and received["value"] == "0.00"


@pytest.mark.parametrize(("name", "value", "field", "message"), [
    ("annual_rent", "-1", "value", "不能为负数"),
    ("annual_rent", "12.345", "value", "分"),
    ("tenancy_year", "1", "name", "自动提供"),
    ("loan_start", "2017-02-30", "value", "日期"),
    ("no_such_fact", "1", "name", "政策包中没有这个事实"),
])
def test_a_wrong_fact_is_refused_naming_the_field(client, factory, city_api, name, value, field, message):
    org = factory.org()
    resp = client.post("/api/v1/policy/facts", json={"org_id": org, "year": YEAR, "name": name, "value": value},
                       headers=city_api)
    assert resp.status_code == 422, resp.text
    [error] = resp.json()["fields"]
    assert error["field"] == field and message in error["message"]
    assert client.get("/api/v1/policy/facts", params={"org_id": org, "year": YEAR},
                      headers=city_api).json()["history"] == []


def test_an_enterprise_reads_its_own_facts_only_and_cannot_record(client, factory):
    own = factory.org()
    other = factory.org()
    factory.facts(own, YEAR, annual_rent="1000")
    api = bearer(factory, "enterprise_user", org_id=own)
    mine = client.get("/api/v1/policy/facts", params={"year": YEAR}, headers=api)
    assert mine.status_code == 200 and mine.json()["org_id"] == own
    assert client.get("/api/v1/policy/facts", params={"org_id": other, "year": YEAR}, headers=api).status_code == 404
    refused = client.post("/api/v1/policy/facts", json={"org_id": own, "year": YEAR, "name": "annual_rent",
                                                        "value": "999999"}, headers=api)
    assert refused.status_code == 403


def test_a_county_officer_records_facts_only_in_its_county(client, factory):
    far = factory.org(division="331181")
    api = bearer(factory, "county_officer", division="331102")
    resp = client.post("/api/v1/policy/facts", json={"org_id": far, "year": YEAR, "name": "annual_rent",
                                                     "value": "1000"}, headers=api)
    assert resp.status_code == 404


# ---------------------------------------------------------------- facts import


def _uscc(db, org_id: int) -> str:
    from lishui.registry.models import Organisation

    with db.unit_of_work() as session:
        return session.get(Organisation, org_id).uscc


def _csv(rows: list[list[object]]) -> bytes:
    return "\n".join(",".join(str(c) for c in r) for r in rows).encode("utf-8")


def test_facts_are_imported_through_the_api_all_or_nothing(client, factory, db, city_api):
    from sqlalchemy import func, select

    from lishui.policy.models import PolicyFact

    a, b = factory.org(), factory.org(division="331199")
    header = ["统一社会信用代码", "年度", "annual_rent", "goes_online"]
    good = _csv([header, [_uscc(db, a), YEAR, "60000", "是"], [_uscc(db, b), YEAR, "12000.50", "否"]])
    resp = client.post("/api/v1/policy/facts/import", files={"file": ("facts.csv", good, "text/csv")},
                       headers=city_api)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"total_rows": 2, "recorded": 4, "unchanged": 0, "organisations": 2}
    again = client.post("/api/v1/policy/facts/import", files={"file": ("facts.csv", good, "text/csv")},
                        headers=city_api)
    assert again.json() == {"total_rows": 2, "recorded": 0, "unchanged": 4, "organisations": 2}
    bad = _csv([header, [_uscc(db, a), YEAR, "70000", "是"], [_uscc(db, b), YEAR, "-5", "也许"]])
    refused = client.post("/api/v1/policy/facts/import", files={"file": ("facts.csv", bad, "text/csv")},
                          headers=city_api)
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "validation_failed" and "未写入" in body["message"]
    assert [(f["row"], f["field"]) for f in body["fields"]] == [(3, "annual_rent"), (3, "goes_online")]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PolicyFact)) == 4, "the good row was not stored"
    sheet = client.get("/api/v1/policy/facts", params={"org_id": a, "year": YEAR}, headers=city_api).json()
    assert "60000" in str(sheet) and "70000" not in str(sheet)


def test_facts_import_needs_the_write_permission_and_stays_in_scope(client, factory, db):
    org = factory.org(division="331122")
    content = _csv([["统一社会信用代码", "年度", "annual_rent"], [_uscc(db, org), YEAR, "60000"]])
    ent = bearer(factory, "enterprise_user")
    denied = client.post("/api/v1/policy/facts/import", files={"file": ("f.csv", content, "text/csv")}, headers=ent)
    assert denied.status_code == 403
    liandu = bearer(factory, "county_officer", division="331102")
    other_county = client.post("/api/v1/policy/facts/import", files={"file": ("f.csv", content, "text/csv")},
                               headers=liandu)
    assert other_county.status_code == 422
    assert [(f["row"], f["field"]) for f in other_county.json()["fields"]] == [(2, "统一社会信用代码")]


def test_a_batch_started_in_the_background_is_followed_to_its_result(client, factory, city_api):
    from lishui.policy import service

    eligible = first_inclusion(factory, "331102")
    resp = client.post("/api/v1/policy/batches", json={"pack": CITY_PACK, "year": YEAR, "wait": False},
                       headers=city_api)
    assert resp.status_code == 202, resp.text
    started = resp.json()
    assert started["status"] == "running" and started["progress_total"] == 22
    assert resp.headers["location"] == f"/api/v1/policy/batches/{started['id']}"
    service.wait_for_batch(started["id"])
    done = client.get(resp.headers["location"], headers=city_api).json()
    assert (done["status"], done["stage"], done["progress_done"]) == ("done", "done", 22)
    assert done["candidates"] >= 1
    candidates = client.get(f"/api/v1/policy/batches/{started['id']}/candidates", headers=city_api).json()
    assert (eligible, "M21") in {(c["org_id"], c["measure"]) for c in candidates}
