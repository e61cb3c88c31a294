"""The statistics journey in a real browser: an enterprise reports its month (the inline check catches a part
larger than the total first), the county verifies it, the city accepts it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PageWatch, sign_in
from tests.stats.helpers import chain, months

pytestmark = pytest.mark.e2e


def _as(browser, base: str, account):
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(5000)
    page = context.new_page()
    sign_in(page, base, account.username, account.password)
    return context, page


def test_enterprise_submits_county_verifies_city_accepts(browser, page, watch, shoot, live_server, factory):
    c = chain(factory)
    month = months(1)[0]
    sign_in(page, live_server, c.accounts["enterprise"].username, c.accounts["enterprise"].password)
    page.goto(f"{live_server}/stats")
    shoot("stats-workspace")
    page.click(f'tr[data-period="{month}"] a.btn-primary')
    page.wait_for_selector("#entry-form")
    page.fill("#f-online_retail", "120000")
    page.fill("#f-physical_goods", "100000")
    page.fill("#f-non_physical_goods", "20000")
    page.fill("#f-agricultural_retail", "130000")
    page.dispatch_event("#f-agricultural_retail", "change")
    page.wait_for_selector("#check-result.alert-error")
    assert "分项不能大于合计" in page.inner_text("#check-result")
    page.fill("#f-agricultural_retail", "30000")
    page.dispatch_event("#f-agricultural_retail", "change")
    page.wait_for_selector("#check-result.alert-success")
    shoot("stats-entry")
    page.click("#submit-report")
    page.wait_for_selector("#values-table")
    assert "已报送" in page.inner_text("#status")
    report_url = page.url.split("?")[0]

    county_ctx, county = _as(browser, live_server, c.accounts["county"])
    county_watch = PageWatch(county)
    county.goto(f"{live_server}/stats/submissions?status=submitted")
    county.click(f'a[href="{report_url.removeprefix(live_server)}"]')
    county.fill("#f-vnote", "与企业台账核对一致")
    county.click("#verify-form button[type=submit]")
    county.wait_for_selector("#status")
    assert "县（区）已审核" in county.inner_text("#status")
    county_ctx.close()

    city_ctx, city = _as(browser, live_server, c.accounts["city"])
    city_watch = PageWatch(city)
    city.goto(f"{live_server}/stats/submissions?status=verified")
    city.click(f'a[href="{report_url.removeprefix(live_server)}"]')
    city.click("#accept-form button[type=submit]")
    city.wait_for_selector("#status")
    assert "市级已确认" in city.inner_text("#status")
    assert "与企业台账核对一致" in city.inner_text("#officer-note")
    city_ctx.close()

    page.goto(report_url)
    assert "市级已确认" in page.inner_text("#status")
    shoot("stats-accepted")
    assert not (watch.problems or county_watch.problems or city_watch.problems), \
        watch.problems + county_watch.problems + city_watch.problems


def test_a_county_officer_finds_an_organisation_by_name_and_registers_its_recognition(page, watch, shoot,
                                                                                        live_server, factory, db):
    from tests.stats.test_imports import uscc_of

    c = chain(factory, "331102")
    park = factory.org(kind="park_operator", division="331102", name="莲都云谷电商园运营有限公司")
    elsewhere = factory.org(kind="park_operator", division="331122", name="缙云云谷电商园运营有限公司")
    sign_in(page, live_server, c.accounts["county"].username, c.accounts["county"].password)
    page.goto(f"{live_server}/stats/forms/DEMO_RECOGNITION/entry")
    page.fill("#f-entity", "云谷")
    page.dispatch_event("#f-entity", "input")
    page.locator("#entity-options option").first.wait_for(state="attached")
    for _ in range(50):  # htmx swaps the options in after 300 ms of no typing
        if page.locator("#entity-options option").count() == 1:
            break
        page.wait_for_timeout(100)
    offered = page.eval_on_selector_all("#entity-options option", "els => els.map(e => [e.value, e.textContent])")
    assert offered == [[uscc_of(db, park), "莲都云谷电商园运营有限公司"]], "only the officer's own county"
    assert uscc_of(db, elsewhere) not in str(offered)
    page.fill("#f-entity", uscc_of(db, park))
    page.fill("#f-period", "2017")
    page.fill("#f-base_level", "2")
    page.fill("#f-document", "浙商务发〔2017〕88号")
    shoot("stats-recognition-entry")
    page.click("#submit-report")
    page.wait_for_selector("#values-table")
    assert "已报送" in page.inner_text("#status") and "浙商务发〔2017〕88号" in page.inner_text("#values-table")
    assert not watch.problems, watch.problems
