"""Typed settings read from environment variables with the prefix ``LISHUI_``.

A missing or invalid setting stops the platform at start with a message that names it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """Raised when the environment holds a missing or invalid setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LISHUI_", extra="ignore", env_file="var/lishui.env")

    database_url: str = Field(
        default="sqlite:///var/lishui.sqlite3",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    secret_key: str = Field(
        default="",
        description="At least 32 characters; signs CSRF tokens and derives keys when no key provider is set",
    )
    field_key: str = Field(
        default="",
        description="Hex key (32 hex digits) for SM4 field encryption; derived from secret_key when empty",
    )
    upload_dir: Path = Field(default=Path("var/uploads"))
    default_language: Literal["zh", "en"] = "zh"
    https: bool = Field(default=False, description="Served over HTTPS: Secure cookies, __Host- prefix, HSTS")
    password_max_age_days: int = Field(default=90, ge=1, le=3650)
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=72)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    login_rate_per_minute: int = Field(default=20, ge=1)
    export_rate_per_minute: int = Field(default=30, ge=1)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("field_key")
    @classmethod
    def _hex_key(cls, value: str) -> str:
        if value:
            try:
                raw = bytes.fromhex(value)
            except ValueError as exc:
                raise ValueError("must be hexadecimal") from exc
            if len(raw) != 16:
                raise ValueError("must be 16 bytes (32 hex digits)")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's error into one line per bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "LISHUI_" + str(err["loc"][0]).upper() if err["loc"] else "LISHUI_?"
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid setting — " + "; ".join(lines)) from None
    if not settings.secret_key:
        raise SettingsError(
            "LISHUI_SECRET_KEY: missing — set a random value of at least 32 characters "
            "(`lishui demo` generates one in var/secret.env)"
        )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
