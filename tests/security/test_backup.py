"""Backup and restore: `lishui db backup`, then `lishui db restore` into a fresh database; nothing lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from lishui.cli.main import app as cli
from lishui.core.db import Database
from tests.conftest import TEST_SECRET, scratch_database
from tests.factories import Factory, login


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                    for table in inspect(conn).get_table_names()}
    finally:
        engine.dispose()


def run(url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"LISHUI_DATABASE_URL": url, "LISHUI_SECRET_KEY": TEST_SECRET})


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database that exists but holds nothing (on SQLite, in a folder not yet created): where a restore lands
    on a new server."""
    with scratch_database(tmp_path / "restored", None) as url:
        yield url


@pytest.fixture
def populated(database_url: str, db: Database, factory: Factory, client) -> dict[str, int]:
    factory.org(bank_account="6222020000000000055")
    account = factory.account("city_officer")
    login(client, account)  # a session, audit records of the sign-in
    factory.token(account)
    with db.unit_of_work() as session:
        from lishui.registry import service as registry

        registry.create_person(session, factory.system, name="钱七", id_number=factory.resident_id(),
                               division_code="331102")
        from lishui.core.money import Money
        from lishui.funds import service as funds

        funds.create_budget(session, factory.system, year=2016, lines={("general", "city"): Money.yuan(1000)})
    db.dispose()
    before = counts(database_url)
    assert before["audit_log"] > 0 and before["organisations"] > 0 and before["people"] == 1
    return before


def test_backup_then_restore_into_a_fresh_database(database_url, empty_database, populated, tmp_path):
    backup = tmp_path / "backups" / "lishui.backup"
    made = run(database_url, "db", "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert backup.stat().st_size > 0

    restored = run(empty_database, "db", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert counts(empty_database) == populated

    verified = run(empty_database, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"{populated['audit_log']} records verified" in verified.output

    reconciled = run(empty_database, "funds", "reconcile", "2016")
    assert reconciled.exit_code == 0 and "books balance" in reconciled.output, reconciled.output


def test_the_restored_database_decrypts_with_the_same_key(database_url, empty_database, populated, tmp_path):
    backup = tmp_path / "lishui.backup"
    assert run(database_url, "db", "backup", str(backup)).exit_code == 0
    assert run(empty_database, "db", "restore", str(backup), "--yes").exit_code == 0
    from lishui.core.crypto import SettingsKeyProvider
    from lishui.registry import Organisation
    from lishui.registry.service import bank_context

    restored = Database(empty_database, SettingsKeyProvider(TEST_SECRET))
    try:
        with restored.unit_of_work() as session:
            uscc, cipher = session.query(Organisation.uscc, Organisation.bank_account_cipher).filter(
                Organisation.bank_account_cipher != "").one()
            assert restored.cipher.decrypt(cipher, bank_context(uscc)) == "6222020000000000055"
    finally:
        restored.dispose()


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(database_url, populated, tmp_path):
    junk = tmp_path / "not-a-backup.bin"
    junk.write_bytes(b"this is not a database backup\n" * 100)
    result = run(database_url, "db", "restore", str(junk), "--yes")
    assert result.exit_code != 0
    assert counts(database_url) == populated
    assert run(database_url, "audit", "verify").exit_code == 0


def test_restore_asks_before_replacing(database_url, populated, tmp_path):
    backup = tmp_path / "lishui.backup"
    assert run(database_url, "db", "backup", str(backup)).exit_code == 0
    result = CliRunner().invoke(cli, ["db", "restore", str(backup)], input="n\n",
                                env={"LISHUI_DATABASE_URL": database_url, "LISHUI_SECRET_KEY": TEST_SECRET})
    assert result.exit_code != 0 and "Replace" in result.output
    assert counts(database_url) == populated


def test_restore_over_a_live_database_returns_it_to_the_backup(database_url, populated, factory, tmp_path):
    backup = tmp_path / "lishui.backup"
    assert run(database_url, "db", "backup", str(backup)).exit_code == 0
    factory.org()  # work done after the backup (and audited)
    factory.db.dispose()
    assert counts(database_url) != populated
    result = run(database_url, "db", "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert counts(database_url) == populated
    assert run(database_url, "audit", "verify").exit_code == 0
