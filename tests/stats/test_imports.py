"""Excel/CSV uploads and the console commands: all or nothing, errors by row and column, flags not refusals."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from lishui.cli.main import app as cli
from lishui.core import clock
from lishui.core.errors import ValidationFailed
from lishui.stats import imports, service
from lishui.stats.models import StatsSubmission
from tests.conftest import TEST_SECRET
from tests.stats.helpers import chain, months, soon_after

FORM = "ENT_MONTHLY_RETAIL"
HEAD = ["统一社会信用代码", "报告期", "网络零售额合计（元）", "其中：实物商品（元）",
        "其中：非实物商品（虚拟商品和服务）（元）", "其中：农产品网络零售额（元）"]


def csv_bytes(rows: list[list[object]], head: list[str] = HEAD) -> bytes:
    lines = [",".join(head)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(rows: list[list[object]], head: list[str] = HEAD) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def uscc_of(db, org_id: int) -> str:
    with db.unit_of_work() as session:
        return session.get(service.Organisation, org_id).uscc


def count(db) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(StatsSubmission)) or 0


def test_the_template_has_the_entity_the_period_and_every_field(db):
    with db.unit_of_work() as session:
        headers, rows = imports.template(service.get_form(session, FORM))
    assert headers[:5] == HEAD[:5] and HEAD[5] in headers and "跨境电商出口额（美元）" in headers and rows == []


def test_a_good_excel_file_is_stored_with_its_channel(db, factory):
    c = chain(factory)
    code = uscc_of(db, c.enterprise_org)
    a, b = months(2)
    with db.unit_of_work() as session:
        report = imports.import_file(session, c.enterprise, FORM, xlsx_bytes([[code, a, 1000, 1000, 0, 10],
                                                                               [code, b, 1200.5, 1200.5, 0, 0]]))
    assert report.ok and report.created == 2
    with db.unit_of_work() as session:
        subs = session.scalars(select(StatsSubmission).order_by(StatsSubmission.period)).all()
        assert [s.period for s in subs] == [a, b]
        rev = service.revision(session, subs[1])
        assert rev.channel == "excel" and '"online_retail":"120050"' in rev.values


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_stored(db, factory):
    c = chain(factory)
    code = uscc_of(db, c.enterprise_org)
    a, b = months(2)
    today = clock.today()
    future = f"{today.year + 1}-01"
    content = csv_bytes([
        [code, a, 1000, 1000, 0, 0],              # good
        [code, b, "一千", 1000, 0, 0],            # text in a number cell
        [code, future, 100, 100, 0, 0],           # a period in the future
        [code, a, 100, 100, 0, 0],                # the same entity and period as row 2
        [code, b, -5, 0, 0, 0],                   # a negative sales figure (and row 3's period again)
        ["91330100716105852F", b, 1, 1, 0, 0],    # an organisation not in the registry
    ])
    with db.unit_of_work() as session:
        report = imports.import_file(session, c.enterprise, FORM, content)
    found = {(e.row, e.field): e.message for e in report.errors}
    assert "应为数字" in found[(3, "网络零售额合计（元）")]
    assert "尚未结束" in found[(4, "报告期")]
    assert "与第 2 行" in found[(5, "报告期")]
    assert "不能为负数" in found[(6, "网络零售额合计（元）")]
    assert "未找到" in found[(7, "统一社会信用代码")]
    assert count(db) == 0


def test_wrong_columns_are_refused_before_any_row(db, factory):
    c = chain(factory)
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as exc:
        imports.import_file(session, c.enterprise, FORM, csv_bytes([["x", "2017-01", 1]],
                                                                   head=["统一社会信用代码", "报告期", "销售额"]))
    fields = {f.field for f in exc.value.fields}
    assert {"销售额", "网络零售额合计（元）"} <= fields and all(f.row == 1 for f in exc.value.fields)


def test_a_report_already_stored_makes_the_upload_fail(db, factory):
    c = chain(factory)
    code = uscc_of(db, c.enterprise_org)
    month = months(1)[0]
    with db.unit_of_work() as session:
        service.submit(session, c.enterprise, form_code=FORM, entity_ref=None, period=month,
                       values={"online_retail": "5", "physical_goods": "5", "non_physical_goods": "0",
                               "agricultural_retail": "0"})
    with db.unit_of_work() as session:
        report = imports.import_file(session, c.enterprise, FORM, csv_bytes([[code, month, 1, 1, 0, 0]]))
    assert [(e.row, e.field) for e in report.errors] == [(2, "报告期")] and "已报送" in report.errors[0].message


def test_an_enterprise_cannot_upload_another_enterprises_figures(db, factory):
    c = chain(factory)
    other = uscc_of(db, factory.org(division="331102"))
    with db.unit_of_work() as session:
        report = imports.import_file(session, c.enterprise, FORM, csv_bytes([[other, months(1)[0], 1, 1, 0, 0]]))
    assert report.errors[0].field == "统一社会信用代码" and "不在您的管辖范围" in report.errors[0].message


def test_a_fifty_fold_jump_in_a_file_is_stored_and_flagged(db, factory):
    c = chain(factory)
    code = uscc_of(db, c.enterprise_org)
    history = months(3)
    rows = [[code, m, v, v, 0, 0] for m, v in zip(history, (1000, 1100, 55_000), strict=True)]
    with soon_after(history[-1]), db.unit_of_work() as session:
        report = imports.import_file(session, c.county, FORM, csv_bytes(rows))
    assert report.ok and report.created == 3 and report.flagged == 1
    with db.unit_of_work() as session:
        flagged = session.scalars(select(StatsSubmission.period).where(StatsSubmission.flagged.is_(True))).all()
    assert flagged == [history[-1]]


def test_the_console_writes_a_template_and_imports_a_file(db, factory, database_url, tmp_path):
    c = chain(factory)
    env = {"LISHUI_DATABASE_URL": database_url, "LISHUI_SECRET_KEY": TEST_SECRET}
    runner = CliRunner()
    out = runner.invoke(cli, ["stats", "template", FORM, str(tmp_path / "t.xlsx")], env=env)
    assert out.exit_code == 0, out.output
    assert [c.value for c in load_workbook(tmp_path / "t.xlsx").active[1]][:2] == ["统一社会信用代码", "报告期"]
    code = uscc_of(db, c.enterprise_org)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([[code, months(1)[0], -1, 0, 0, 0]]))
    out = runner.invoke(cli, ["stats", "import", FORM, str(bad)], env=env)
    assert out.exit_code == 1 and "row 2, column 网络零售额合计（元）" in out.output
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([[code, months(1)[0], 10, 10, 0, 0]]))
    out = runner.invoke(cli, ["stats", "import", FORM, str(good)], env=env)
    assert out.exit_code == 0 and "imported 1 reports" in out.output, out.output
    assert count(db) == 1
