"""Read and write the spreadsheets officials use (.xlsx and .csv)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from lishui.core.errors import FieldError, ValidationFailed
from lishui.core.files import UnsupportedFile, sniff

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    headers: list[str]
    rows: list[dict[str, str]]  # header -> text, in file order; row numbers start at 2


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, expected: Sequence[str], required: Sequence[str] = ()) -> Sheet:
    """Parse a sheet; refuse it if a required column is missing or a column is unknown."""
    kind = sniff(data).kind
    if kind == "xlsx":
        raw_rows = _xlsx_rows(data)
    elif kind == "csv":
        raw_rows = _csv_rows(data)
    else:
        raise UnsupportedFile("请上传 Excel（.xlsx）或 CSV 文件")
    try:
        header_row = next(raw_rows)
    except StopIteration:
        raise ValidationFailed("文件是空的：第1行应为表头") from None
    headers = [_cell_text(h) for h in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    errors = []
    for col in required:
        if col not in headers:
            errors.append(FieldError(col, f"缺少必需的列“{col}”", 1))
    for col in headers:
        if col not in expected:
            errors.append(FieldError(col, f"未知的列“{col}”（模板列为：{'、'.join(expected)}）", 1))
    if errors:
        raise ValidationFailed("表头与模板不符", errors)
    rows = []
    for raw in raw_rows:
        values = [_cell_text(v) for v in raw][: len(headers)]
        if not any(values):
            continue
        values += [""] * (len(headers) - len(values))
        rows.append(dict(zip(headers, values, strict=True)))
    return Sheet(headers, rows)


def _xlsx_rows(data: bytes) -> Iterator[Sequence[Any]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise UnsupportedFile("无法读取该 Excel 文件：文件已损坏或不是 .xlsx 格式") from None
    try:
        ws = wb.worksheets[0]
        yield from ws.iter_rows(values_only=True)
    except Exception:  # malformed sheet XML surfaces while rows are read, not at load
        raise UnsupportedFile("无法读取该 Excel 文件：工作表内容已损坏") from None
    finally:
        wb.close()


def _csv_rows(data: bytes) -> Iterator[Sequence[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnsupportedFile("CSV 文件编码无法识别：请使用 UTF-8 或 GB18030")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error:
        line = reader.line_num
        problem = FieldError("file", "格式有误：引号或换行不配对，或单元格过长", line)
        raise ValidationFailed(f"CSV 文件第{line}行格式有误，请用 Excel 另存为 CSV 后重试", [problem]) from None


def neutralise(value: Any) -> Any:
    """Stop spreadsheet formula injection: text starting with = + - @ is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Sheet1") -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F5FA8")
    for row in rows:
        ws.append([neutralise(v) for v in row])
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, min(40, len(str(header)) * 2 + 4))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v if isinstance(v, str) else str(v)) for v in row])
    return buf.getvalue().encode("utf-8-sig")
