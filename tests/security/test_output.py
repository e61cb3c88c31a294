"""Output: stored markup and template syntax render inert; spreadsheet exports neutralise formulas."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from lishui.core.tabular import FORMULA_START, neutralise, write_csv, write_xlsx
from lishui.registry import service as registry
from lishui.registry.schemas import OrganisationCreate
from tests.factories import Factory, login
from tests.security.conftest import csrf_token_of

SCRIPT = "<script>alert(1)</script>"
NAME = "X{{7*7}}Y" + SCRIPT + "有限公司"
ADDRESS = "丽水市{{7*7}}路" + SCRIPT


@pytest.fixture
def hostile(factory: Factory, client: TestClient) -> tuple[TestClient, int]:
    with factory.db.unit_of_work() as session:
        org = registry.create_organisation(session, factory.system, OrganisationCreate(
            uscc=factory.uscc(), name=NAME, kind="enterprise", division_code="331102", address=ADDRESS,
            contact_name=SCRIPT))
        org_id = org.id
        registry.create_person(session, factory.system, name="<b>王</b>{{7*7}}", id_number=factory.resident_id(),
                               division_code="331102", org_id=org_id)
    login(client, factory.account("city_officer"))
    return client, org_id


def assert_inert(html: str, where: str) -> None:
    assert SCRIPT not in html, f"{where}: raw <script> in the page"
    assert "X49Y" not in html and "丽水市49路" not in html, f"{where}: template syntax was evaluated"
    assert "<b>王</b>" not in html, f"{where}: raw markup in the page"


def test_stored_markup_renders_inert_on_list_detail_and_edit_pages(hostile):
    client, org_id = hostile
    for path in ("/registry/orgs", "/registry/orgs?q=X", "/registry/orgs/{id}", "/registry/orgs/{id}/edit",
                 "/registry/people", "/"):
        resp = client.get(path.format(id=org_id))
        assert resp.status_code == 200
        assert_inert(resp.text, path)
        if path != "/registry/people" and path != "/":
            assert "X{{7*7}}Y&lt;script&gt;alert(1)&lt;/script&gt;" in resp.text, path


def test_markup_in_the_search_box_and_in_errors_renders_inert(hostile):
    client, _ = hostile
    assert_inert(client.get("/registry/orgs", params={"q": NAME}).text, "search")
    resp = client.post("/registry/orgs/new", data={"uscc": SCRIPT, "name": NAME, "kind": SCRIPT,
                                                   "division_code": SCRIPT, "csrf_token": csrf_token_of(client)})
    assert resp.status_code == 422
    assert_inert(resp.text, "form errors")
    fragment = client.get("/registry/orgs/check-uscc", params={"uscc": SCRIPT})
    assert_inert(fragment.text, "uscc check")


def test_markup_in_a_login_name_renders_inert_on_the_audit_page(app, factory: Factory):
    with TestClient(app) as anonymous:
        anonymous.post("/login", data={"username": SCRIPT + "{{7*7}}", "password": "x",
                                       "csrf_token": csrf_token_of(anonymous)})
        assert_inert(anonymous.post("/login", data={"username": SCRIPT, "password": "x",
                                                    "csrf_token": csrf_token_of(anonymous)}).text, "login")
    with TestClient(app) as auditor:
        login(auditor, factory.account("audit_admin"))
        page = auditor.get("/audit")
        assert page.status_code == 200 and "&lt;script&gt;" in page.text
        assert_inert(page.text, "audit")


def test_the_api_returns_stored_text_as_json_data(hostile):
    client, org_id = hostile
    resp = client.get(f"/api/v1/orgs/{org_id}")
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.json()["name"] == NAME


# ---------------------------------------------------------------- formula injection

FORMULAS = ["=1+2", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://evil.example\",\"x\")",
            "=cmd|' /C calc'!A0"]


@pytest.fixture
def formula_orgs(factory: Factory) -> list[int]:
    ids = []
    with factory.db.unit_of_work() as session:
        for i, formula in enumerate(FORMULAS):
            org = registry.create_organisation(session, factory.system, OrganisationCreate(
                uscc=factory.uscc(), name=formula + f"公司{i}", kind="enterprise", division_code="331102",
                address=formula, legal_representative=formula[:50], contact_name=formula[:50]))
            ids.append(org.id)
    return ids


def _dangerous(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_exports_neutralise_formulas(client, factory, formula_orgs):
    login(client, factory.account("city_officer"))
    resp = client.get("/registry/orgs/export?format=csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if _dangerous(c)]
    for formula in FORMULAS:
        assert "'" + formula in cells


def test_excel_exports_neutralise_formulas(client, factory, formula_orgs):
    login(client, factory.account("city_officer"))
    resp = client.get("/registry/orgs/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell is a formula"
    values = [c.value for c in cells]
    assert not [v for v in values if _dangerous(v)]
    for formula in FORMULAS:
        assert "'" + formula in values


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\t=1", "\r=1"])
def test_the_writers_neutralise_every_formula_start(value: str):
    assert value[0] in "".join(FORMULA_START)
    assert neutralise(value) == "'" + value
    row = list(csv.reader(io.StringIO(write_csv(["h"], [[value]]).decode("utf-8-sig"), newline="")))[1]
    assert row == ["'" + value]
    sheet = load_workbook(io.BytesIO(write_xlsx(["h"], [[value]]))).worksheets[0]
    # XML turns a carriage return into a line feed; what matters is the leading quote.
    assert sheet["A2"].value == "'" + value.replace("\r", "\n") and sheet["A2"].data_type != "f"


def test_numbers_and_plain_text_pass_unchanged():
    assert neutralise("丽水") == "丽水" and neutralise(12) == 12 and neutralise("a=b") == "a=b"
