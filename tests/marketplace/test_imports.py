"""Imports of providers and products: all or nothing, with the row and column of every problem; the CLI."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from lishui.core.actor import system_actor
from lishui.core.tabular import write_csv, write_xlsx
from lishui.marketplace import imports
from lishui.marketplace.models import Offering, Product, Provider


def count(db, model) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def uscc_of(db, org_id: int) -> str:
    from lishui.registry import Organisation

    with db.unit_of_work() as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        return org.uscc


def test_providers_import_all_or_nothing_with_row_and_column(db, factory):
    code = uscc_of(db, factory.org(kind="service_provider"))
    headers = imports.PROVIDER_COLUMNS
    good = [code, "丽水云创", "店铺代运营", "5", "天猫代运营", "店铺代运营", "全店运营", "10000", "50000",
            "莲都区、龙泉市", "", "否", "", ""]
    bad = [code, "丽水云创", "", "x", "主图设计", "", "", "-1", "20", "杭州市", "", "是", "", ""]
    data = write_xlsx(headers, [good, bad])
    with db.unit_of_work() as session:
        report = imports.import_providers(session, system_actor("t"), data, "p.xlsx")
        assert not report.ok
        cells = {(e.row, e.field) for e in report.errors}
        assert {(3, "服务类别"), (3, "最低报价（元）"), (3, "服务地区"), (3, "承接能力"), (3, "合同编号"),
                (3, "预算科目")} <= cells
        assert all(e.row == 3 for e in report.errors)
        session.rollback()
    assert count(db, Provider) == 0 and count(db, Offering) == 0
    with db.unit_of_work() as session:
        report = imports.import_providers(session, system_actor("t"), write_csv(headers, [good, good]), "p.csv")
        assert report.ok and report.created == 2
    assert count(db, Provider) == 1 and count(db, Offering) == 2
    with db.unit_of_work() as session:
        provider = session.scalars(select(Provider)).one()
        assert provider.state == "verified"
        offering = session.scalars(select(Offering)).first()
        assert offering is not None and offering.counties == "331102 331181" and offering.price_min.fen == 1000000


def test_products_import_through_the_cli(db, factory, settings, tmp_path, monkeypatch):
    from lishui.cli.main import app

    code = uscc_of(db, factory.org(division="331126"))
    headers = imports.PRODUCT_COLUMNS
    rows = [[code, "庆元香菇", "食用菌", "庆元", "椴木", "地理标志产品", "https://shop.example.cn/1",
             "", "", "", "", ""],
            ["91331100XXXXXXXXXX", "", "鞋子", "", "", "", "ftp://x", "", "", "", "", ""]]
    path = tmp_path / "products.xlsx"
    path.write_bytes(write_xlsx(headers, rows))
    monkeypatch.setenv("LISHUI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LISHUI_SECRET_KEY", settings.secret_key)
    runner = CliRunner()
    result = runner.invoke(app, ["marketplace", "import-products", str(path)])
    assert result.exit_code == 1
    for expected in ("row 3, column 统一社会信用代码", "row 3, column 产品名称", "row 3, column 产品类别",
                     "row 3, column 淘宝链接"):
        assert expected in result.output, result.output
    assert count(db, Product) == 0
    path.write_bytes(write_xlsx(headers, rows[:1]))
    result = runner.invoke(app, ["marketplace", "import-products", str(path)])
    assert result.exit_code == 0, result.output
    with db.unit_of_work() as session:
        product = session.scalars(select(Product)).one()
        assert product.division_code == "331126" and product.category == "mushroom"
