"""Import of organisations (all or nothing, row/column errors, xlsx and csv) and export round trips."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lishui.core.audit import AuditRecord
from lishui.core.crypto import SettingsKeyProvider
from lishui.core.db import Database
from lishui.core.errors import DomainError, ValidationFailed
from lishui.core.ids import uscc_check_char
from lishui.core.migrate import upgrade
from lishui.core.tabular import write_xlsx
from lishui.registry import service
from lishui.registry.models import Organisation, OrganisationTag
from tests.registry.conftest import HEADERS, bad_check_char, csv_bytes, org_rows, xlsx_bytes


def _count(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Organisation)) or 0


def _import(db: Database, actor, content: bytes, name: str = "orgs.xlsx") -> service.ImportReport:
    with db.unit_of_work() as session:
        return service.import_organisations(session, actor, content, name)


def test_thousand_rows_with_three_bad_ones_write_nothing_and_report_exactly_those(db, city):
    rows = org_rows(1000)
    rows[9][0] = bad_check_char(rows[9][0])  # file row 11: wrong check character
    rows[499][2] = "外星企业"  # file row 501: unknown kind
    rows[998][4] = "龙渊街道"  # file row 1000: a township of 龙泉市, not of 缙云县
    before = _count(db)
    report = _import(db, city, xlsx_bytes(HEADERS, rows))
    assert not report.ok and report.created == 0 and report.total_rows == 1000
    assert [(e.row, e.field) for e in report.errors] == [
        (11, "统一社会信用代码"), (501, "机构类别"), (1000, "乡镇（街道）")]
    assert f"应为“{uscc_check_char(rows[9][0][:17])}”" in report.errors[0].message
    assert "外星企业" in report.errors[1].message
    assert "龙渊街道" in report.errors[2].message and "不是该县（区）的乡镇（街道）" in report.errors[2].message
    assert _count(db) == before


def test_a_good_file_is_written_whole_with_tags_townships_and_one_audit_record(db, city):
    rows = org_rows(30)
    rows[0][4] = "五云街道"  # by name
    rows[1][4] = "331122101"  # by code: 壶镇镇
    before = _count(db)
    report = _import(db, city, xlsx_bytes(HEADERS, rows))
    assert report.ok and report.created == 30
    assert _count(db) == before + 30
    with db.unit_of_work() as session:
        first = session.scalar(select(Organisation).where(Organisation.uscc == rows[0][0]))
        second = session.scalar(select(Organisation).where(Organisation.uscc == rows[1][0]))
        assert first.township_code == "331122001" and second.township_code == "331122101"
        assert first.division_code == "331122" and first.kind == "enterprise"
        assert first.tag_set == {"ecommerce_trading", "in_commerce_stats"}
        assert first.bank_account_masked == "**** **** 0000"
        assert str(first.established_on) == "2015-06-01"
        audits = session.scalars(select(AuditRecord).where(AuditRecord.event == "registry.org.import")).all()
        assert len(audits) == 1 and '"rows":30' in audits[0].detail


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_bom_and_in_gb18030_both_import(db, city, encoding):
    rows = org_rows(400, seed=11)  # > 64 KB: the encoding is judged on a prefix that may cut a character
    content = csv_bytes(HEADERS, rows, encoding)
    assert len(content) > 65536
    report = _import(db, city, content, "orgs.csv")
    assert report.ok, report.errors[:3]
    with db.unit_of_work() as session:
        names = set(session.scalars(select(Organisation.name).where(Organisation.uscc.in_([r[0] for r in rows]))))
    assert names == {r[1] for r in rows}


def test_csv_errors_name_row_and_column_like_xlsx(db, city):
    rows = org_rows(5)
    rows[2][3] = "杭州市"
    report = _import(db, city, csv_bytes(HEADERS, rows, "gb18030"), "orgs.csv")
    assert [(e.row, e.field) for e in report.errors] == [(4, "所属县（区）")]
    assert "杭州市" in report.errors[0].message


def test_a_wrong_header_is_refused_naming_the_column(db, city):
    headers = [*HEADERS]
    headers[1] = "企业名称"
    with pytest.raises(ValidationFailed) as info:
        _import(db, city, xlsx_bytes(headers, org_rows(2)))
    messages = {f.field: f.message for f in info.value.fields}
    assert "名称" in messages and "缺少必需的列“名称”" in messages["名称"]
    assert "企业名称" in messages and "未知的列" in messages["企业名称"]
    assert all(f.row == 1 for f in info.value.fields)


def test_a_file_that_is_not_a_spreadsheet_is_refused(db, city):
    with pytest.raises(DomainError) as info:
        _import(db, city, b"%PDF-1.4 not a sheet", "orgs.xlsx")
    assert info.value.status == 415


def test_duplicates_within_the_file_and_against_the_database_are_reported(db, factory, city):
    rows = org_rows(4)
    rows[3][0] = rows[1][0]
    existing = factory.org(division="331122", name="已登记的企业有限公司")
    with db.unit_of_work() as session:
        rows[0][0] = session.get(Organisation, existing).uscc
    report = _import(db, city, xlsx_bytes(HEADERS, rows))
    assert [(e.row, e.message) for e in report.errors] == [
        (2, "已登记为“已登记的企业有限公司”"), (5, "与第3行重复")]


def test_a_county_officer_imports_only_its_own_county(db, county):
    rows = org_rows(3)
    rows[1][3] = "龙泉市"
    report = _import(db, county, xlsx_bytes(HEADERS, rows))
    assert [(e.row, e.field, e.message) for e in report.errors] == [(3, "所属县（区）", "只能导入本辖区的机构")]


def test_every_problem_of_a_row_is_reported_at_once(db, city):
    rows = org_rows(1)
    rows[0][0] = bad_check_char(rows[0][0])
    rows[0][4] = "不存在镇"
    report = _import(db, city, xlsx_bytes(HEADERS, rows))
    assert [e.field for e in report.errors] == ["统一社会信用代码", "乡镇（街道）"]


def test_a_crash_in_the_middle_of_an_import_leaves_the_database_unchanged(db, city, monkeypatch):
    monkeypatch.setattr(service, "IMPORT_CHUNK", 100)
    original = service._insert_chunk
    written: list[int] = []

    def insert_then_crash(session, batch):
        if written:
            raise RuntimeError("disk full")
        original(session, batch)
        written.append(session.scalar(select(func.count()).select_from(Organisation)))

    monkeypatch.setattr(service, "_insert_chunk", insert_then_crash)
    before = _count(db)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(db, city, xlsx_bytes(HEADERS, org_rows(250)))
    assert written == [before + 100]  # the first chunk really reached the database's transaction
    assert _count(db) == before
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(OrganisationTag)) == 0
        assert session.scalar(select(func.count()).where(AuditRecord.event == "registry.org.import")) == 0


def test_the_template_imports_as_it_is(db, city):
    headers, rows = service.template_rows()
    report = _import(db, city, write_xlsx(headers, rows))
    assert report.ok and report.created == 1


def test_export_to_xlsx_round_trips_through_import_into_a_fresh_database(db, factory, city, settings, tmp_path):
    rows = org_rows(20)
    rows[0][4] = "五云街道"
    rows[1][8] = "+86 578 2000000"  # starts like a formula: the export quotes it
    assert _import(db, city, xlsx_bytes(HEADERS, rows)).ok
    factory.org(division="331199", township="331102001", name="开发区测试有限公司", tags=["cross_border"])
    with db.unit_of_work() as session:
        headers, out = service.export_rows(session, city, service.OrgFilter())
        everything = service.iter_organisations(session, city, service.OrgFilter())
        exported = {o.uscc: service._snapshot(o) for o in everything}
    content = write_xlsx(headers, out)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]][:3] == ["编号", "统一社会信用代码", "名称"]

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}" if settings.database_url.startswith("sqlite") else None
    if url is None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        base = make_url(settings.database_url)
        name = base.database + "_fresh"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        fresh = Database(url, SettingsKeyProvider(settings.secret_key, settings.field_key))
        report = _import(fresh, city, content, "export.xlsx")
        assert report.ok, report.errors[:5]
        assert report.created == len(exported)
        with fresh.unit_of_work() as session:
            imported = {o.uscc: service._snapshot(o) for o in session.scalars(select(Organisation))}
        fresh.dispose()
    finally:
        if not settings.database_url.startswith("sqlite"):
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    assert imported.keys() == exported.keys()
    for code, before in exported.items():
        after = imported[code]
        # The account number leaves only masked: it cannot travel through an export.
        assert {k: v for k, v in after.items() if k != "bank_account"} == \
               {k: v for k, v in before.items() if k != "bank_account"}, code
