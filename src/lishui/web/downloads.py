"""A table sent as a file: Excel by default, CSV on request, as every export and template download answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi.responses import Response

from lishui.core.tabular import write_csv, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, name: str, format: str, sheet: str,
                   extra_headers: Mapping[str, str] | None = None) -> Response:
    """``name.csv`` when ``format`` is "csv", otherwise ``name.xlsx`` with one sheet titled ``sheet``."""
    if format == "csv":
        body, media_type, ext = write_csv(headers, rows), "text/csv; charset=utf-8", "csv"
    else:
        body, media_type, ext = write_xlsx(headers, rows, sheet), XLSX, "xlsx"
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"', **(extra_headers or {})})
