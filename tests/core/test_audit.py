from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from lishui.core import audit, clock
from lishui.core.actor import system_actor


def _write(db, n=5):
    with db.unit_of_work() as session:
        for i in range(n):
            audit.record(session, system_actor(), "test.event", object_type="thing", object_id=i,
                         before={"v": i}, after={"v": i + 1})


def test_chain_verifies(db):
    _write(db)
    with db.unit_of_work() as session:
        result = audit.verify_chain(session, db.keys.audit_key())
    assert result.ok and result.checked == 5


def test_database_refuses_update_and_delete(db):
    _write(db, 2)
    with pytest.raises(DBAPIError, match="append-only"), db.unit_of_work() as session:
        session.execute(update(audit.AuditRecord).values(username="mallory"))
    with pytest.raises(DBAPIError, match="append-only"), db.unit_of_work() as session:
        session.execute(delete(audit.AuditRecord))


def _disable_guards(session, dialect):
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_verify_finds_an_edited_record(db):
    """An attacker with DDL rights who bypasses the trigger is still caught by the chain."""
    _write(db, 5)
    with db.unit_of_work() as session:
        _disable_guards(session, db.engine.dialect.name)
        third = session.scalars(select(audit.AuditRecord.id).order_by(audit.AuditRecord.id)).all()[2]
        session.execute(update(audit.AuditRecord).where(audit.AuditRecord.id == third).values(after='{"v":999}'))
    with db.unit_of_work() as session:
        result = audit.verify_chain(session, db.keys.audit_key())
    assert not result.ok and result.first_bad_id == third and "篡改" in result.reason


def test_verify_finds_a_removed_record(db):
    _write(db, 5)
    with db.unit_of_work() as session:
        _disable_guards(session, db.engine.dialect.name)
        ids = session.scalars(select(audit.AuditRecord.id).order_by(audit.AuditRecord.id)).all()
        session.execute(delete(audit.AuditRecord).where(audit.AuditRecord.id == ids[1]))
    with db.unit_of_work() as session:
        result = audit.verify_chain(session, db.keys.audit_key())
    assert not result.ok and result.first_bad_id == ids[2]


def test_verify_finds_a_removed_last_record(db):
    _write(db, 3)
    with db.unit_of_work() as session:
        _disable_guards(session, db.engine.dialect.name)
        last = session.scalars(select(audit.AuditRecord.id).order_by(audit.AuditRecord.id.desc())).first()
        session.execute(delete(audit.AuditRecord).where(audit.AuditRecord.id == last))
    with db.unit_of_work() as session:
        result = audit.verify_chain(session, db.keys.audit_key())
    assert not result.ok and "链尾" in result.reason


def test_retention_keeps_young_records_and_the_chain_still_verifies(db):
    with clock.shifted(timedelta(days=-400)):
        _write(db, 3)
    _write(db, 2)
    with db.unit_of_work() as session:
        removed = audit.purge_expired(session, system_actor(), keep_days=30)
    assert removed == 3
    with db.unit_of_work() as session:
        remaining = session.scalars(select(audit.AuditRecord.event)).all()
        result = audit.verify_chain(session, db.keys.audit_key())
    assert remaining.count("test.event") == 2 and "audit.retention" in remaining
    assert result.ok, result.reason


def test_database_refuses_to_delete_records_younger_than_185_days(db):
    with clock.shifted(timedelta(days=-100)):
        _write(db, 1)
    with pytest.raises(DBAPIError, match="append-only"), db.unit_of_work() as session:
        session.execute(delete(audit.AuditRecord))


def test_a_failed_change_leaves_no_audit_record(db):
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        audit.record(session, system_actor(), "test.event")
        raise RuntimeError("crash in the middle")
    with db.unit_of_work() as session:
        assert session.scalars(select(audit.AuditRecord)).all() == []
