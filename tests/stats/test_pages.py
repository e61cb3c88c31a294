"""The statistics pages and API through the app: entry with inline checks, the queues, corrections, uploads,
locks, form administration, and the API push with a bearer token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from lishui.stats.models import StatsForm, StatsSubmission
from tests.conftest import csrf_from
from tests.factories import login
from tests.stats.helpers import chain, months, retail
from tests.stats.test_imports import csv_bytes, uscc_of

FORM = "ENT_MONTHLY_RETAIL"


def signed_in(app, account) -> TestClient:
    return login(TestClient(app, base_url="http://127.0.0.1"), account)


def web_values(values: dict[str, str]) -> dict[str, str]:
    return {f"v_{k}": v for k, v in values.items()}


def post_entry(client: TestClient, period: str, values: dict[str, str], **extra: str):
    page = client.get(f"/stats/forms/{FORM}/entry?period={period}")
    assert page.status_code == 200
    return client.post(f"/stats/forms/{FORM}/entry", data={"csrf_token": csrf_from(page.text), "period": period,
                                                           **web_values(values), **extra}, follow_redirects=False)


def test_the_enterprise_sees_what_is_due_and_reports_it_on_the_web(app, factory, db):
    c = chain(factory)
    client = signed_in(app, c.accounts["enterprise"])
    home = client.get("/stats")
    month = months(1)[0]
    assert home.status_code == 200 and f'data-period="{month}"' in home.text and "企业网络零售额月报" in home.text
    resp = post_entry(client, month, retail(150_000, agri=20_000))
    assert resp.status_code == 303
    sub_id = int(resp.headers["location"].split("/")[-1].split("?")[0])
    detail = client.get(f"/stats/submissions/{sub_id}")
    assert "150,000.00" in detail.text and "已报送" in detail.text
    assert f'href="/stats/submissions/{sub_id}"' in client.get("/stats").text


def test_bad_entries_come_back_with_the_field_marked_and_nothing_stored(app, factory, db):
    c = chain(factory)
    client = signed_in(app, c.accounts["enterprise"])
    resp = post_entry(client, months(1)[0], {**retail(100), "physical_goods": "-1"})
    assert resp.status_code == 422 and 'id="error-physical_goods"' in resp.text and "不能为负数" in resp.text
    resp = post_entry(client, "2099-01", retail(100))
    assert resp.status_code == 422 and 'id="period-error"' in resp.text
    with db.unit_of_work() as session:
        assert session.scalar(select(StatsSubmission.id)) is None


def test_inline_checks_answer_with_a_fragment(app, factory):
    c = chain(factory)
    client = signed_in(app, c.accounts["enterprise"])
    token = csrf_from(client.get(f"/stats/forms/{FORM}/entry").text)
    bad = client.post(f"/stats/forms/{FORM}/check", data=web_values(retail(100, agri=300)),
                      headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert bad.status_code == 200 and "分项不能大于合计" in bad.text and "alert-error" in bad.text
    good = client.post(f"/stats/forms/{FORM}/check", data=web_values(retail(100, agri=30)),
                       headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert "校验通过" in good.text


def test_county_verifies_and_city_accepts_a_flagged_report_only_with_a_note(app, factory, db):
    c = chain(factory)
    ent = signed_in(app, c.accounts["enterprise"])
    history = months(2)
    for month, amount in zip(history, (1000, 50_000), strict=True):
        resp = post_entry(ent, month, retail(amount))
        assert resp.status_code == 303 and resp.headers["location"].startswith("/stats/submissions/")
    with db.unit_of_work() as session:
        flagged = session.scalar(select(StatsSubmission).where(StatsSubmission.period == history[-1]))
        assert flagged.flagged
    county = signed_in(app, c.accounts["county"])
    queue = county.get("/stats/submissions?status=submitted")
    assert f'href="/stats/submissions/{flagged.id}"' in queue.text
    page = county.get(f"/stats/submissions/{flagged.id}")
    assert 'id="flags"' in page.text and "50.0 倍" in page.text
    assert 'id="series-table"' in page.text and "1,000.00" in page.text  # the previous month, to compare
    resp = county.post(f"/stats/submissions/{flagged.id}/verify", data={"csrf_token": csrf_from(page.text)},
                       follow_redirects=False)
    assert resp.status_code == 303
    city = signed_in(app, c.accounts["city"])
    page = city.get(f"/stats/submissions/{flagged.id}")
    refused = city.post(f"/stats/submissions/{flagged.id}/accept", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 422 and "核实说明" in refused.text
    ok = city.post(f"/stats/submissions/{flagged.id}/accept", data={"csrf_token": csrf_from(page.text),
                                                                     "note": "已电话核实，新品上市"},
                   follow_redirects=False)
    assert ok.status_code == 303
    assert "市级已确认" in city.get(f"/stats/submissions/{flagged.id}").text


def test_a_returned_report_is_corrected_and_the_history_shows_both_values(app, factory, db):
    c = chain(factory)
    ent = signed_in(app, c.accounts["enterprise"])
    resp = post_entry(ent, months(1)[0], retail(1000))
    sub_id = int(resp.headers["location"].split("/")[-1].split("?")[0])
    county = signed_in(app, c.accounts["county"])
    page = county.get(f"/stats/submissions/{sub_id}")
    county.post(f"/stats/submissions/{sub_id}/return", data={"csrf_token": csrf_from(page.text),
                                                             "reason": "请补充平台分列"})
    assert "请补充平台分列" in ent.get(f"/stats/submissions/{sub_id}").text
    form = ent.get(f"/stats/submissions/{sub_id}/correct")
    assert form.status_code == 200 and 'value="1000.00"' in form.text
    resp = ent.post(f"/stats/submissions/{sub_id}/correct", follow_redirects=False, data={
        "csrf_token": csrf_from(form.text), "reason": "补充平台分列", **web_values(retail(1200, retail_jd="1200"))})
    assert resp.status_code == 303
    page = ent.get(f"/stats/submissions/{sub_id}")
    history = re.search(r'id="history-table".*?</table>', page.text, re.S).group(0)
    assert "1,000.00" in history and "1,200.00" in history and "补充平台分列" in page.text


def test_an_enterprise_cannot_open_another_enterprises_report(app, factory, db):
    c, other = chain(factory), chain(factory)
    resp = post_entry(signed_in(app, other.accounts["enterprise"]), months(1)[0], retail(1000))
    sub_id = int(resp.headers["location"].split("/")[-1].split("?")[0])
    client = signed_in(app, c.accounts["enterprise"])
    assert client.get(f"/stats/submissions/{sub_id}").status_code == 404
    assert client.get(f"/api/v1/stats/submissions/{sub_id}").status_code == 404


def test_the_upload_page_reports_rows_and_columns(app, factory, db):
    c = chain(factory)
    client = signed_in(app, c.accounts["county"])
    page = client.get(f"/stats/import?form={FORM}")
    assert page.status_code == 200 and "报告期" in page.text
    code = uscc_of(db, c.enterprise_org)
    bad = client.post(f"/stats/import?form={FORM}", data={"csrf_token": csrf_from(page.text)},
                      files={"file": ("m.csv", csv_bytes([[code, months(1)[0], "abc", 1, 0, 0]]), "text/csv")})
    assert bad.status_code == 422 and 'id="error-table"' in bad.text and "网络零售额合计（元）" in bad.text
    good = client.post(f"/stats/import?form={FORM}", data={"csrf_token": csrf_from(page.text)},
                       files={"file": ("m.csv", csv_bytes([[code, months(1)[0], 5, 5, 0, 0]]), "text/csv")})
    assert good.status_code == 200 and 'id="import-ok"' in good.text
    template = client.get(f"/stats/forms/{FORM}/template?format=csv")
    assert template.status_code == 200 and "统一社会信用代码" in template.content.decode("utf-8-sig")


def test_platforms_push_with_a_bearer_token_through_the_same_checks(app, factory, db):
    c = chain(factory)
    token = factory.token(c.accounts["county"])
    api = TestClient(app, base_url="http://127.0.0.1")
    auth = {"Authorization": f"Bearer {token}"}
    code = uscc_of(db, c.enterprise_org)
    month = months(1)[0]
    bad = api.post("/api/v1/stats/submissions", headers=auth, json={"form": FORM, "items": [
        {"entity": code, "period": month, "values": {**retail(100), "online_retail": -3}}]})
    assert bad.status_code == 422
    problem = bad.json()["fields"][0]
    assert problem["field"] == "items[1].online_retail" and "不能为负数" in problem["message"]
    ok = api.post("/api/v1/stats/submissions", headers=auth, json={"form": FORM, "items": [
        {"entity": code, "period": month, "values": {**retail(100), "retail_jd": 40.5}}]})
    assert ok.status_code == 201 and ok.json() == {"form": FORM, "created": 1, "flagged": 0}
    again = api.post("/api/v1/stats/submissions", headers=auth, json={"form": FORM, "items": [
        {"entity": code, "period": month, "values": retail(100)}]})
    assert again.status_code == 422 and "已报送" in again.json()["fields"][0]["message"]
    listed = api.get(f"/api/v1/stats/submissions?form={FORM}", headers=auth).json()
    assert listed["total"] == 1 and listed["items"][0]["values"]["retail_jd"] == "4050"
    sub_id = listed["items"][0]["id"]
    ent_token = factory.token(c.accounts["enterprise"])
    corrected = api.post(f"/api/v1/stats/submissions/{sub_id}/revisions",
                         headers={"Authorization": f"Bearer {ent_token}"},
                         json={"values": retail(120), "reason": "接口更正"})
    assert corrected.status_code == 201
    body = corrected.json()
    assert body["current_revision"] == 2 and [r["revision"] for r in body["revisions"]] == [2, 1]
    verified = api.post(f"/api/v1/stats/submissions/{sub_id}/verify", headers=auth, json={})
    assert verified.status_code == 200 and verified.json()["status"] == "verified"


def test_an_officer_reopens_a_locked_period_for_one_enterprise(app, factory, db):
    c = chain(factory)
    county = signed_in(app, c.accounts["county"])
    page = county.get("/stats/locks")
    assert page.status_code == 200
    resp = county.post("/stats/locks", data={"csrf_token": csrf_from(page.text), "form": FORM,
                                             "entity": str(c.enterprise_org), "period": "2017-03", "days": "7",
                                             "reason": "企业补报"}, follow_redirects=False)
    assert resp.status_code == 303
    ent = signed_in(app, c.accounts["enterprise"])
    assert post_entry(ent, "2017-03", retail(10)).status_code == 303
    assert post_entry(ent, "2017-04", retail(10)).status_code == 409


def test_an_administrator_changes_a_form(app, factory, db):
    admin = signed_in(app, factory.account("sys_admin"))
    page = admin.get(f"/stats/admin/forms/{FORM}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.text), "revision": "1", "title": "企业网络零售额月报（新）",
            "deadline_days": "12", "lock_days": "", "jump_factor": "8", "z_threshold": "3",
            "is_active": "on", "active_shops.label": "活跃网店数", "active_shops.required": "on",
            "online_retail.label": "网络零售额合计", "online_retail.required": "on",
            "online_retail.outlier_check": "on", "online_retail.min_value": "0"}
    resp = admin.post(f"/stats/admin/forms/{FORM}", data=data, follow_redirects=False)
    assert resp.status_code == 303
    with db.unit_of_work() as session:
        form = session.scalar(select(StatsForm).where(StatsForm.code == FORM))
        shops = next(f for f in form.fields if f.key == "active_shops")
        assert (form.lock_days, form.deadline_days, shops.label, shops.required) == (None, 12, "活跃网店数", True)
    stale = admin.post(f"/stats/admin/forms/{FORM}", data=data)
    assert stale.status_code == 409


def test_an_administrator_creates_a_form_adds_fields_and_it_can_be_reported(app, factory, db):
    admin = signed_in(app, factory.account("sys_admin"))
    page = admin.get("/stats/admin/forms")
    token = csrf_from(page.text)
    bad = admin.post("/stats/admin/forms", data={"csrf_token": token, "code": "x", "title": "物流月报",
                                                 "period_type": "month", "subject": "enterprise",
                                                 "reported_by": "self", "deadline_days": "10"})
    assert bad.status_code == 422 and "代码为" in bad.text
    resp = admin.post("/stats/admin/forms", follow_redirects=False, data={
        "csrf_token": token, "code": "LIVE_MONTHLY", "title": "直播电商月报", "period_type": "month",
        "subject": "enterprise", "reported_by": "self", "deadline_days": "10"})
    assert resp.status_code == 303
    for key, label, part_of in (("live_retail", "直播销售额", ""), ("live_agri", "其中：农产品", "live_retail")):
        resp = admin.post("/stats/admin/forms/LIVE_MONTHLY/fields", follow_redirects=False, data={
            "csrf_token": token, "key": key, "label": label, "type": "money", "unit": "元", "required": "on",
            "min_value": "0", "part_of": part_of, "outlier_check": "on"})
        assert resp.status_code == 303, resp.text[:300]
    dup = admin.post("/stats/admin/forms/LIVE_MONTHLY/fields", data={
        "csrf_token": token, "key": "live_agri", "label": "重复", "type": "integer"})
    assert dup.status_code == 422 and "已有此字段" in dup.text
    c = chain(factory)
    ent = signed_in(app, c.accounts["enterprise"])
    form = ent.get(f"/stats/forms/LIVE_MONTHLY/entry?period={months(1)[0]}")
    assert form.status_code == 200 and "直播销售额" in form.text
    resp = ent.post("/stats/forms/LIVE_MONTHLY/entry", data={
        "csrf_token": csrf_from(form.text), "period": months(1)[0], "v_live_retail": "100", "v_live_agri": "200"})
    assert resp.status_code == 422 and "分项不能大于合计" in resp.text
    resp = ent.post("/stats/forms/LIVE_MONTHLY/entry", follow_redirects=False, data={
        "csrf_token": csrf_from(form.text), "period": months(1)[0], "v_live_retail": "300", "v_live_agri": "200"})
    assert resp.status_code == 303
