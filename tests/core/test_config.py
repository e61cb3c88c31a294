import pytest

from lishui.config import SettingsError, load_settings


def test_missing_secret_key_is_named(monkeypatch):
    monkeypatch.delenv("LISHUI_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="LISHUI_SECRET_KEY"):
        load_settings(_env_file=None)


def test_invalid_setting_is_named(monkeypatch):
    monkeypatch.setenv("LISHUI_SESSION_IDLE_MINUTES", "abc")
    with pytest.raises(SettingsError, match="LISHUI_SESSION_IDLE_MINUTES"):
        load_settings(secret_key="x" * 40, _env_file=None)


def test_unknown_database_scheme_is_refused():
    with pytest.raises(SettingsError, match="LISHUI_DATABASE_URL"):
        load_settings(secret_key="x" * 40, database_url="mysql://x", _env_file=None)


def test_short_secret_is_refused():
    with pytest.raises(SettingsError, match=r"LISHUI_SECRET_KEY: .*32"):
        load_settings(secret_key="short", _env_file=None)


def test_plain_postgresql_url_gets_the_psycopg_driver():
    s = load_settings(secret_key="x" * 40, database_url="postgresql://postgres@127.0.0.1/test", _env_file=None)
    assert s.database_url.startswith("postgresql+psycopg://")
