"""A person's journey in a real browser: an enterprise sees the live estimate, saves a claim, uploads its
evidence and submits it; the county reviewer finds it in the queue and passes the preliminary review."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lishui.core.money import Money
from lishui.funds import service
from tests.e2e.conftest import sign_in
from tests.funds.conftest import M22_FACTS, PDF, YEAR

pytestmark = pytest.mark.e2e


def test_enterprise_applies_with_live_estimate_and_reviewer_passes_it(page, watch, shoot, live_server, factory, db):
    city = factory.actor(factory.account("city_officer"))
    with db.unit_of_work() as s:
        service.create_budget(s, city, year=YEAR, lines={("general", "city"): Money.yuan(1_000_000)})
    org = factory.org(division="331102", name="丽水云上电子商务有限公司", bank_account="6228480012345678901",
                      tags=["ecommerce_trading", "in_commerce_stats"])
    factory.facts(org, YEAR, **M22_FACTS, recognised_fair=True, fair_organised_by_commerce=False,
                  booth_fee="20000", image_display_fee="0")
    applicant = factory.account("enterprise_user", org_id=org)
    sign_in(page, live_server, applicant.username, applicant.password)
    # M16 (fairs): the applicant states its own fees; typing one updates the estimate without a reload (htmx).
    # Facts a subsystem provides (online retail comes from accepted statistics) are not asked for at all.
    page.goto(f"{live_server}/funds/apply?year={YEAR}&measure=M16")
    assert "10,000.00" in page.inner_text("#estimate-amount")  # half the booth fee of a self-organised visit
    page.fill("#f-booth_fee", "30000")
    expect(page.locator("#estimate-amount")).to_contain_text("15,000.00")
    page.fill("#f-booth_fee", "")
    expect(page.locator("#estimate-amount")).to_contain_text("10,000.00")
    page.goto(f"{live_server}/funds/apply?year={YEAR}&measure=M22")
    assert "10,000.00" in page.inner_text("#estimate-amount")
    assert page.locator("#f-online_retail").count() == 0
    shoot("funds-apply")
    page.click("#create-claim")
    page.wait_for_selector("#evidence-card")
    assert "统计部门核定的本年度及上年度网络零售额" in page.inner_text("#evidence-card")
    page.set_input_files("#f-file", files=[{"name": "proof.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#upload-evidence")
    page.wait_for_selector("#evidence-list a")
    page.click("#submit-claim")
    page.wait_for_selector("text=待初审")
    claim_id = page.url.split("/funds/claims/")[1].split("?")[0]
    shoot("funds-claim-submitted")
    page.goto(f"{live_server}/funds/my")
    assert f"#{claim_id}" in page.inner_text("#my-claims")

    page.context.clear_cookies()
    reviewer = factory.account("reviewer", division="331102")
    sign_in(page, live_server, reviewer.username, reviewer.password)
    page.goto(f"{live_server}/funds/claims?state=submitted")
    page.click(f"#queue-table a:text('#{claim_id}')")
    assert "online_retail" in page.inner_text("#facts-table")
    page.select_option("#f-action", "prelim_pass")
    page.fill("#f-reason", "材料齐全")
    page.click("#review-submit")
    page.wait_for_selector("text=待市级复审")
    shoot("funds-claim-reviewed")
    assert not watch.problems, watch.problems
