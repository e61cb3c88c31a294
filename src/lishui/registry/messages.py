"""Validation messages people can read: pydantic's English errors turned into Chinese field errors.

Pages and imports show these next to the field (or in the row/column table); the JSON API keeps its own
handler. Custom validators already raise Chinese text, which passes through unchanged.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lishui.core.errors import FieldError

# Per-field wording where the generic one would be vague (a pattern says nothing to a person).
PATTERN_MESSAGES: dict[str, str] = {
    "contact_phone": "只能包含数字、空格和 + - ( )",
    "phone": "只能包含数字、空格和 + - ( )",
    "bank_account": "只能包含数字",
}


def message_for(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    field = str(err["loc"][-1]) if err["loc"] else ""
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "必填"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少{ctx.get('min_length')}个字符"
    if kind == "string_too_long":
        return f"最多{ctx.get('max_length')}个字符"
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(field, "格式不正确")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return "日期格式应为“年-月-日”，如 2015-06-01"
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        return "应为数字"
    if kind == "decimal_max_places":
        return f"最多保留{ctx.get('decimal_places')}位小数"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "数值过大"
    if kind == "greater_than":
        return f"须大于{ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"须不小于{ctx.get('ge')}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "应为整数"
    if kind in ("string_type", "list_type"):
        return "格式不正确"
    return str(err["msg"])


def field_errors_zh(exc: ValidationError, row: int | None = None,
                    titles: dict[str, str] | None = None) -> list[FieldError]:
    out = []
    for err in exc.errors():
        # A list item ("tags.0") is reported against the list.
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        name = ".".join(loc) or "body"
        out.append(FieldError((titles or {}).get(name, name), message_for(err), row))
    return out
