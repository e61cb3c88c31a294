"""Policy pages through the app with signed-in browser sessions (cookie login), and the public calculator."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lishui.core.audit import AuditRecord
from lishui.policy import facts as policy_facts
from lishui.policy import service
from lishui.policy.lang import FactDecl, SymbolTable, Type
from lishui.policy.models import PolicyFact
from tests.conftest import csrf_from
from tests.factories import csrf, login
from tests.registry.htmlq import parse, table_rows

CITY_PACK = "lishui-2015@2015.1"
YEAR = 2017
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _published_packs(factory):
    """A deployed platform has published its policy packs; drafts are tested in test_publication.py."""
    factory.publish_packs()


def signed_in(app, factory, role: str, **kw: object) -> TestClient:
    return login(TestClient(app, base_url="http://127.0.0.1"), factory.account(role, **kw))


@pytest.fixture
def officer(app, factory) -> TestClient:
    return signed_in(app, factory, "city_officer")


def tenant(factory, *, division: str = "331102", move_in: date = date(2017, 3, 1), rent: str = "60000",
           name: str | None = None) -> int:
    org = factory.org(division=division, tags=["ecommerce_trading"], name=name)
    factory.park_tenant(org, move_in=move_in, division=division)
    factory.facts(org, YEAR, annual_rent=rent, in_cross_border_park=False)
    return org


def assert_csp_clean(html: str) -> None:
    """No inline style or script: every look is a class in app.css, every behaviour in app.js."""
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


# ---------------------------------------------------------------- pack browser

def test_pack_list_and_detail_show_validity_scope_clauses_and_measures(officer):
    listing = officer.get("/policy/packs")
    assert listing.status_code == 200 and "2015-07-29" in listing.text and "缙云县" in listing.text
    resp = officer.get(f"/policy/packs/{CITY_PACK}")
    assert resp.status_code == 200
    assert_csp_clean(resp.text)
    doc = parse(resp.text)
    row = doc.by_id("clause-二(二)4")
    assert "使用面积在1万平方米以上" in row.text()
    assert {a.attrs["href"] for a in row.by_class("measure-chip")} >= {"#measure-M02", "#measure-M03"}
    m03 = doc.by_id("measure-M03").text()
    for part in ("入驻认定电子商务园区", "fact.annual_rent × m03_rate", "每家企业房租补助最高 50,000 元",
                 "50,000.00 元", "每年", "电子商务专项资金（农村电子商务以外）", "房屋租赁合同"):
        assert part in m03, part
    m14 = doc.by_id("measure-M14").text()
    assert "参数尚未设定" in m14 and "m14_reward_rate" in m14
    assert "市直" in doc.by_id("overview").text() and "20,000,000.00 元" in doc.by_id("overview").text()


def test_parameter_history_lists_each_dated_value_with_its_clause(officer):
    resp = officer.get(f"/policy/packs/{CITY_PACK}/params/m08_reference_rate")
    assert resp.status_code == 200
    rows = table_rows(parse(resp.text).by_id("version-table"))
    assert rows[3][:3] == ["2015-06-28", "2015-08-25", "4.85%"]
    assert rows[5][:3] == ["2015-10-24", "2019-08-19", "4.35%"]
    assert "二(二)6" in resp.text and "M08" in resp.text
    reading = officer.get(f"/policy/packs/{CITY_PACK}/params/m03_cap_cumulative")
    assert "每年不超过 5 万元" in parse(reading.text).by_id("reading").text()
    schedule = table_rows(parse(officer.get(f"/policy/packs/{CITY_PACK}/params/m03_rent_rates").text)
                          .by_id("version-table"))
    assert [r[:2] for r in schedule] == [["第 1 年", "70%"], ["第 2 年", "50%"], ["第 3 年", "30%"]]


def test_unknown_pack_or_parameter_is_not_found(officer):
    assert officer.get("/policy/packs/nothing@1").status_code == 404
    assert officer.get(f"/policy/packs/{CITY_PACK}/params/nothing").status_code == 404


# ---------------------------------------------------------------- explanations

def test_the_explanation_page_shows_conditions_caps_parameters_and_the_text(officer, factory):
    org = tenant(factory, move_in=date(2016, 5, 1))
    factory.facts(org, YEAR, received_m03_lifetime="42000")
    resp = officer.get("/policy/evaluate", params={"org_id": org, "year": YEAR, "measure": "M03"})
    assert resp.status_code == 200
    assert_csp_clean(resp.text)
    doc = parse(resp.text)
    assert doc.by_id("amount").text() == "8,000.00"
    marks = [li.text() for li in doc.by_class("cond-list")[0].by_tag("li")]
    assert marks[0].startswith("✓") and len(marks) == 3
    caps = table_rows(doc.by_id("caps-table"))
    assert caps[0][1:6] == ["50,000.00", "42,000.00", "8,000.00", "30,000.00", "8,000.00"]
    params = {r[0].split()[-1]: r for r in table_rows(doc.by_id("params-used"))}
    assert params["m03_rent_rates"][1].startswith("第 2 年 50%") and params["m03_cap"][3] == "二(二)4"
    explanation = doc.by_id("explanation").text()
    assert "政策依据 二(二)4" in explanation and "已获 42,000.00 元" in explanation


def test_the_overview_lists_every_measure_that_concerns_the_organisation(officer, factory):
    org = tenant(factory)
    doc = parse(officer.get("/policy/evaluate", params={"org_id": org, "year": YEAR}).text)
    rows = {r[0].split()[0]: r for r in table_rows(doc.by_id("result-table"))}
    assert rows["M03"][1] == "符合条件" and rows["M03"][2] == "42,000.00"
    assert rows["M22"][1] == "缺少所需数据"
    assert "M01" not in rows and "M01" in doc.by_id("others").text()  # not a beneficiary: folded away
    assert doc.by_id("total").text() == "42,000.00"


def test_an_enterprise_sees_only_its_own_organisation(app, factory):
    own = tenant(factory, name="本企业电子商务有限公司")
    other = tenant(factory, name="他人电子商务有限公司")
    client = signed_in(app, factory, "enterprise_user", org_id=own)
    page = client.get("/policy/evaluate", params={"year": YEAR})
    assert page.status_code == 200 and "本企业电子商务有限公司" in page.text
    assert 'name="q"' not in page.text  # no search over other organisations
    refused = client.get("/policy/evaluate", params={"org_id": other, "year": YEAR})
    assert refused.status_code == 404 and "他人" not in refused.text
    assert client.get("/policy/facts", params={"org_id": other, "year": YEAR}).status_code == 404
    assert client.get("/policy/batch").status_code == 403


def test_officers_find_organisations_to_evaluate_within_their_scope(app, factory):
    factory.org(division="331102", name="查找测试莲都有限公司")
    factory.org(division="331181", name="查找测试龙泉有限公司")
    client = signed_in(app, factory, "county_officer", division="331102")
    found = table_rows(parse(client.get("/policy/evaluate", params={"q": "查找测试"}).text).by_id("found-table"))
    assert [r[0] for r in found] == ["查找测试莲都有限公司"]


def test_a_year_without_a_pack_for_the_place_is_said_on_the_page(officer, factory):
    org = factory.org(division="331126")  # 庆元县 in 2021: the city pack has ended, no county pack
    resp = officer.get("/policy/evaluate", params={"org_id": org, "year": 2021})
    assert resp.status_code == 422 and "2021 年没有适用于该机构所在地的有效政策包" in resp.text


# ---------------------------------------------------------------- batch runs

def _run_batch(client: TestClient, pack: str = CITY_PACK, year: int = YEAR) -> int:
    resp = client.post("/policy/batch", data={"pack": pack, "year": str(year), "csrf_token": csrf(client,
                                                                                                 "/policy/batch")},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    run_id = int(resp.headers["location"].split("/")[-1])
    service.wait_for_batch(run_id)  # the page starts it in the background
    return run_id


def _growth(factory, division: str, retail: str, base: str) -> int:
    org = factory.org(division=division)
    factory.facts(org, YEAR, online_retail_included=True, first_included_year=2015, online_retail=retail,
                  online_retail_base=base)
    return org


def test_a_batch_run_page_shows_totals_candidates_and_near_misses(officer, factory):
    tenant(factory, name="房租候选电子商务有限公司")
    _growth(factory, "331102", "30000000", "10000000")  # growth 20,000,000: four steps, 40,000
    _growth(factory, "331199", "13000000", "10000000")  # growth 3,000,000: a near miss
    run_id = _run_batch(officer)
    page = officer.get(f"/policy/batch/{run_id}?ok=batch_done")  # where the form redirects to
    assert page.status_code == 200 and "批量测算已完成" in page.text
    assert_csp_clean(page.text)
    doc = parse(page.text)
    totals = {r[0].split()[0]: r for r in table_rows(doc.by_id("measure-totals"))}
    assert totals["M03"][1:3] == ["1", "42,000.00"] and totals["M22"][1:4] == ["1", "40,000.00", "1"]
    assert doc.by_id("stat-total").text() == "82,000.00"
    lines = table_rows(doc.by_id("line-totals"))
    assert lines[0][:3] == ["电子商务专项资金（农村电子商务以外）", "82,000.00", "17,000,000.00"]
    candidates = table_rows(doc.by_id("candidate-table"))
    assert {(r[0].split()[0], r[4]) for r in candidates} == {("M03", "42,000.00"), ("M22", "40,000.00")}
    near = table_rows(doc.by_id("near-table"))
    assert any(r[0].startswith("M22") and r[3] == "超基数部分需满 5,000,000 元 才有奖励" for r in near)
    only = parse(officer.get(f"/policy/batch/{run_id}", params={"measure": "M22"}).text)
    assert {r[0].split()[0] for r in table_rows(only.by_id("candidate-table"))} == {"M22"}
    listed = table_rows(parse(officer.get("/policy/batch").text).by_id("run-table"))
    assert listed[0][0] == f"#{run_id}"


def test_a_county_officers_run_covers_its_county_and_is_hidden_from_others(app, factory, officer):
    tenant(factory, division="331102", name="莲都租户电子商务有限公司")
    _growth(factory, "331199", "30000000", "10000000")
    county = signed_in(app, factory, "county_officer", division="331102")
    run_id = _run_batch(county)
    doc = parse(county.get(f"/policy/batch/{run_id}").text)
    names = [r[1] for r in table_rows(doc.by_id("candidate-table"))]
    assert names == ["莲都租户电子商务有限公司"]
    assert doc.by_id("stat-total").text() == "42,000.00"
    other = signed_in(app, factory, "county_officer", division="331199")
    assert other.get(f"/policy/batch/{run_id}").status_code == 404
    assert other.get(f"/policy/batch/{run_id}/export").status_code == 404
    assert f"#{run_id}" not in other.get("/policy/batch").text
    assert officer.get(f"/policy/batch/{run_id}").status_code == 200


def test_a_county_officer_starts_from_the_pack_in_force_in_the_county(app, factory):
    jinyun = signed_in(app, factory, "county_officer", division="331122")
    selected = parse(jinyun.get("/policy/batch").text).by_id("f-pack").find_all(lambda n: "selected" in n.attrs)
    assert [o.attrs["value"] for o in selected] == ["jinyun-2016@2016.1"]


def test_a_batch_for_a_year_outside_the_pack_is_refused_on_the_form(officer):
    resp = officer.post("/policy/batch", data={"pack": CITY_PACK, "year": "2021",
                                               "csrf_token": csrf(officer, "/policy/batch")})
    assert resp.status_code == 422
    assert "2021 年不在" in parse(resp.text).by_id("batch-error").text()


def test_the_batch_excel_lists_candidates_and_near_misses_and_is_audited(officer, factory, db):
    tenant(factory, name="导出候选电子商务有限公司")
    _growth(factory, "331102", "13000000", "10000000")
    run_id = _run_batch(officer)
    resp = officer.get(f"/policy/batch/{run_id}/export")
    assert resp.status_code == 200 and resp.headers["content-type"] == XLSX
    assert f"policy-batch-{run_id}-{YEAR}.xlsx" in resp.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("类型", "措施", "措施名称", "统一社会信用代码", "机构名称", "所属县（区）", "预计金额（元）",
                       "还需满足的条件")
    kinds = {(r[0], r[1]) for r in rows[1:]}
    assert ("符合条件（候选）", "M03") in kinds and ("差一点", "M22") in kinds
    m03 = next(r for r in rows[1:] if r[1] == "M03")
    assert m03[4] == "导出候选电子商务有限公司" and m03[5] == "莲都区" and m03[6] == 42000
    with db.unit_of_work() as session:
        events = session.scalars(select(AuditRecord.event).where(AuditRecord.event == "policy.batch.export")).all()
    assert events == ["policy.batch.export"]


def test_batch_exports_are_rate_limited(settings, db, factory):
    from lishui.main import create_app

    app = create_app(settings.model_copy(update={"export_rate_per_minute": 2}), db)
    client = signed_in(app, factory, "city_officer")
    run_id = _run_batch(client)
    codes = [client.get(f"/policy/batch/{run_id}/export").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# ---------------------------------------------------------------- facts

def test_the_facts_page_shows_sources_and_records_a_correction_as_a_revision(officer, factory):
    org = tenant(factory)
    doc = parse(officer.get("/policy/facts", params={"org_id": org, "year": YEAR}).text)
    rent = doc.by_id("fact-annual_rent").text()
    assert "60,000.00 元" in rent and "事实表" in rent
    assert "登记系统" in doc.by_id("fact-in_park").text()
    assert "申报年度" in doc.by_id("fact-year").text()
    token = csrf(officer, f"/policy/facts?org_id={org}&year={YEAR}")
    resp = officer.post("/policy/facts", data={"org_id": str(org), "year": str(YEAR), "name": "annual_rent",
                                               "value": "66000", "note": "补充合同", "csrf_token": token},
                        follow_redirects=False)
    assert resp.status_code == 303 and "ok=fact_recorded" in resp.headers["location"]
    page = officer.get(resp.headers["location"])
    assert "已记录" in page.text
    row = parse(page.text).by_id("fact-annual_rent")
    assert "66,000.00 元" in row.text() and "第2 版" in row.text()
    history = [li.text() for li in row.by_tag("li")]
    assert history[0].startswith("66000") and "补充合同" in history[0] and history[1].startswith("60000")


def test_a_wrong_fact_is_shown_next_to_its_field_and_nothing_is_stored(officer, factory, db):
    org = factory.org()
    token = csrf(officer, f"/policy/facts?org_id={org}&year={YEAR}")
    resp = officer.post("/policy/facts", data={"org_id": str(org), "year": str(YEAR), "name": "annual_rent",
                                               "value": "-100", "csrf_token": token})
    assert resp.status_code == 422
    doc = parse(resp.text)
    assert doc.by_id("record-error").text() == "本入驻年度的房租：不能为负数"
    assert "不能为负数" in doc.by_id("f-value").ancestor(lambda n: "field" in n.classes).text()
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PolicyFact).where(PolicyFact.org_id == org)) == 0


def _sheet(rows: list[list[object]], kind: str = "xlsx") -> tuple[str, bytes, str]:
    if kind == "csv":
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        return "facts.csv", buf.getvalue().encode("utf-8-sig"), "text/csv"
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return "facts.xlsx", out.getvalue(), XLSX


def _upload(client: TestClient, rows: list[list[object]], kind: str = "xlsx"):
    token = csrf(client, "/policy/facts/import")
    return client.post("/policy/facts/import", data={"csrf_token": token}, files={"file": _sheet(rows, kind)})


def _uscc(db, org_id: int) -> str:
    from lishui.registry import Organisation

    with db.unit_of_work() as session:
        return session.get(Organisation, org_id).uscc


def _stored(db) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(PolicyFact)) or 0


def test_facts_import_writes_every_row_or_none(officer, factory, db):
    a, b = factory.org(), factory.org(division="331199")
    header = ["统一社会信用代码", "年度", "annual_rent", "goes_online", "loan_start", "tenancy_year"]
    bad = [header,
           [_uscc(db, a), 2017, "60000", "是", "2017-03-01", ""],
           [_uscc(db, b), 2017, "-5", "也许", "2017-02-30", ""],
           [_uscc(db, b), "二〇一七", "1.234", "", "", ""],
           ["91331102MA2800000X", 2017, "", "", "", ""],
           [_uscc(db, a), 2017, "1", "", "", ""]]
    resp = _upload(officer, bad)
    assert resp.status_code == 422
    errors = [(r[0], r[1]) for r in table_rows(parse(resp.text).by_id("error-table"))]
    assert errors == [("1", "tenancy_year")], "a column the registry provides is refused in the header"
    resp = _upload(officer, [[c for i, c in enumerate(r) if i != 5] for r in bad])
    assert resp.status_code == 422
    doc = parse(resp.text)
    errors = [(r[0], r[1], r[2]) for r in table_rows(doc.by_id("error-table"))]
    assert [(row, col) for row, col, _ in errors] == [
        ("3", "annual_rent"), ("3", "goes_online"), ("3", "loan_start"), ("4", "年度"),
        ("4", "annual_rent"), ("5", "统一社会信用代码"), ("6", "统一社会信用代码")]
    messages = dict(((row, col), msg) for row, col, msg in errors)
    assert "不能为负数" in messages[("3", "annual_rent")]
    assert "是/否" in messages[("3", "goes_online")]
    assert "分" in messages[("4", "annual_rent")]
    assert "与第 2 行是同一机构、同一年度" in messages[("6", "统一社会信用代码")]
    assert _stored(db) == 0
    good = _upload(officer, [header[:5], [_uscc(db, a), 2017, "60000", "是", "2017-03-01"],
                             [_uscc(db, b), 2017, "1200.50", "", ""]], kind="csv")
    assert good.status_code == 200, good.text[:500]
    assert "4 项事实已记录" in parse(good.text).by_id("import-ok").text()
    assert _stored(db) == 4
    again = _upload(officer, [header[:3], [_uscc(db, a), 2017, "60000"], [_uscc(db, b), 2017, "1300"]])
    assert "1 项事实已记录" in again.text and "1 项与已有取值相同" in again.text
    with db.unit_of_work() as session:
        revisions = session.scalars(select(PolicyFact.revision).where(PolicyFact.org_id == b)
                                    .order_by(PolicyFact.revision)).all()
        assert revisions == [1, 2]
        assert session.scalar(select(func.count()).select_from(AuditRecord)
                              .where(AuditRecord.event == "policy.fact.import")) == 2


def test_facts_import_refuses_an_unknown_column_and_organisations_outside_the_scope(app, factory, db):
    far = factory.org(division="331181")
    county = signed_in(app, factory, "county_officer", division="331102")
    unknown = _upload(county, [["统一社会信用代码", "年度", "anual_rent"], [_uscc(db, far), 2017, "1"]])
    assert unknown.status_code == 422
    [row] = table_rows(parse(unknown.text).by_id("error-table"))
    assert row[:2] == ["1", "anual_rent"] and "未知的列" in row[2]
    outside = _upload(county, [["统一社会信用代码", "年度", "annual_rent"], [_uscc(db, far), 2017, "1"]])
    [row] = table_rows(parse(outside.text).by_id("error-table"))
    assert row[:2] == ["2", "统一社会信用代码"] and "不在您的管辖范围" in row[2]
    assert _stored(db) == 0


def test_facts_import_refuses_a_share_above_one(db, factory):
    """Shares, rates and ratios lie between 0 and 1 (no shipped fact is a share yet: a table of one)."""
    org = factory.org()
    symbols = SymbolTable(facts={"online_share": FactDecl(Type.DECIMAL, "线上销售占比")})
    content = _sheet([["统一社会信用代码", "年度", "online_share"], [_uscc(db, org), 2017, "1.2"],
                      [_uscc(db, org), 2016, "0.35"]])[1]
    with db.unit_of_work() as session:
        report = policy_facts.import_facts(session, factory.actor(factory.account("city_officer")), symbols, content)
        assert [(e.row, e.field) for e in report.errors] == [(2, "online_share")]
        assert "比例不能大于1" in report.errors[0].message and report.recorded == 0
    assert _stored(db) == 0


def test_the_import_template_has_the_key_columns_and_the_recordable_facts(officer):
    resp = officer.get("/policy/facts/template")
    header = next(load_workbook(io.BytesIO(resp.content)).worksheets[0].iter_rows(values_only=True))
    assert header[:2] == ("统一社会信用代码", "年度") and "annual_rent" in header and "in_park" not in header


# ---------------------------------------------------------------- the public calculator

def test_the_calculator_works_signed_out(client):
    page = client.get("/calculator")
    assert page.status_code == 200 and "政策计算器" in page.text
    assert_csp_clean(page.text)
    doc = parse(page.text)
    assert doc.by_id("q-M03") and doc.by_id("q-annual_rent")
    answers = {"go": "1", "kind": "enterprise", "division": "331102", "year": "2017", "in_park": "true",
               "tenancy_year": "2", "annual_rent": "60000", "is_ecommerce_trading": "true",
               "is_ecommerce_service": "false", "in_cross_border_park": "false", "received_m03_lifetime": "42000"}
    result = parse(client.get("/calculator", params=answers).text)
    m03 = result.by_id("result-M03").text()
    assert "可能符合" in m03 and "8,000.00" in m03
    m22 = result.by_id("result-M22").text()
    assert "信息不全" in m22 and "本年度网络零售额（经审核）" in m22
    assert result.by_id("calc-total").text() == "8,000.00"


def test_the_calculator_says_what_fails_and_refuses_impossible_answers(client):
    answers = {"go": "1", "kind": "enterprise", "division": "331102", "year": "2017", "in_park": "true",
               "tenancy_year": "4", "annual_rent": "60000", "is_ecommerce_trading": "true",
               "is_ecommerce_service": "false", "in_cross_border_park": "false"}
    m03 = parse(client.get("/calculator", params=answers).text).by_id("result-M03").text()
    assert "暂不符合" in m03 and "房租补助只在入驻后的前三年发放" in m03
    bad = client.get("/calculator", params={**answers, "annual_rent": "-1"})
    assert bad.status_code == 422 and "不能为负数" in bad.text


def test_the_calculator_applies_the_county_pack_and_scope(client):
    answers = {"go": "1", "kind": "enterprise", "division": "331126", "year": "2017", "in_park": "true",
               "tenancy_year": "1", "annual_rent": "10000", "is_ecommerce_trading": "true",
               "is_ecommerce_service": "false", "in_cross_border_park": "false"}
    m03 = parse(client.get("/calculator", params=answers).text).by_id("result-M03").text()
    assert "不适用本政策" in m03
    jinyun = client.get("/calculator", params={**answers, "division": "331122"}).text
    assert "缙云县促进电子商务发展实施办法" in jinyun and "可能符合" in parse(jinyun).by_id("result-M03").text()


def test_a_signed_in_enterprise_starts_from_its_profile(app, factory):
    org = tenant(factory, rent="50000")
    client = signed_in(app, factory, "enterprise_user", org_id=org)
    page = client.get("/calculator")
    assert "从本单位档案开始" in page.text
    doc = parse(client.get("/calculator", params={"profile": "1", "year": "2017"}).text)
    assert "已从" in doc.by_id("profile-note").text()
    assert doc.by_id("q-annual_rent").attrs["value"] == "50000"
    assert "35,000.00" in doc.by_id("result-M03").text()


def test_policy_pages_render_in_english(officer, factory):
    officer.cookies.set("lang", "en")
    page = officer.get(f"/policy/packs/{CITY_PACK}")
    assert "Clauses and measures" in page.text and "Amount formula" in page.text
    assert "Policy calculator" in officer.get("/calculator").text


def test_every_policy_page_is_csp_clean(officer, factory):
    org = tenant(factory)
    run_id = _run_batch(officer)
    for path in ("/policy/packs", f"/policy/packs/{CITY_PACK}/params/m03_cap", "/policy/evaluate",
                 f"/policy/evaluate?org_id={org}&year={YEAR}", "/policy/batch", f"/policy/batch/{run_id}",
                 f"/policy/facts?org_id={org}&year={YEAR}", "/policy/facts/import"):
        resp = officer.get(path)
        assert resp.status_code == 200, path
        assert_csp_clean(resp.text)
        assert csrf_from(resp.text)


# ---------------------------------------------------------------- the demo

def test_the_demo_gives_the_batch_page_candidates_for_several_measures(officer, db):
    from lishui.core.actor import system_actor
    from lishui.policy import demo as policy_demo
    from lishui.policy import service as policy
    from lishui.registry import demo as registry_demo

    actor = system_actor("demo")
    with db.unit_of_work() as session:
        registry_demo.generate(session, actor, enterprises=400)
        made = policy_demo.generate(session, actor)
        assert made.run is not None and made.facts > 300
        run_id = made.run.id
        measures = policy.run_summary(made.run)["measures"]
    found = {m for m, s in measures.items() if s["eligible"]}
    assert {"M01", "M03", "M06", "M08", "M12", "M21", "M22"} <= found
    assert {m for m, s in measures.items() if s["near_miss"]} >= {"M01", "M03", "M22"}
    with db.unit_of_work() as session:
        assert policy_demo.generate(session, actor).facts == 0  # loaded once
    doc = parse(officer.get(f"/policy/batch/{run_id}").text)
    assert len(table_rows(doc.by_id("candidate-table"))) > 20 and len(table_rows(doc.by_id("near-table"))) > 5


def test_a_running_batch_shows_its_progress_and_sends_the_page_on_when_done(officer, factory, db):
    from lishui.policy.models import BatchRun

    with db.unit_of_work() as session:
        waiting = service._new_run(session, factory.actor(factory.account("city_officer")),
                                   service.get_pack(CITY_PACK), YEAR)
        waiting_id = waiting.id
    page = parse(officer.get(f"/policy/batch/{waiting_id}").text)
    box = page.by_id("run-progress")
    assert (box.attrs["data-status"], box.attrs["data-stage"]) == ("running", "loading")
    assert box.attrs["hx-get"] == f"/policy/batch/{waiting_id}/progress" and "every 1s" in box.attrs["hx-trigger"]
    assert page.by_id("run-bar").attrs["max"] == "22"
    fragment = officer.get(f"/policy/batch/{waiting_id}/progress", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Redirect" not in fragment.headers
    with db.unit_of_work() as session:
        assert session.get(BatchRun, waiting_id).status == "running"

    tenant(factory)
    run_id = _run_batch(officer)
    done = officer.get(f"/policy/batch/{run_id}/progress", headers={"HX-Request": "true"})
    assert done.headers["HX-Redirect"] == f"/policy/batch/{run_id}?ok=batch_done"
    assert parse(done.text).by_id("run-progress").attrs["data-status"] == "done"
    assert parse(done.text).by_id("run-bar").attrs["value"] == "22"


def test_a_batch_that_fails_in_the_background_says_why_and_stores_nothing(officer, factory, db, monkeypatch):
    from sqlalchemy import select as sa_select

    from lishui.policy.models import BatchCandidate

    tenant(factory)

    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(service, "_store_batch", broken)
    run_id = _run_batch(officer)
    page = parse(officer.get(f"/policy/batch/{run_id}").text)
    assert page.by_id("run-progress").attrs["data-status"] == "failed"
    assert "磁盘已满" in page.by_id("run-error").text()
    assert "hx-get" not in page.by_id("run-progress").attrs
    with db.unit_of_work() as session:
        assert session.scalars(sa_select(BatchCandidate).where(BatchCandidate.run_id == run_id)).first() is None
