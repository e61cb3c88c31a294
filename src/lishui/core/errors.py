"""Domain errors: a stable code for the API, a message a person understands, a status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


@dataclass
class DomainError(Exception):
    message: str
    code: str = "error"
    status: int = 400
    fields: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message, "validation_failed", 422, fields or [])


class NotFound(DomainError):
    def __init__(self, message: str = "记录不存在") -> None:
        super().__init__(message, "not_found", 404)


class Conflict(DomainError):
    def __init__(self, message: str, fields: list[FieldError] | None = None) -> None:
        super().__init__(message, "conflict", 409, fields or [])


class Unauthenticated(DomainError):
    def __init__(self, message: str = "请先登录") -> None:
        super().__init__(message, "unauthenticated", 401)


class Forbidden(DomainError):
    def __init__(self, message: str = "没有权限执行此操作", code: str = "forbidden") -> None:
        super().__init__(message, code, 403)


class TooManyRequests(DomainError):
    def __init__(self, message: str = "请求过于频繁，请稍后再试") -> None:
        super().__init__(message, "rate_limited", 429)


class PayloadTooLarge(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "payload_too_large", 413)
