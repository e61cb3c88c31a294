"""Turn pydantic validation errors into field errors a person can read."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from lishui.core.errors import FieldError, ValidationFailed


def field_errors(exc: ValidationError, row: int | None = None,
                 titles: dict[str, str] | None = None) -> list[FieldError]:
    out = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "body"
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(FieldError((titles or {}).get(name, name), msg, row))
    return out


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: object, message: str = "输入有误") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(message, field_errors(exc)) from None
