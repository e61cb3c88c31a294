"""The policy engine as people use it, in a real browser: a city officer publishes the pack, runs 免申即享 over
every organisation, downloads the Excel list and opens one candidate's clause-by-clause explanation; a citizen
uses the public calculator signed out."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

YEAR = 2017


def test_an_officer_publishes_runs_a_batch_downloads_it_and_reads_an_explanation(page, watch, shoot, live_server,
                                                                                  factory):
    firm = factory.org(division="331102", name="莲都山茶油网络科技有限公司")
    factory.facts(firm, YEAR, online_retail_included=True, first_included_year=YEAR, online_retail="8000000",
                  online_retail_base="0")
    grower = factory.org(division="331199", name="开发区竹制品电子商务有限公司")
    factory.facts(grower, YEAR, online_retail_included=True, first_included_year=2015,
                  online_retail="13000000.00", online_retail_base="10000000.00")
    account = factory.account("city_officer")
    sign_in(page, live_server, account.username, account.password)

    page.goto(f"{live_server}/policy/packs")
    assert page.get_attribute("#pack-list [data-state]", "data-state") == "draft"
    page.click("#pack-list a.pack-title >> nth=0")
    page.wait_for_selector("#publish-form")
    page.fill("#f-note", "市政府常务会议审议通过")
    page.click("#publish-form button[type=submit]")
    page.wait_for_url("**/policy/packs/lishui-2015%402015.1?ok=published")
    assert page.get_attribute("#pack-state", "data-state") == "published"
    assert "市政府常务会议审议通过" in page.inner_text("#publication")
    shoot("policy-published")

    page.goto(f"{live_server}/policy/batch")
    page.select_option("#f-pack", "lishui-2015@2015.1")
    page.select_option("#f-year", str(YEAR))
    page.click("form.toolbar button[type=submit]")
    # The run works in the background: its page shows the progress until the results replace it (at once if
    # the run has already finished).
    page.wait_for_selector("#stat-candidates", timeout=60000)
    assert page.inner_text("#stat-candidates").strip() == "1"
    candidates = page.inner_text("#candidate-table")
    assert "莲都山茶油网络科技有限公司" in candidates and "30,000.00" in candidates
    near = page.inner_text("#near-table")
    assert "开发区竹制品电子商务有限公司" in near and "莲都山茶油" not in near
    shoot("policy-run")

    with page.expect_download() as download:
        page.click("a[href$='/export']")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["类型", "措施", "措施名称"]
    assert rows[1][:2] == ["符合条件（候选）", "M21"] and rows[1][4] == "莲都山茶油网络科技有限公司"

    page.click("#candidate-table a.btn")
    page.wait_for_selector("#explanation")
    assert page.inner_text("#amount").strip() == "30,000.00"
    explanation = page.inner_text("#explanation")
    assert "M21" in explanation and "二(七)" in explanation
    shoot("policy-explanation")
    assert watch.problems == []


def test_a_citizen_uses_the_calculator_signed_out(page, watch, shoot, live_server):
    page.goto(f"{live_server}/calculator")
    page.select_option("#q-kind", "enterprise")
    page.wait_for_selector("#q-annual_rent")
    page.select_option("#q-division", "331102")
    page.wait_for_selector("#q-annual_rent")
    page.select_option("#q-year", str(YEAR))
    page.wait_for_selector("#q-annual_rent")
    page.select_option("#q-in_park", "true")
    page.select_option("#q-is_ecommerce_trading", "true")
    page.select_option("#q-is_ecommerce_service", "false")
    page.select_option("#q-in_cross_border_park", "false")
    page.fill("#q-tenancy_year", "1")
    page.fill("#q-annual_rent", "60000")
    page.click("button[name=go]")
    page.wait_for_selector("#result-M03")
    m03 = page.inner_text("#result-M03")
    assert "可能符合" in m03 and "42,000.00" in m03
    shoot("policy-calculator")
    page.fill("#q-annual_rent", "-1")
    page.click("button[name=go]")
    page.wait_for_selector("#q-annual_rent[aria-invalid=true]")
    assert watch.problems == []
