"""Helpers for registry tests: actors of each scope and spreadsheets built in memory."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence

import pytest
from openpyxl import Workbook

from lishui.core.actor import Actor
from lishui.registry.demo import make_uscc
from lishui.registry.service import IMPORT_COLUMNS

HEADERS = list(IMPORT_COLUMNS)


@pytest.fixture
def city(factory) -> Actor:
    return factory.actor(factory.account("city_officer"))


@pytest.fixture
def county(factory) -> Actor:
    """A county officer of 缙云县 (331122)."""
    return factory.actor(factory.account("county_officer", division="331122"))


def org_rows(count: int, *, seed: int = 1, county: str = "缙云县", prefix: str = "导入测试") -> list[list[str]]:
    """Valid import rows with unique credit codes, in the template's column order."""
    rng = random.Random(seed)
    seen: set[str] = set()
    rows = []
    for i in range(count):
        code = make_uscc(rng, "331122")
        while code in seen:
            code = make_uscc(rng, "331122")
        seen.add(code)
        rows.append([code, f"{prefix}{i:04d}号电子商务有限公司", "企业", county, "", f"丽水市示例路{i}号", "张三",
                     "李四", "0578-2000000", "", "丽水农商银行", "6228480000000000" + f"{i:03d}", "2015-06-01",
                     "电商交易、纳入商务统计"])
    return rows


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def bad_check_char(code: str) -> str:
    """The same code with a wrong check character."""
    return code[:17] + ("0" if code[17] != "0" else "1")
