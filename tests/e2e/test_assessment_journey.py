"""Responsibility tasks as people use them, in a real browser: a city officer generates the task list, a county
officer reports progress with an attachment, the officer moves the deadline into the past and the task shows red,
the dashboard draws its charts under the strict CSP, and the officer publishes a bulletin and downloads its PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lishui.assessment import indicators
from tests.e2e.conftest import PageWatch, sign_in

pytestmark = pytest.mark.e2e


def test_generate_report_overdue_red_dashboard_and_bulletin(page, watch, shoot, live_server, browser, factory,
                                                           db, tmp_path):
    factory.org(kind="government", division="331100", name="丽水市商务局")
    liandu = factory.org(kind="government", division="331102", name="莲都区商务局")
    with db.unit_of_work() as session:
        indicators.load_public_figures(session, factory.system)
    officer = factory.account("city_officer")
    county = factory.account("county_officer", org_id=liandu)
    sign_in(page, live_server, officer.username, officer.password)

    page.goto(f"{live_server}/assessment/tasks")
    page.fill("#f-year", "2017")
    page.fill("#f-due", (dt.date.today() + dt.timedelta(days=60)).isoformat())
    page.click("#generate-form button[type=submit]")
    page.wait_for_url("**/assessment/tasks?year=2017&message=*")
    assert "已生成" in page.inner_text("#task-message")
    assert page.locator("#task-table tr[data-colour='green']").count() > 100
    shoot("assessment-tasks")

    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    unit = context.new_page()
    unit_watch = PageWatch(unit)
    sign_in(unit, live_server, county.username, county.password)
    unit.goto(f"{live_server}/assessment/tasks?year=2017")
    assert "缙云县人民政府" not in unit.inner_text("#task-table")
    unit.click("#task-table a >> nth=0")
    unit.wait_for_selector("#report-form")
    task_url = unit.url
    unit.fill("#f-text", "已建成村级服务站 120 个，正在验收")
    unit.fill("#f-figures", "建成站点: 120")
    attachment = tmp_path / "进展.csv"
    attachment.write_text("站点,数量\n莲都,120\n", encoding="utf-8")
    unit.set_input_files("#f-attachment", str(attachment))
    unit.click("#report-form button[type=submit]")
    unit.wait_for_url("**?ok=saved")
    assert "已建成村级服务站" in unit.inner_text("#event-table") and "进展.csv" in unit.inner_text("#event-table")
    shoot("assessment-task-reported")
    assert unit_watch.problems == []
    context.close()

    page.goto(task_url)
    assert "已建成村级服务站" in page.inner_text("#event-table")
    page.fill("#f-due", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    page.click("form[action$='/deadline'] button[type=submit]")
    page.wait_for_url("**?ok=saved")
    assert page.get_attribute("#task-colour", "data-colour") == "red"
    page.goto(f"{live_server}/assessment/tasks?year=2017&colour=red")
    assert page.locator("#task-table tr[data-colour='red']").count() == 1

    page.goto(f"{live_server}/assessment/dashboard?indicator=taobao_villages&division=331100&year=2019")
    page.wait_for_selector("body[data-charts-ready='3']")
    assert page.locator("#county-chart canvas").count() == 1 and page.locator("#gauge-chart canvas").count() == 1
    assert "缙云县" in page.inner_text("#counties-table")
    shoot("assessment-dashboard")

    page.goto(f"{live_server}/assessment/bulletins")
    page.fill("#publish-form input[name=period]", "2017")
    page.click("#publish-form button[type=submit]")
    page.wait_for_url("**/assessment/bulletins/*?ok=published", timeout=20000)
    assert "莲都区人民政府" in page.inner_text("#bulletin-overdue")
    page.wait_for_selector("body[data-charts-ready='2']")
    assert page.locator("#ranking-chart canvas").count() == 1
    shoot("assessment-bulletin")
    with page.expect_download() as download:
        page.click("#bulletin-pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert watch.problems == []
