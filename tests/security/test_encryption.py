"""Encryption at rest: no plaintext ID or account number in any text column; tampering fails loudly."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, inspect, select, text, update

from lishui.core.crypto import CryptoError
from lishui.core.db import Database
from lishui.core.tabular import write_csv
from lishui.registry import Organisation, Person
from lishui.registry import service as registry
from lishui.registry.schemas import OrganisationCreate
from tests.factories import Factory, login

ACCOUNT = "6217001230045678901"
IMPORTED_ACCOUNT = "6228480402564890018"


def _text_columns(db: Database) -> list[tuple[str, str]]:
    inspector = inspect(db.engine)
    out = []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], String | Text):
                out.append((table, column["name"]))
    return out


def _all_text(db: Database) -> list[tuple[str, str, str]]:
    rows = []
    with db.engine.connect() as conn:
        for table, column in _text_columns(db):
            for (value,) in conn.execute(text(f'SELECT "{column}" FROM "{table}"')):
                if value:
                    rows.append((table, column, str(value)))
    return rows


@pytest.fixture
def populated(factory: Factory, client: TestClient):
    """An organisation with a bank account (form path), one imported (bulk path), a person with an ID."""
    resident_id = factory.resident_id("331102")
    org_id = factory.org(bank_account=ACCOUNT)
    with factory.db.unit_of_work() as session:
        person = registry.create_person(session, factory.system, name="张三", id_number=resident_id,
                                        division_code="331102", org_id=org_id)
        person_id = person.id
    account = factory.account("city_officer")
    login(client, account)
    token = factory.token(account)
    csv = write_csv(list(registry.IMPORT_COLUMNS), [[
        factory.uscc("331102"), "导入电子商务有限公司", "企业", "莲都区", "", "", "", "", "", "", "丽水农商银行",
        IMPORTED_ACCOUNT, "", ""]])
    resp = client.post("/api/v1/orgs/import", files={"file": ("orgs.csv", csv, "text/csv")},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.json()["created"] == 1, resp.text
    return {"org_id": org_id, "person_id": person_id, "resident_id": resident_id, "token": token}


def test_no_text_column_holds_a_plaintext_number(db: Database, populated):
    secrets = {ACCOUNT, IMPORTED_ACCOUNT, populated["resident_id"]}
    # Also the hidden middle: what a mask must not give away, and what a partial leak would show.
    middles = {ACCOUNT[4:-4], IMPORTED_ACCOUNT[4:-4], populated["resident_id"][1:-1]}
    values = _all_text(db)
    assert any(t == "organisations" and c == "bank_account_cipher" for t, c, _ in values)
    assert any(t == "audit_log" for t, _, _ in values)  # the audit trail is searched too
    for table, column, value in values:
        compact = value.replace(" ", "")
        for secret in secrets | middles:
            assert secret not in compact, f"{table}.{column} holds {secret}"


def test_equal_numbers_encrypt_differently_but_index_alike(factory: Factory, db: Database):
    first = factory.org(bank_account=ACCOUNT)
    second = factory.org(bank_account=ACCOUNT)
    with db.unit_of_work() as session:
        a, b = session.get(Organisation, first), session.get(Organisation, second)
        assert a.bank_account_cipher != b.bank_account_cipher
        assert a.bank_account_index == b.bank_account_index and len(a.bank_account_index) == 64


def _flip_last_byte(token: str) -> str:
    raw = bytearray(base64.b64decode(token))
    raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("kind", ["org", "person"])
def test_a_tampered_ciphertext_fails_loudly(app, db: Database, factory: Factory, populated, kind: str):
    model, column, key = ((Organisation, "bank_account_cipher", "org_id") if kind == "org"
                          else (Person, "id_number_cipher", "person_id"))
    with db.unit_of_work() as session:
        row = session.get(model, populated[key])
        session.execute(update(model).where(model.id == row.id)
                        .values({column: _flip_last_byte(getattr(row, column))}))
    reveal = registry.reveal_bank_account if kind == "org" else registry.reveal_id_number
    officer = factory.actor(factory.account("city_officer"))
    with pytest.raises(CryptoError, match="failed authentication"), db.unit_of_work() as session:
        reveal(session, officer, populated[key], "核对开户信息")
    url = (f"/api/v1/orgs/{populated['org_id']}/reveal-bank-account" if kind == "org"
           else f"/api/v1/people/{populated['person_id']}/reveal-id-number")
    with TestClient(app, raise_server_exceptions=False) as client:
        resp = client.post(url, json={"reason": "核对开户信息"},
                           headers={"Authorization": f"Bearer {populated['token']}"})
    assert resp.status_code == 500 and resp.json()["code"] == "internal_error"
    assert ACCOUNT not in resp.text and populated["resident_id"] not in resp.text
    with db.unit_of_work() as session:  # the failed reveal left no "revealed" audit record
        from lishui.core.audit import AuditRecord

        events = session.scalars(select(AuditRecord.event).where(AuditRecord.event.like("%.unmask"))).all()
        assert events == []


def test_a_ciphertext_moved_to_another_column_fails(db: Database, populated):
    with db.unit_of_work() as session:
        org = session.get(Organisation, populated["org_id"])
        session.execute(update(Person).where(Person.id == populated["person_id"])
                        .values(id_number_cipher=org.bank_account_cipher))
    with pytest.raises(CryptoError), db.unit_of_work() as session:
        person = session.get(Person, populated["person_id"])
        db.cipher.decrypt(person.id_number_cipher, registry.id_context(person.id_number_index))


def test_a_ciphertext_copied_from_another_row_fails(factory: Factory, db: Database):
    victim = factory.org(bank_account=ACCOUNT)
    attacker = factory.org(bank_account="6222020000000009999")
    with db.unit_of_work() as session:
        source = session.get(Organisation, victim).bank_account_cipher
        session.execute(update(Organisation).where(Organisation.id == attacker).values(bank_account_cipher=source))
    officer = factory.actor(factory.account("city_officer"))
    with pytest.raises(CryptoError), db.unit_of_work() as session:
        registry.reveal_bank_account(session, officer, attacker, "核对开户信息")


def test_the_field_key_comes_from_the_key_provider(settings, db: Database):
    """Two platforms with different keys cannot read each other's ciphertext."""
    from lishui.core.crypto import FieldCipher, SettingsKeyProvider

    other = FieldCipher(SettingsKeyProvider("another-secret-key-0123456789-abcdefghij"))
    token = db.cipher.encrypt(ACCOUNT, registry.BANK_CONTEXT)
    with pytest.raises(CryptoError):
        other.decrypt(token, registry.BANK_CONTEXT)
    assert db.cipher.decrypt(token, registry.BANK_CONTEXT) == ACCOUNT


def test_org_create_input_is_not_kept_in_plaintext(factory: Factory, db: Database):
    with db.unit_of_work() as session:
        org = registry.create_organisation(session, factory.system, OrganisationCreate(
            uscc=factory.uscc(), name="明文检查有限公司", kind="enterprise", division_code="331102",
            bank_account="6222 0200 0000 0077 7"))
        assert org.bank_account_masked.endswith("0777")
    for table, column, value in _all_text(db):
        assert "62220200000000777" not in value.replace(" ", ""), f"{table}.{column}"
