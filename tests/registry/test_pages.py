"""Registry pages through the app with a signed-in browser session (cookie login)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.factories import csrf, login
from tests.registry.conftest import HEADERS, bad_check_char, csv_bytes, org_rows, xlsx_bytes
from tests.registry.htmlq import field_error, parse, table_rows

VALID = "91330100716105852F"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def officer(client, factory) -> TestClient:
    return login(client, factory.account("city_officer"))


def signed_in(app, factory, role: str, **kw: object) -> TestClient:
    return login(TestClient(app, base_url="http://127.0.0.1"), factory.account(role, **kw))


def _org_form(client: TestClient, **kw: str) -> dict[str, object]:
    data: dict[str, object] = {"csrf_token": csrf(client, "/registry/orgs/new"), "uscc": VALID,
                               "name": "页面测试电子商务有限公司", "kind": "enterprise", "division_code": "331122",
                               "township_code": "", "tags": ["ecommerce_trading", "in_commerce_stats"]}
    data.update(kw)
    return data


# ---------------------------------------------------------------- list

def test_list_searches_filters_and_paginates(officer, factory):
    for i in range(23):
        factory.org(division="331122", name=f"名录分页{i:02d}有限公司")
    factory.org(division="331181", name="名录分页龙泉有限公司", tags=["cross_border"])
    doc = parse(officer.get("/registry/orgs", params={"q": "名录分页"}).text)
    assert "24" in doc.by_id("result-count").text()
    assert len(table_rows(doc.by_id("org-table"))) == 20
    current = doc.by_class("pager")[0].by_class("current")[0]
    assert current.text() == "1"
    second = officer.get("/registry/orgs", params={"q": "名录分页", "page": 2})
    rows = table_rows(parse(second.text).by_id("org-table"))
    assert len(rows) == 4
    by_county = table_rows(parse(officer.get("/registry/orgs", params={"q": "名录分页", "division": "331181"})
                                 .text).by_id("org-table"))
    assert [r[0] for r in by_county] == ["名录分页龙泉有限公司"]
    assert by_county[0][3] == "龙泉市" and by_county[0][5] == "跨境电商"
    by_tag = table_rows(parse(officer.get("/registry/orgs", params={"q": "名录分页", "tag": "cross_border"})
                              .text).by_id("org-table"))
    assert [r[0] for r in by_tag] == ["名录分页龙泉有限公司"]
    empty = parse(officer.get("/registry/orgs", params={"q": "没有这样的名字"}).text)
    assert table_rows(empty.by_id("org-table")) == [["没有符合条件的机构"]]


def test_the_filter_survives_in_pager_and_export_links(officer, factory):
    for i in range(21):
        factory.org(division="331122", name=f"链接保留{i:02d}有限公司")
    html = officer.get("/registry/orgs", params={"q": "链接保留", "division": "331122"}).text
    query = "q=%E9%93%BE%E6%8E%A5%E4%BF%9D%E7%95%99&amp;kind=&amp;division=331122&amp;tag="
    assert f"/registry/orgs?{query}&amp;page=2" in html
    assert f"/registry/orgs/export?{query}&amp;format=xlsx" in html


def test_county_officer_list_and_detail_are_scoped(app, factory):
    own = factory.org(division="331122", name="本县页面测试有限公司")
    other = factory.org(division="331181", name="外县页面测试有限公司")
    client = signed_in(app, factory, "county_officer", division="331122")
    html = client.get("/registry/orgs", params={"q": "页面测试"}).text
    assert "本县页面测试有限公司" in html and "外县页面测试有限公司" not in html
    assert client.get(f"/registry/orgs/{own}").status_code == 200
    missing = client.get(f"/registry/orgs/{other}")
    assert missing.status_code == 404 and "外县页面测试有限公司" not in missing.text


def test_text_fields_are_shown_as_text_not_markup(officer, factory):
    org_id = factory.org(division="331122", name="<script>alert(1)</script>有限公司")
    for path in ("/registry/orgs?q=script", f"/registry/orgs/{org_id}"):
        html = officer.get(path).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in html


def test_detail_shows_the_masked_account_and_reveals_it_with_a_reason(officer, factory):
    org_id = factory.org(division="331122", bank_account="6228480000000001234")
    doc = parse(officer.get(f"/registry/orgs/{org_id}").text)
    assert doc.by_id("bank-account").text() == "**** **** 1234"
    token = csrf(officer, f"/registry/orgs/{org_id}")
    refused = officer.post(f"/registry/orgs/{org_id}/reveal", data={"reason": "", "csrf_token": token})
    assert refused.status_code == 422 and "请说明查看原因" in refused.text
    shown = officer.post(f"/registry/orgs/{org_id}/reveal", data={"reason": "核对拨付账户", "csrf_token": token})
    assert parse(shown.text).by_id("bank-account").text() == "6228480000000001234"


def test_sidebar_marks_only_the_current_entry(officer):
    doc = parse(officer.get("/registry/orgs/import").text)
    active = [a.text() for a in doc.by_class("side-link") if "active" in a.classes]
    assert active == ["批量导入"]
    doc = parse(officer.get("/registry/orgs/new").text)
    assert [a.text() for a in doc.by_class("side-link") if "active" in a.classes] == ["机构名录"]


# ---------------------------------------------------------------- create and edit

def test_create_form_shows_each_error_next_to_its_field(officer):
    resp = officer.post("/registry/orgs/new", data=_org_form(officer, uscc=bad_check_char(VALID), name="X",
                                                             kind="", contact_phone="phone"))
    assert resp.status_code == 422
    doc = parse(resp.text)
    assert "应为“F”" in field_error(doc, "uscc")
    assert field_error(doc, "name") == "至少2个字符"
    assert field_error(doc, "kind") == "请选择机构类别"
    assert field_error(doc, "contact_phone") == "只能包含数字、空格和 + - ( )"
    assert field_error(doc, "division_code") == ""
    # What was typed stays in the form.
    assert doc.by_id("f-uscc").attrs["value"] == bad_check_char(VALID)
    assert doc.by_id("f-contact_phone").attrs["value"] == "phone"
    assert 'value="ecommerce_trading" checked' in resp.text


def test_create_then_the_detail_page_shows_it(officer):
    resp = officer.post("/registry/orgs/new", data=_org_form(officer, township_code="331122001"),
                        follow_redirects=False)
    assert resp.status_code == 303
    assert re.fullmatch(r"/registry/orgs/\d+\?ok=created", resp.headers["location"])
    page = officer.get(resp.headers["location"])
    assert "已创建" in page.text and "页面测试电子商务有限公司" in page.text and "五云街道" in page.text


def test_duplicate_credit_code_on_the_form_names_the_existing_organisation(officer, factory):
    officer.post("/registry/orgs/new", data=_org_form(officer, name="已在册电子商务有限公司"))
    resp = officer.post("/registry/orgs/new", data=_org_form(officer, name="重复登记有限公司"))
    assert resp.status_code == 409
    doc = parse(resp.text)
    assert "已在册电子商务有限公司" in doc.by_id("form-message").text()
    assert field_error(doc, "uscc") == "已登记为“已在册电子商务有限公司”"


def test_township_of_another_county_is_refused_next_to_the_township(officer):
    resp = officer.post("/registry/orgs/new", data=_org_form(officer, township_code="331181001"))
    assert resp.status_code == 422
    assert "不属于所选县（区）" in field_error(parse(resp.text), "township_code")


def test_the_form_groups_townships_by_county_for_the_filter_script(officer):
    doc = parse(officer.get("/registry/orgs/new").text)
    assert doc.by_id("f-division_code").attrs["data-townships"] == "f-township_code"
    groups = doc.by_id("f-township_code").by_tag("optgroup")
    assert len(groups) == 9
    jinyun = next(g for g in groups if g.attrs["data-county"] == "331122")
    assert all(o.attrs["value"].startswith("331122") for o in jinyun.by_tag("option"))
    levels = {o.attrs.get("value"): o.attrs.get("data-level") for o in doc.by_id("f-division_code").by_tag("option")}
    assert levels["331122"] == "county" and levels["331199"] == "zone" and levels["331100"] == "city"


def test_edit_with_a_stale_revision_is_refused_and_the_form_kept(officer, factory):
    org_id = factory.org(division="331122", name="编辑测试有限公司")
    token = csrf(officer, f"/registry/orgs/{org_id}/edit")
    base = {"csrf_token": token, "name": "编辑后有限公司", "kind": "enterprise", "division_code": "331122",
            "revision": "1"}
    ok = officer.post(f"/registry/orgs/{org_id}/edit", data=base, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == f"/registry/orgs/{org_id}?ok=saved"
    stale = officer.post(f"/registry/orgs/{org_id}/edit", data={**base, "name": "过期的修改有限公司"})
    assert stale.status_code == 409
    doc = parse(stale.text)
    assert "已被他人修改" in doc.by_id("form-message").text()
    assert doc.by_id("f-name").attrs["value"] == "过期的修改有限公司"
    assert "编辑后有限公司" in officer.get(f"/registry/orgs/{org_id}").text


def test_enterprise_user_edits_its_own_contact_only(app, factory):
    org_id = factory.org(division="331122", name="自助编辑有限公司")
    other = factory.org(division="331122")
    client = signed_in(app, factory, "enterprise_user", org_id=org_id)
    page = client.get(f"/registry/orgs/{org_id}/edit")
    assert page.status_code == 200
    token = csrf(client, f"/registry/orgs/{org_id}/edit")
    resp = client.post(f"/registry/orgs/{org_id}/edit", data={
        "csrf_token": token, "name": "自助编辑有限公司", "kind": "enterprise", "division_code": "331122",
        "contact_name": "钱七", "revision": "1"}, follow_redirects=False)
    assert resp.status_code == 303
    assert "钱七" in client.get(f"/registry/orgs/{org_id}").text
    assert client.get(f"/registry/orgs/{other}/edit").status_code == 404
    assert client.get("/registry/orgs/new").status_code == 403


# ---------------------------------------------------------------- import and export

def _upload(client: TestClient, content: bytes, name: str = "orgs.xlsx", media: str = XLSX):
    return client.post("/registry/orgs/import", data={"csrf_token": csrf(client, "/registry/orgs/import")},
                       files={"file": (name, content, media)})


def test_import_page_lists_each_bad_row_with_column_and_reason(officer):
    rows = org_rows(40)
    rows[4][0] = bad_check_char(rows[4][0])
    rows[20][12] = "2015-02-30"
    resp = _upload(officer, xlsx_bytes(HEADERS, rows))
    assert resp.status_code == 422
    doc = parse(resp.text)
    assert "未写入任何数据" in doc.by_id("import-errors").text()
    table = table_rows(doc.by_id("error-table"))
    assert [(r[0], r[1]) for r in table] == [("6", "统一社会信用代码"), ("22", "成立日期")]
    assert "校验位错误" in table[0][2] and "日期格式" in table[1][2]
    assert "导入测试0000号" not in officer.get("/registry/orgs", params={"q": "导入测试"}).text


def test_import_page_reports_success_and_the_list_shows_the_rows(officer):
    resp = _upload(officer, csv_bytes(HEADERS, org_rows(12), "gb18030"), "orgs.csv", "text/csv")
    assert resp.status_code == 200
    assert "12" in parse(resp.text).by_id("import-ok").text()
    listed = parse(officer.get("/registry/orgs", params={"q": "导入测试"}).text)
    assert "12" in listed.by_id("result-count").text()


def test_import_page_refuses_a_wrong_header_naming_the_column(officer):
    headers = [h if h != "机构类别" else "类别" for h in HEADERS]
    resp = _upload(officer, xlsx_bytes(headers, org_rows(2)))
    assert resp.status_code == 422
    doc = parse(resp.text)
    assert doc.by_id("import-error").text().startswith("表头与模板不符")
    table = table_rows(doc.by_id("error-table"))
    assert ["1", "机构类别", "缺少必需的列“机构类别”"] in table
    assert any(r[1] == "类别" and "未知的列" in r[2] for r in table)


def test_import_page_refuses_a_file_that_is_not_a_spreadsheet(officer):
    resp = _upload(officer, b"\x89PNG\r\n\x1a\nnot a sheet", "orgs.xlsx")
    assert resp.status_code == 415
    assert "请上传 Excel（.xlsx）或 CSV 文件" in parse(resp.text).by_id("import-error").text()


def test_import_is_refused_to_roles_without_the_permission(app, factory):
    client = signed_in(app, factory, "reviewer", division="331122")
    assert client.get("/registry/orgs/import").status_code == 403
    resp = client.post("/registry/orgs/import", data={"csrf_token": csrf(client)},
                       files={"file": ("orgs.xlsx", xlsx_bytes(HEADERS, org_rows(1)), XLSX)})
    assert resp.status_code == 403


def test_export_downloads_the_filtered_list_as_xlsx(officer, factory):
    factory.org(division="331122", name="导出甲有限公司")
    factory.org(division="331181", name="导出乙有限公司")
    resp = officer.get("/registry/orgs/export", params={"q": "导出", "division": "331122", "format": "xlsx"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == XLSX
    stamp = date.today().strftime("%Y%m%d")
    assert resp.headers["content-disposition"] == f'attachment; filename="organisations-{stamp}.xlsx"'
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "统一社会信用代码", "名称")
    assert [r[2] for r in rows[1:]] == ["导出甲有限公司"]


def test_export_csv_is_utf8_with_bom_and_templates_download(officer):
    resp = officer.get("/registry/orgs/export", params={"format": "csv"})
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    assert resp.headers["content-disposition"].startswith('attachment; filename="organisations-')
    assert resp.content.startswith(b"\xef\xbb\xbf") and "统一社会信用代码" in resp.content.decode("utf-8-sig")
    template = officer.get("/registry/orgs/template", params={"format": "xlsx"})
    assert template.headers["content-disposition"] == 'attachment; filename="organisations-template.xlsx"'
    header = next(load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert list(header) == HEADERS


def test_export_is_refused_to_an_enterprise_user(app, factory):
    client = signed_in(app, factory, "enterprise_user")
    assert client.get("/registry/orgs/export").status_code == 403


# ---------------------------------------------------------------- parks and people

@pytest.fixture
def operator(factory) -> int:
    return factory.org(kind="park_operator", division="331122", name="页面园区运营有限公司")


def test_park_form_errors_then_creation(officer, operator):
    form = {"csrf_token": csrf(officer, "/registry/parks/new"), "name": "页面测试园区", "operator_org_id": "",
            "division_code": "331122", "total_area_m2": "12.345", "opened_on": "2016-02-30"}
    resp = officer.post("/registry/parks/new", data=form)
    assert resp.status_code == 422
    doc = parse(resp.text)
    assert field_error(doc, "operator_org_id") == "应为整数"
    assert field_error(doc, "total_area_m2") == "最多保留2位小数"
    assert field_error(doc, "opened_on").startswith("日期格式")
    assert doc.by_id("f-name").attrs["value"] == "页面测试园区"
    options = [o.text() for o in doc.by_id("f-operator_org_id").by_tag("option")]
    assert "页面园区运营有限公司" in options
    ok = officer.post("/registry/parks/new", data={**form, "operator_org_id": str(operator),
                                                    "total_area_m2": "12000.5", "opened_on": "2016-02-29"},
                      follow_redirects=False)
    assert ok.status_code == 303
    detail = officer.get(ok.headers["location"])
    assert "页面测试园区" in detail.text and "12,000.50" in detail.text and "页面园区运营有限公司" in detail.text
    assert "页面测试园区" in officer.get("/registry/parks").text


def test_park_operator_of_the_wrong_kind_is_refused_next_to_the_field(officer, factory):
    enterprise = factory.org(division="331122", name="不是运营方有限公司")
    resp = officer.post("/registry/parks/new", data={
        "csrf_token": csrf(officer, "/registry/parks/new"), "name": "错误园区", "operator_org_id": str(enterprise),
        "division_code": "331122", "total_area_m2": "100"})
    assert resp.status_code == 422
    assert field_error(parse(resp.text), "operator_org_id") == "“不是运营方有限公司”不是园区运营方"


def test_add_a_tenant_on_the_park_page(officer, factory, db, city, operator):
    from decimal import Decimal

    from lishui.registry import service

    with db.unit_of_work() as session:
        park_id = service.create_park(session, city, name="租户页面园区", operator_org_id=operator,
                                      division_code="331122", total_area_m2=Decimal(5000)).id
    tenant = factory.org(division="331122", name="页面入驻有限公司")
    with db.unit_of_work() as session:
        uscc = session.get(service.Organisation, tenant).uscc
    token = csrf(officer, f"/registry/parks/{park_id}")
    assert f'action="/registry/parks/{park_id}/tenancies#add-tenant"' in officer.get(f"/registry/parks/{park_id}").text
    bad = officer.post(f"/registry/parks/{park_id}/tenancies", data={
        "csrf_token": token, "org_uscc": "91330100716105852F", "move_in_date": "", "leased_area_m2": "0"})
    assert bad.status_code == 422
    doc = parse(bad.text)
    assert field_error(doc, "move_in_date") == "日期格式应为“年-月-日”，如 2015-06-01"
    assert field_error(doc, "leased_area_m2") == "须大于0"
    ok = officer.post(f"/registry/parks/{park_id}/tenancies", data={
        "csrf_token": token, "org_uscc": uscc, "move_in_date": "2018-04-01", "leased_area_m2": "300"},
        follow_redirects=False)
    assert ok.status_code == 303
    rows = table_rows(parse(officer.get(f"/registry/parks/{park_id}").text).by_id("tenant-table"))
    assert rows == [["页面入驻有限公司", "2018-04-01", "—", "300.00"]]
    unknown = officer.post(f"/registry/parks/{park_id}/tenancies", data={
        "csrf_token": token, "org_uscc": "91330100716105852F", "move_in_date": "2018-04-01",
        "leased_area_m2": "1"})
    assert unknown.status_code == 422
    assert field_error(parse(unknown.text), "org_uscc") == "未找到该入驻机构，或不在您的辖区内"
    detail = officer.get(f"/registry/orgs/{tenant}").text
    assert "租户页面园区" in detail


def test_person_form_validates_and_never_echoes_the_id_number(officer):
    token = csrf(officer, "/registry/people/new")
    resp = officer.post("/registry/people/new", data={"csrf_token": token, "name": "页面学员",
                                                       "id_number": "36042619910102009X", "division_code": "",
                                                       "phone": "call me"})
    assert resp.status_code == 422
    doc = parse(resp.text)
    # Every problem at once, the ID number's with the others.
    assert field_error(doc, "id_number") == "居民身份证号码校验位错误：应为“3”，实际为“X”"
    assert field_error(doc, "division_code") == "请选择所属县（区）"
    assert field_error(doc, "phone") == "只能包含数字、空格和 + - ( )"
    assert "36042619910102009X" not in resp.text
    assert doc.by_id("f-name").attrs["value"] == "页面学员"
    ok = officer.post("/registry/people/new", data={"csrf_token": token, "name": "页面学员",
                                                     "id_number": "11010519491231002X", "division_code": "331122"},
                      follow_redirects=False)
    assert ok.status_code == 303
    page = officer.get(ok.headers["location"])
    assert parse(page.text).by_id("id-number").text() == "1****************X"
    assert "11010519491231002X" not in page.text and page.headers["cache-control"] == "no-store"
    listed = table_rows(parse(officer.get("/registry/people", params={"q": "页面学员"}).text).by_id("people-table"))
    # The list does not show the birth date: it would reveal eight of the masked digits.
    assert listed == [["页面学员", "1****************X", "女", "缙云县", "—"]]


def test_people_and_park_forms_need_the_write_permission(app, factory):
    client = signed_in(app, factory, "auditor")
    assert client.get("/registry/people/new").status_code == 403
    assert client.get("/registry/parks/new").status_code == 403
    people = client.get("/registry/people")
    assert people.status_code == 200 and "/registry/people/new" not in people.text


# ---------------------------------------------------------------- language

def test_the_english_switch_renders_registry_pages_in_english(officer, factory):
    org_id = factory.org(division="331122", tags=["ecommerce_trading"])
    switched = officer.get("/lang", params={"to": "en", "next": "/registry/orgs"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/registry/orgs"
    listing = officer.get("/registry/orgs")
    assert '<html lang="en">' in listing.text
    doc = parse(listing.text)
    assert doc.by_tag("h1")[0].text() == "Organisations"
    assert [s.text() for s in doc.by_class("side-section")][:2] == ["Workspace", "Registry"]
    assert "E-commerce trading" in listing.text and "New organisation" in listing.text
    assert "登记机构" not in listing.text and "机构名录" not in listing.text
    pages = {"/registry/orgs/import": "Import organisations", "/registry/orgs/new": "New organisation",
             f"/registry/orgs/{org_id}": "Registration", "/registry/parks": "E-commerce parks",
             "/registry/people": "People", "/registry/divisions": "Divisions",
             "/registry/parks/new": "New park", "/registry/people/new": "New person"}
    for path, heading in pages.items():
        html = officer.get(path).text
        assert heading in html, path
        assert "请选择" not in html and "查询" not in html and "保存" not in html, path
    officer.get("/lang", params={"to": "zh", "next": "/"})
    assert parse(officer.get("/registry/orgs").text).by_tag("h1")[0].text() == "机构名录"
