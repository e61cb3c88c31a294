"""Disbursement: batch, bank file, the bank's paid file (idempotent, all or nothing), bounces, reconciliation."""

from __future__ import annotations

from sqlalchemy import func, select

from lishui.core.money import Money
from lishui.core.tabular import write_csv
from lishui.funds import ledger, payments, service
from lishui.funds.models import JournalEntry, Payment
from tests.funds.conftest import YEAR


def _paid_file(rows: list[list[str]]) -> bytes:
    return write_csv(list(payments.PAID_FILE_COLUMNS), rows)


def _batch(world, n: int = 2) -> tuple[list[int], list[Payment]]:
    claim_ids = [world.approved(world.enterprise()) for _ in range(n)]
    with world.db.unit_of_work() as s:
        batch = payments.create_batch(s, world.finance, year=YEAR)
        headers, rows = payments.bank_file_rows(s, world.finance, batch.id)
        assert headers[:3] == ["付款参考号", "收款人名称", "收款账号"]
        assert len(rows) == n and rows[0][2] == "6228480012345678901"  # the full account goes to the bank only
        found = payments.batch_payments(s, world.finance, batch.id)
    return claim_ids, found


def test_paid_file_marks_paid_once_and_books_reconcile(world):
    claim_ids, pays = _batch(world)
    content = _paid_file([[p.reference, f"BANK{p.id:08d}", "成功", str(p.amount.as_yuan), ""] for p in pays])
    with world.db.unit_of_work() as s:
        report = payments.import_paid_file(s, world.finance, content, "paid.csv")
        assert report.ok and report.paid == 2
    with world.db.unit_of_work() as s:  # the same file again pays nothing twice
        report = payments.import_paid_file(s, world.finance, content, "paid.csv")
        assert report.ok and report.paid == 0 and report.unchanged == 2
    with world.db.unit_of_work() as s:
        assert {world.claim(c).state for c in claim_ids} == {"paid"}
        assert s.scalar(select(func.count()).select_from(JournalEntry)
                        .where(JournalEntry.kind == "disbursement")) == 2
        line = service.line_for(s, YEAR, "general")
        assert line.spent == Money.yuan(20000) and line.committed == Money(0)
        result = ledger.reconcile(s, YEAR)
        assert result.ok, result.problems
        assert result.paid_claims == 2


def test_malformed_or_duplicated_bank_reference_marks_nothing(world):
    claim_ids, pays = _batch(world)
    content = _paid_file([[pays[0].reference, "BANK-000001", "成功", str(pays[0].amount.as_yuan), ""],
                          [pays[1].reference, "BANK-000001", "成功", str(pays[1].amount.as_yuan), ""]])
    with world.db.unit_of_work() as s:
        report = payments.import_paid_file(s, world.finance, content)
    assert not report.ok
    assert report.errors[0].row == 3 and report.errors[0].field == "银行流水号"
    bad = _paid_file([[pays[0].reference, "x", "成功", str(pays[0].amount.as_yuan), ""]])
    with world.db.unit_of_work() as s:
        report = payments.import_paid_file(s, world.finance, bad)
    assert [e.field for e in report.errors] == ["银行流水号"] and report.errors[0].row == 2
    assert {world.claim(c).state for c in claim_ids} == {"disbursing"}


def test_bounce_goes_back_to_approved_with_the_reason(world):
    claim_ids, pays = _batch(world, 1)
    content = _paid_file([[pays[0].reference, "BANK-RET-01", "退票", str(pays[0].amount.as_yuan), "账户已销户"]])
    with world.db.unit_of_work() as s:
        report = payments.import_paid_file(s, world.finance, content)
        assert report.ok and report.bounced == 1
    claim = world.claim(claim_ids[0])
    assert claim.state == "approved"
    with world.db.unit_of_work() as s:
        last = service.history(s, world.city, claim.id)[-1]
        assert last.action == "bounce" and "账户已销户" in last.reason
        assert ledger.reconcile(s, YEAR).ok
        # Paid later in a new batch: still exactly one disbursement.
        batch = payments.create_batch(s, world.finance, year=YEAR)
        payment = payments.batch_payments(s, world.finance, batch.id)[0]
        payments.mark_paid(s, world.finance, payment, "BANK-NEW-0001")
    with world.db.unit_of_work() as s:
        assert ledger.reconcile(s, YEAR).ok


def test_bounce_after_paid_refunds_the_spent_amount(world):
    claim_ids, pays = _batch(world, 1)
    with world.db.unit_of_work() as s:
        payments.import_paid_file(s, world.finance, _paid_file(
            [[pays[0].reference, "BANK-PAID-01", "成功", str(pays[0].amount.as_yuan), ""]]))
    with world.db.unit_of_work() as s:
        report = payments.import_paid_file(s, world.finance, _paid_file(
            [[pays[0].reference, "BANK-PAID-01", "退票", str(pays[0].amount.as_yuan), "户名不符"]]))
        assert report.ok and report.bounced == 1
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        assert line.spent == Money(0) and line.committed == Money.yuan(10000)
        assert ledger.reconcile(s, YEAR).ok
    assert world.claim(claim_ids[0]).state == "approved"


def test_reconcile_finds_a_second_disbursement(world):
    claim_ids, pays = _batch(world, 1)
    with world.db.unit_of_work() as s:
        payments.mark_paid(s, world.finance, s.get(Payment, pays[0].id), "BANK-ONE-001")
    with world.db.unit_of_work() as s:
        line = service.line_for(s, YEAR, "general")
        # A forged second disbursement, balanced but double.
        ledger.post(s, world.finance, line, "disbursement", Money.yuan(10000), claim_id=claim_ids[0])
        result = ledger.reconcile(s, YEAR)
    assert not result.ok
    assert any("拨付记录 2 笔" in p for p in result.problems)


def test_received_facts_feed_back_to_the_engine(world):
    from lishui.policy import facts as policy_facts
    from lishui.policy import service as policy

    claim_ids, pays = _batch(world, 1)
    with world.db.unit_of_work() as s:
        payments.mark_paid(s, world.finance, s.get(Payment, pays[0].id), "BANK-FACT-01")
    claim = world.claim(claim_ids[0])
    with world.db.unit_of_work() as s:
        pack = policy.pack_in_force(YEAR, "331102")
        facts = policy_facts.gather(s, pack.symbols, [claim.org_id], YEAR)[claim.org_id]
    assert facts["received_m22_year"] == 10000
    assert facts["received_m22_lifetime"] == 10000
