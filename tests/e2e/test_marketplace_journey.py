"""The marketplace journey in a real browser: an enterprise posts a demand, a provider finds it and quotes,
the enterprise accepts the quote and the engagement opens on both sides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lishui.core import clock
from lishui.marketplace import service
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_enterprise_posts_provider_quotes_enterprise_accepts(browser, page, watch, shoot, live_server, db, factory):
    provider_org = factory.org(kind="service_provider", name="瓯江电商代运营有限公司")
    provider_account = factory.account("provider_user", org_id=provider_org)
    provider_actor = factory.actor(provider_account)
    with db.unit_of_work() as session:
        provider = service.apply_as_provider(session, provider_actor, display_name="瓯江代运营", kind="store_operation")
        service.review_provider(session, factory.system, provider.id, approve=True)
    with db.unit_of_work() as session:
        service.create_offering(session, provider_actor, category="store_operation", title="天猫店铺代运营",
                                description="青瓷类目运营", price_min="10000", price_max="50000")
    enterprise = factory.account("enterprise_user", org_id=factory.org(division="331181", name="龙泉青瓷有限公司"))

    # The enterprise posts a demand.
    sign_in(page, live_server, enterprise.username, enterprise.password)
    page.goto(f"{live_server}/marketplace/demands/new")
    page.select_option("#f-category", "store_operation")
    page.fill("#f-title", "龙泉青瓷天猫店代运营")
    page.fill("#f-budget", "30000")
    page.fill("#f-deadline", (clock.today() + timedelta(days=30)).isoformat())
    page.fill("#f-description", "主营青瓷茶具")
    shoot("mp-demand-form")
    page.click("#submit-demand")
    page.wait_for_selector("#demand-title")
    demand_url = page.url.split("?")[0]
    assert page.inner_text("#demand-title") == "龙泉青瓷天猫店代运营"
    assert "瓯江代运营" in page.inner_text("#match-table")  # ranked, with reasons
    shoot("mp-demand-matches")

    # The provider finds it among the demands for it and quotes.
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN")
    other = context.new_page()
    try:
        sign_in(other, live_server, provider_account.username, provider_account.password)
        other.goto(f"{live_server}/marketplace/demands")
        other.click("text=龙泉青瓷天猫店代运营")
        other.fill("#f-amount", "28000")
        other.fill("#f-days", "30")
        other.fill("#f-message", "三个月全店运营")
        other.click("#submit-quote")
        other.wait_for_selector("#quote-table")
        assert "28,000.00" in other.inner_text("#quote-table")
    finally:
        context.close()

    # The enterprise accepts the quote; the engagement opens.
    page.goto(demand_url)
    assert "28,000.00" in page.inner_text("#quote-table")
    page.click("#quote-table button[type=submit]")
    page.wait_for_selector("#engagement-state")
    assert page.inner_text("#engagement-state") == "已接受报价"
    shoot("mp-engagement")
    assert watch.problems == []


def test_the_public_showcase_renders_cleanly(page, watch, live_server, db, factory, settings):
    """Showcase, product with its photo, enterprise, directory and policy lookup: no script error, nothing refused
    by the Content Security Policy, and the search finds the product."""
    import io

    from PIL import Image

    from lishui.marketplace import showcase

    org = factory.org(division="331181", name="龙泉青瓷有限公司")
    actor = factory.actor(factory.account("enterprise_user", org_id=org))
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 110, 90)).save(buf, format="JPEG")
    with db.unit_of_work() as session:
        image = showcase.save_image(session, actor, buf.getvalue(), settings.upload_dir)
        product = showcase.create_product(session, actor, showcase.ProductInput(
            name="梅子青茶具", category="celadon", certifications="地理标志产品",
            links=[("tmall", "https://shop.example.cn/1")]), image_id=image.id)
        product_id = product.id
    page.goto(f"{live_server}/showcase?q=茶具")
    assert page.inner_text("#result-count").replace(" ", "").startswith("共1")
    page.click("text=梅子青茶具")
    page.wait_for_selector("#product-name")
    assert page.url.endswith(f"/showcase/product?id={product_id}")
    assert page.evaluate("document.querySelector('img.product-photo').naturalWidth") == 800
    for path in (f"/showcase/enterprise?id={org}", "/providers", "/policy-lookup?q=园区"):
        page.goto(f"{live_server}{path}")
    assert watch.problems == []
