"""The registry JSON API through the app, with bearer tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.registry.conftest import HEADERS, bad_check_char, csv_bytes, org_rows, xlsx_bytes

VALID = "91330100716105852F"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bearer(factory, role: str, **kw: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {factory.token(factory.account(role, **kw))}"}


@pytest.fixture
def city_api(factory) -> dict[str, str]:
    return bearer(factory, "city_officer")


@pytest.fixture
def county_api(factory) -> dict[str, str]:
    return bearer(factory, "county_officer", division="331122")


def _org(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {"uscc": VALID, "name": "接口测试电子商务有限公司", "kind": "enterprise",
                               "division_code": "331122", "tags": ["ecommerce_trading"]}
    body.update(kw)
    return body


def test_create_read_and_update_an_organisation(client: TestClient, city_api):
    created = client.post("/api/v1/orgs", json=_org(bank_account="6228480000000001234"), headers=city_api)
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["uscc"] == VALID and org["revision"] == 1 and org["tags"] == ["ecommerce_trading"]
    assert org["bank_account_masked"] == "**** **** 1234" and "bank_account" not in org
    got = client.get(f"/api/v1/orgs/{org['id']}", headers=city_api).json()
    assert got == org
    body = {k: org[k] for k in ("name", "kind", "division_code", "township_code", "tags", "revision")}
    updated = client.put(f"/api/v1/orgs/{org['id']}", json={**body, "name": "改名后有限公司"}, headers=city_api)
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    stale = client.put(f"/api/v1/orgs/{org['id']}", json={**body, "name": "再改名有限公司"}, headers=city_api)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"


def test_invalid_credit_code_is_a_422_naming_the_check_character(client, city_api):
    resp = client.post("/api/v1/orgs", json=_org(uscc=bad_check_char(VALID)), headers=city_api)
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_failed"
    [field] = [f for f in body["fields"] if f["field"] == "uscc"]
    assert "应为“F”" in field["message"]


def test_duplicate_credit_code_is_a_409_naming_the_existing_organisation(client, city_api):
    assert client.post("/api/v1/orgs", json=_org(name="先来的有限公司"), headers=city_api).status_code == 201
    resp = client.post("/api/v1/orgs", json=_org(name="后到的有限公司"), headers=city_api)
    assert resp.status_code == 409
    assert "先来的有限公司" in resp.json()["message"]
    assert resp.json()["fields"][0]["field"] == "uscc"


def test_list_is_scoped_filtered_and_paginated(client, factory, city_api, county_api):
    for i in range(5):
        factory.org(division="331122", name=f"接口分页{i}有限公司", tags=["above_size"] if i % 2 else [])
    longquan = factory.org(division="331181", name="接口分页龙泉有限公司")
    page = client.get("/api/v1/orgs", params={"q": "接口分页", "per_page": 2, "page": 2}, headers=city_api).json()
    assert page["total"] == 6 and page["page"] == 2 and len(page["items"]) == 2
    county = client.get("/api/v1/orgs", params={"q": "接口分页", "per_page": 50}, headers=county_api).json()
    assert county["total"] == 5 and all(o["division_code"] == "331122" for o in county["items"])
    tagged = client.get("/api/v1/orgs", params={"q": "接口分页", "tag": "above_size"}, headers=city_api).json()
    assert tagged["total"] == 2
    assert client.get(f"/api/v1/orgs/{longquan}", headers=county_api).status_code == 404
    assert client.get("/api/v1/orgs", params={"per_page": 500}, headers=city_api).status_code == 422


def test_enterprise_token_reads_only_its_own_organisation(client, factory):
    own = factory.org(division="331122")
    other = factory.org(division="331122")
    headers = bearer(factory, "enterprise_user", org_id=own)
    listed = client.get("/api/v1/orgs", headers=headers).json()
    assert [o["id"] for o in listed["items"]] == [own]
    missing = client.get(f"/api/v1/orgs/{other}", headers=headers)
    assert missing.status_code == 404 and "uscc" not in missing.text
    assert client.post("/api/v1/orgs", json=_org(), headers=headers).status_code == 403


def test_no_token_or_a_bad_token_gets_401_and_no_data(client, factory):
    factory.org(division="331122", name="不该泄露的有限公司")
    for headers in ({}, {"Authorization": "Bearer lsk_not-a-token"}):
        resp = client.get("/api/v1/orgs", headers=headers)
        assert resp.status_code == 401 and "不该泄露" not in resp.text


def test_import_through_the_api_is_all_or_nothing(client, city_api):
    rows = org_rows(50)
    rows[7][3] = "火星县"
    resp = client.post("/api/v1/orgs/import", files={"file": ("orgs.xlsx", xlsx_bytes(HEADERS, rows), XLSX)},
                       headers=city_api)
    assert resp.status_code == 422
    body = resp.json()
    assert body["created"] == 0 and body["total_rows"] == 50
    assert body["errors"] == [
        {"field": "所属县（区）", "message": "“火星县”不是丽水市、所辖县（市、区）或开发区", "row": 9}]
    assert client.get("/api/v1/orgs", params={"q": "导入测试"}, headers=city_api).json()["total"] == 0
    rows[7][3] = "缙云县"
    resp = client.post("/api/v1/orgs/import", files={"file": ("orgs.csv", csv_bytes(HEADERS, rows), "text/csv")},
                       headers=city_api)
    assert resp.status_code == 200 and resp.json()["created"] == 50
    assert client.get("/api/v1/orgs", params={"q": "导入测试"}, headers=city_api).json()["total"] == 50


def test_import_refuses_a_file_that_is_not_a_spreadsheet(client, city_api):
    resp = client.post("/api/v1/orgs/import", files={"file": ("orgs.xlsx", b"\x00\x01binary", XLSX)},
                       headers=city_api)
    assert resp.status_code == 415 and resp.json()["code"] == "unsupported_file"


# ---------------------------------------------------------------- parks and people

@pytest.fixture
def operator(factory) -> int:
    return factory.org(kind="park_operator", division="331122", name="接口园区运营有限公司")


def test_create_a_park_and_add_tenants(client, factory, city_api, operator):
    resp = client.post("/api/v1/parks", json={"name": "接口测试园区", "operator_org_id": operator,
                                               "division_code": "331122", "total_area_m2": "8000.50",
                                               "opened_on": "2016-03-01"}, headers=city_api)
    assert resp.status_code == 201, resp.text
    park = resp.json()
    assert park["total_area_m2"] == "8000.50" and park["tenancies"] == []
    tenant = factory.org(division="331122", name="接口入驻有限公司")
    resp = client.post(f"/api/v1/parks/{park['id']}/tenancies",
                       json={"org_id": tenant, "move_in_date": "2017-05-01", "leased_area_m2": "120.5"},
                       headers=city_api)
    assert resp.status_code == 201, resp.text
    assert resp.json()["org_id"] == tenant and resp.json()["leased_area_m2"] == "120.50"
    again = client.post(f"/api/v1/parks/{park['id']}/tenancies",
                        json={"org_id": tenant, "move_in_date": "2018-05-01", "leased_area_m2": "1"},
                        headers=city_api)
    assert again.status_code == 409
    got = client.get(f"/api/v1/parks/{park['id']}", headers=city_api).json()
    assert [t["org_id"] for t in got["tenancies"]] == [tenant]


def test_park_input_errors_name_the_field(client, city_api, operator):
    resp = client.post("/api/v1/parks", json={"name": "坏园区", "operator_org_id": operator,
                                               "division_code": "331122", "total_area_m2": "-1"}, headers=city_api)
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["total_area_m2"]
    resp = client.post("/api/v1/parks", json={"name": "坏园区", "operator_org_id": operator,
                                               "division_code": "330100", "total_area_m2": "10"}, headers=city_api)
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "division_code"


def test_park_and_person_writes_need_the_permission(client, factory, operator):
    reviewer = bearer(factory, "reviewer", division="331122")
    assert client.post("/api/v1/parks", json={"name": "无权园区", "operator_org_id": operator,
                                               "division_code": "331122", "total_area_m2": "10"},
                       headers=reviewer).status_code == 403
    assert client.post("/api/v1/people", json={"name": "无权人员", "id_number": "11010519491231002X",
                                                "division_code": "331122"}, headers=reviewer).status_code == 403


def test_county_officer_cannot_add_tenants_to_another_countys_park(client, factory, city_api, county_api):
    longquan_operator = factory.org(kind="park_operator", division="331181")
    park = client.post("/api/v1/parks", json={"name": "龙泉接口园区", "operator_org_id": longquan_operator,
                                               "division_code": "331181", "total_area_m2": "100"},
                       headers=city_api).json()
    tenant = factory.org(division="331122")
    resp = client.post(f"/api/v1/parks/{park['id']}/tenancies",
                       json={"org_id": tenant, "move_in_date": "2017-05-01", "leased_area_m2": "1"},
                       headers=county_api)
    assert resp.status_code == 404


def test_create_a_person_masks_the_id_number_everywhere(client, city_api):
    resp = client.post("/api/v1/people", json={"name": "接口学员", "id_number": "11010519491231002X",
                                                "division_code": "331122", "phone": "13800000000"},
                       headers=city_api)
    assert resp.status_code == 201, resp.text
    assert resp.headers["cache-control"] == "no-store"
    person = resp.json()
    assert person["id_number_masked"] == "1****************X" and "11010519491231002X" not in resp.text
    assert person["gender"] == "F" and person["birth_date"] == "1949-12-31"
    listed = client.get("/api/v1/people", params={"q": "接口学员"}, headers=city_api)
    assert "11010519491231002X" not in listed.text and listed.json()[0]["id"] == person["id"]
    revealed = client.post(f"/api/v1/people/{person['id']}/reveal-id-number", json={"reason": "核对补贴名单"},
                           headers=city_api)
    assert revealed.json() == {"value": "11010519491231002X"}


def test_an_invalid_id_number_is_a_422_with_the_reason(client, city_api):
    resp = client.post("/api/v1/people", json={"name": "接口学员", "id_number": "36042619910102009X",
                                                "division_code": "331122"}, headers=city_api)
    assert resp.status_code == 422
    assert resp.json()["fields"] == [{"field": "id_number", "message": "居民身份证号码校验位错误：应为“3”，实际为“X”"}]
