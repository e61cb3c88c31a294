"""The journey of issue 2: a city officer signs in, imports an Excel file with one bad row, sees the row
and column, fixes the file, imports it, and finds the organisation in the list."""

from __future__ import annotations

import io
import random

import pytest
from openpyxl import Workbook

from lishui.core.ids import uscc_check_char
from lishui.registry.demo import make_uscc
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

HEADER = ["统一社会信用代码", "名称", "机构类别", "所属县（区）", "乡镇（街道）", "联系人", "联系电话", "标签"]


def _workbook(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rows() -> list[list[str]]:
    rng = random.Random(2015)
    return [[make_uscc(rng, "331122"), name, "企业", "缙云县", town, "李四", "0578-3000000", "电商交易"]
            for name, town in [("缙云烧饼网络科技有限公司", "五云街道"), ("壶镇户外用品电子商务有限公司", "壶镇镇"),
                               ("仙都茭白农业开发有限公司", "")]]


def _upload(page, name: str, content: bytes) -> None:
    page.set_input_files("#f-file", {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument."
                                                                "spreadsheetml.sheet", "buffer": content})
    page.click("form.upload-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_import_with_a_bad_row_then_fixed_and_found_in_the_list(page, watch, shoot, live_server, factory):
    account = factory.account("city_officer")
    rows = _rows()
    good_code = rows[1][0]
    bad_char = "0" if good_code[17] != "0" else "1"
    rows[1][0] = good_code[:17] + bad_char

    sign_in(page, live_server, account.username, account.password)
    page.click(".sidebar >> text=批量导入")
    page.wait_for_url(f"{live_server}/registry/orgs/import")

    _upload(page, "机构导入.xlsx", _workbook(rows))
    assert page.locator("#import-errors").is_visible()
    assert "未写入任何数据" in page.inner_text("#import-errors")
    cells = page.locator("#error-table tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "统一社会信用代码"
    assert f"应为“{uscc_check_char(good_code[:17])}”" in cells[2] and f"实际为“{bad_char}”" in cells[2]
    assert page.locator("#error-table tbody tr").count() == 1
    shoot("import-errors")

    rows[1][0] = good_code
    _upload(page, "机构导入-已修正.xlsx", _workbook(rows))
    assert "导入成功" in page.inner_text("#import-ok")
    assert "3" in page.inner_text("#import-ok")
    shoot("import-ok")

    page.click("#import-ok >> text=查看机构名录")
    page.wait_for_url(f"{live_server}/registry/orgs")
    page.fill("#f-q", "壶镇户外")
    page.click("form.filter-bar button[type=submit]")
    page.wait_for_url("**/registry/orgs?q=*")
    table = page.locator("#org-table tbody tr")
    assert table.count() == 1
    assert table.first.locator("td").all_inner_texts()[:5] == [
        "壶镇户外用品电子商务有限公司", good_code, "企业", "缙云县", "壶镇镇"]
    shoot("list-search")
    table.first.locator("a").click()
    page.wait_for_url(f"{live_server}/registry/orgs/*")
    assert page.inner_text("h1") == "壶镇户外用品电子商务有限公司"
    assert watch.problems == []


def test_township_choices_follow_the_chosen_county(page, watch, live_server, factory):
    account = factory.account("city_officer")
    sign_in(page, live_server, account.username, account.password)
    page.goto(f"{live_server}/registry/orgs/new")

    def enabled_towns() -> list[str]:
        return page.eval_on_selector_all(
            "#f-township_code optgroup:not([disabled]) option", "options => options.map(o => o.value)")

    assert page.is_disabled("#f-township_code")  # no county chosen yet
    page.select_option("#f-division_code", "331122")
    towns = enabled_towns()
    assert len(towns) == 18 and all(code.startswith("331122") for code in towns)
    page.select_option("#f-township_code", "331122101")
    page.select_option("#f-division_code", "331181")
    assert page.input_value("#f-township_code") == ""  # the 缙云 township no longer fits
    assert all(code.startswith("331181") for code in enabled_towns())
    page.select_option("#f-division_code", "331199")
    assert len(enabled_towns()) == 173  # the zone may name any township
    page.select_option("#f-division_code", "331100")
    assert page.is_disabled("#f-township_code")  # city-level units have none
    assert watch.problems == []
