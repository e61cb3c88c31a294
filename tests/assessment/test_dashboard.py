"""Dashboard: charts fed from a JSON block (no inline script), tables under every chart, Excel export."""

from __future__ import annotations

import io
import json
import re

from openpyxl import load_workbook

from lishui.assessment import indicators
from tests.factories import login


def test_dashboard_tables_chart_data_and_export(client, db, factory):
    with db.unit_of_work() as session:
        indicators.load_public_figures(session, factory.system)
        indicators.record(session, factory.system, indicator="taobao_villages", division="331122", period="2018",
                          value="9")
    login(client, factory.account("county_officer", org_id=factory.org(kind="government", division="331122")))
    page = client.get("/assessment/dashboard?indicator=taobao_villages&division=331100&year=2019")
    assert page.status_code == 200
    assert "<script>" not in page.text and 'src="/static/echarts/echarts.min.js"' in page.text
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page.text, re.S)
    assert block
    data = json.loads(block.group(1))
    assert data["trend"]["periods"] == ["2013", "2019"] and data["trend"]["values"] == ["1", "29"]
    assert data["trend"]["public"] == [True, True]
    assert dict(zip(data["counties"]["names"], data["counties"]["values"], strict=True))["缙云县"] == "11"
    assert any(g["id"] == "T6a" and g["percent"] == 100 for g in data["gauges"])
    assert 'id="trend-table"' in page.text and 'id="counties-table"' in page.text and 'id="targets-table"' in page.text
    export = client.get("/assessment/dashboard/export?table=counties&indicator=taobao_villages&year=2019")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "地区" and ("缙云县", 11, "公开数据") in [(r[0], r[1], r[2]) for r in rows]
    # the CSP allows the static chart code
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert client.get("/static/assessment-charts.js").status_code == 200
    assert client.get("/static/echarts/echarts.min.js").status_code == 200


def test_monthly_trend(client, db, factory):
    with db.unit_of_work() as session:
        for month, value in (("2017-01", "100"), ("2017-02", "120")):
            indicators.record(session, factory.system, indicator="city_online_retail", division="331100",
                              period=month, value=value)
    login(client, factory.account("city_officer"))
    page = client.get("/assessment/dashboard?indicator=city_online_retail&year=2017&grain=month")
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page.text, re.S)
    assert block and json.loads(block.group(1))["trend"]["periods"] == ["2017-01", "2017-02"]
    export = client.get("/assessment/dashboard/export?table=trend&indicator=city_online_retail&year=2017&grain=month")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["2017-01", "2017-02"]


def test_a_year_without_county_figures_points_to_the_latest_year_with_them(client, db, factory):
    with db.unit_of_work() as session:
        indicators.load_public_figures(session, factory.system)
    login(client, factory.account("city_officer"))
    empty = client.get("/assessment/dashboard?indicator=taobao_villages&division=331100&year=2021")
    assert empty.status_code == 200 and 'id="counties-latest"' in empty.text
    assert "year=2019" in empty.text.split('id="counties-latest"')[1].split("</div>")[0]
    full = client.get("/assessment/dashboard?indicator=taobao_villages&division=331100&year=2019")
    assert 'id="counties-latest"' not in full.text
