"""Every registry page in a real browser: it renders, nothing is refused by the Content Security Policy,
no script fails, and the English switch changes the language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lishui.registry import service
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def registry_data(db, factory) -> dict[str, int]:
    operator = factory.org(kind="park_operator", division="331122", name="缙云电商园运营管理有限公司")
    tenant = factory.org(division="331122", name="缙云烧饼网络科技有限公司", township="331122001",
                         bank_account="6228480000000001234", tags=["ecommerce_trading", "in_commerce_stats"])
    system = factory.system
    with db.unit_of_work() as session:
        park = service.create_park(session, system, name="缙云电商创业园", operator_org_id=operator,
                                   division_code="331122", total_area_m2=Decimal("18000"),
                                   opened_on=date(2014, 9, 1), address="缙云县五云街道电商路8号")
        service.add_tenancy(session, system, park.id, org_id=tenant, move_in_date=date(2015, 3, 1),
                            leased_area_m2=Decimal("420.5"))
        person = service.create_person(session, system, name="李丽", id_number="11010519491231002X",
                                       division_code="331122", org_id=tenant, phone="13800000000")
        return {"org": tenant, "park": park.id, "person": person.id}


def test_every_registry_page_renders_cleanly_in_chinese_and_english(page, watch, shoot, live_server, factory,
                                                                      registry_data):
    page.goto(f"{live_server}/login")
    shoot("zh-login")
    account = factory.account("city_officer")
    sign_in(page, live_server, account.username, account.password)
    shoot("zh-home")
    pages = {
        "list": ("/registry/orgs", "机构名录", "Organisations"),
        "detail": (f"/registry/orgs/{registry_data['org']}", "缙云烧饼网络科技有限公司", "缙云烧饼网络科技有限公司"),
        "org-new": ("/registry/orgs/new", "登记机构", "New organisation"),
        "import": ("/registry/orgs/import", "批量导入机构", "Import organisations"),
        "parks": ("/registry/parks", "电子商务园区", "E-commerce parks"),
        "park": (f"/registry/parks/{registry_data['park']}", "缙云电商创业园", "缙云电商创业园"),
        "park-new": ("/registry/parks/new", "登记园区", "New park"),
        "people": ("/registry/people", "人员", "People"),
        "person": (f"/registry/people/{registry_data['person']}", "李丽", "李丽"),
        "person-new": ("/registry/people/new", "登记人员", "New person"),
        "divisions": ("/registry/divisions", "行政区划", "Divisions"),
    }
    for lang in ("zh", "en"):
        if lang == "en":
            page.click("a.lang")
            page.wait_for_load_state("domcontentloaded")
            assert page.get_attribute("html", "lang") == "en"
            shoot("en-home")
        for name, (path, zh, en) in pages.items():
            response = page.goto(live_server + path)
            assert response is not None and response.status == 200, path
            assert page.inner_text("h1") == (zh if lang == "zh" else en), path
            assert page.locator(".side-link.active").count() == 1, path
            shoot(f"{lang}-{name}")
    # A refused form, to see the errors as a person does.
    page.goto(f"{live_server}/registry/orgs/new")
    page.fill("#f-uscc", "91330100716105852A")
    page.fill("#f-name", "X")
    page.click("form.form-card button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator(".field.has-error").count() >= 3
    shoot("en-form-errors")
    assert watch.problems == []


def test_the_credit_code_is_checked_while_typing(page, watch, live_server, factory):
    account = factory.account("city_officer")
    sign_in(page, live_server, account.username, account.password)
    page.goto(f"{live_server}/registry/orgs/new")
    page.fill("#f-uscc", "91330100716105852A")
    page.locator("#uscc-check .field-error").wait_for()
    assert "应为“F”" in page.inner_text("#uscc-check")
    page.fill("#f-uscc", "91330100716105852F")
    page.locator("#uscc-check .field-ok").wait_for()
    assert watch.problems == []
