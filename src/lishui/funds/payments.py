"""Disbursement: payment batches of approved claims, the bank payment file, the bank's paid file (idempotent by
reference), bounces back to approved with the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from lishui.core.money import Money
from lishui.core.tabular import read_table
from lishui.funds import ledger
from lishui.funds.models import Claim, Payment, PaymentBatch
from lishui.funds.service import _lock_claim, _lock_line, _transition, payee_account

BANK_FILE_HEADERS = ["付款参考号", "收款人名称", "收款账号", "开户银行", "金额（元）", "用途"]
PAID_FILE_COLUMNS = ("付款参考号", "银行流水号", "状态", "金额（元）", "说明")
PAID_REQUIRED = ("付款参考号", "银行流水号", "状态", "金额（元）")
BANK_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{5,59}$")
PAID_WORDS = {"成功", "已支付", "paid", "success"}
BOUNCED_WORDS = {"退票", "失败", "bounced", "failed"}


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise Forbidden()


def create_batch(session: Session, actor: Actor, *, year: int, claim_ids: list[int] | None = None) -> PaymentBatch:
    """Group approved claims of the year (all, or those named) into a batch; each gets a payment reference."""
    _require(actor, "funds:payment:write")
    stmt = select(Claim).where(Claim.state == "approved", Claim.year == year).order_by(Claim.id).with_for_update()
    if claim_ids:
        stmt = stmt.where(Claim.id.in_(claim_ids))
    claims = list(session.scalars(stmt))
    if not claims:
        raise ValidationFailed("没有可拨付的已批准申报", [FieldError("claim_ids", "没有已批准的申报")])
    no_account = [c.id for c in claims if not c.bank_account_masked]
    if no_account:
        raise ValidationFailed("以下申报的收款单位未登记银行账户：" + "、".join(f"#{i}" for i in no_account),
                               [FieldError("claim_ids", f"#{i} 无银行账户") for i in no_account])
    batch = PaymentBatch(year=year, created_by=actor.username)
    session.add(batch)
    session.flush()
    total = 0
    for claim in claims:
        payment = Payment(batch_id=batch.id, claim_id=claim.id, reference=f"LSZX{year}{batch.id:04d}{claim.id:08d}",
                          amount=claim.amount, payee_name=claim.payee_name, bank_name=claim.bank_name,
                          account_masked=claim.bank_account_masked)
        session.add(payment)
        total += claim.amount.fen
        _transition(session, actor, claim, "batch", "disbursing", reason=f"拨付批次 #{batch.id}")
    batch.total = Money(total)
    batch.count = len(claims)
    session.flush()
    audit.record(session, actor, "funds.batch.create", object_type="payment_batch", object_id=batch.id,
                 after={"claims": [c.id for c in claims], "total_fen": total})
    return batch


def get_batch(session: Session, actor: Actor, batch_id: int) -> PaymentBatch:
    _require(actor, "funds:payment:read")
    batch = session.get(PaymentBatch, batch_id)
    if batch is None:
        raise NotFound("拨付批次不存在")
    return batch


def list_batches(session: Session, actor: Actor) -> list[PaymentBatch]:
    _require(actor, "funds:payment:read")
    return list(session.scalars(select(PaymentBatch).order_by(PaymentBatch.id.desc()).limit(100)))


def batch_payments(session: Session, actor: Actor, batch_id: int) -> list[Payment]:
    get_batch(session, actor, batch_id)
    return list(session.scalars(select(Payment).where(Payment.batch_id == batch_id).order_by(Payment.id)))


def bank_file_rows(session: Session, actor: Actor, batch_id: int) -> tuple[list[str], list[list[Any]]]:
    """The bank payment file: payee, full account (decrypted for the bank only; the export is audited), bank,
    amount, our reference. Payments already paid or bounced are not sent again."""
    _require(actor, "funds:payment:write")
    batch = get_batch(session, actor, batch_id)
    rows: list[list[Any]] = []
    for payment in batch_payments(session, actor, batch_id):
        if payment.state != "pending":
            continue
        claim = session.get(Claim, payment.claim_id)
        assert claim is not None
        rows.append([payment.reference, payment.payee_name, payee_account(session, claim), payment.bank_name,
                     payment.amount.as_yuan, f"电子商务专项资金 {claim.measure_id} {claim.year}"])
    batch.exported_at = clock.now()
    if batch.state == "open":
        batch.state = "exported"
    audit.record(session, actor, "funds.batch.export", object_type="payment_batch", object_id=batch.id,
                 detail={"rows": len(rows)})
    return BANK_FILE_HEADERS, rows


@dataclass
class PaidFileReport:
    rows: int = 0
    paid: int = 0
    bounced: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_paid_file(session: Session, actor: Actor, content: bytes, filename: str = "") -> PaidFileReport:
    """The bank's answer: each row marks one payment paid (with the bank's reference) or bounced (with a reason).

    All or nothing: a malformed or duplicated bank reference, an unknown payment reference or a wrong amount is
    reported with its row and column, and nothing is marked. A row already applied (same payment, same bank
    reference) is skipped, so importing the same file twice pays nothing twice."""
    _require(actor, "funds:payment:write")
    sheet = read_table(content, PAID_FILE_COLUMNS, PAID_REQUIRED)
    report = PaidFileReport(rows=len(sheet.rows))
    refs = {row["付款参考号"].strip() for row in sheet.rows}
    payments = {p.reference: p for p in session.scalars(select(Payment).where(Payment.reference.in_(refs))
                                                        .with_for_update())} if refs else {}
    bank_refs = {row["银行流水号"].strip() for row in sheet.rows if row["银行流水号"].strip()}
    used = {p.bank_reference: p.reference for p in session.scalars(
        select(Payment).where(Payment.bank_reference.in_(bank_refs)))} if bank_refs else {}
    seen_bank: dict[str, int] = {}
    seen_ref: dict[str, int] = {}
    plan: list[tuple[Payment, str, str, str]] = []  # payment, outcome, bank reference, reason
    for index, row in enumerate(sheet.rows, start=2):
        ref, bank_ref = row["付款参考号"].strip(), row["银行流水号"].strip()
        status, reason = row["状态"].strip().lower(), row.get("说明", "").strip()
        payment = payments.get(ref)
        row_errors = []
        if payment is None:
            row_errors.append(FieldError("付款参考号", f"未知的付款参考号“{ref[:40]}”", index))
        elif ref in seen_ref:
            row_errors.append(FieldError("付款参考号", f"与第 {seen_ref[ref]} 行重复", index))
        seen_ref.setdefault(ref, index)
        if not BANK_REF.match(bank_ref):
            row_errors.append(FieldError("银行流水号", "银行流水号格式不正确（6–60 位字母、数字或连字符）", index))
        elif bank_ref in seen_bank:
            row_errors.append(FieldError("银行流水号", f"与第 {seen_bank[bank_ref]} 行的银行流水号重复", index))
        elif bank_ref in used and used[bank_ref] != ref:
            row_errors.append(FieldError("银行流水号", f"银行流水号已用于另一笔付款 {used[bank_ref]}", index))
        seen_bank.setdefault(bank_ref, index)
        if status in PAID_WORDS:
            outcome = "paid"
        elif status in BOUNCED_WORDS:
            outcome = "bounced"
            if not reason:
                row_errors.append(FieldError("说明", "退票须说明原因", index))
        else:
            outcome = ""
            row_errors.append(FieldError("状态", "状态应为“成功”或“退票”", index))
        try:
            amount = Money.yuan(Decimal(row["金额（元）"].replace(",", "").strip()))
        except (InvalidOperation, ValueError):
            amount = None
            row_errors.append(FieldError("金额（元）", "金额格式不正确", index))
        if payment is not None and amount is not None and amount != payment.amount:
            row_errors.append(FieldError("金额（元）", f"金额与付款 {payment.amount} 元不符", index))
        if row_errors:
            report.errors.extend(row_errors)
            continue
        assert payment is not None
        if payment.bank_reference == bank_ref and payment.state == outcome:
            report.unchanged += 1
            continue
        if payment.state != "pending" and not (payment.state == "paid" and outcome == "bounced"):
            report.errors.append(FieldError("付款参考号", f"该付款已是“{payment.state}”状态，不能再次处理", index))
            continue
        plan.append((payment, outcome, bank_ref, reason))
    if report.errors:
        return report
    for payment, outcome, bank_ref, reason in plan:
        if outcome == "paid":
            mark_paid(session, actor, payment, bank_ref)
            report.paid += 1
        else:
            bounce(session, actor, payment, bank_ref, reason)
            report.bounced += 1
    audit.record(session, actor, "funds.paid_file.import", object_type="payments", object_id="",
                 detail={"file": filename[:200], "rows": report.rows, "paid": report.paid, "bounced": report.bounced,
                         "unchanged": report.unchanged})
    return report


def mark_paid(session: Session, actor: Actor, payment: Payment, bank_reference: str) -> None:
    """The money left: committed becomes spent, once (the payment's state and unique bank reference guard it)."""
    claim = _lock_claim(session, payment.claim_id)
    if payment.state != "pending" or claim.state != "disbursing":
        raise Conflict(f"付款 {payment.reference} 不在待支付状态")
    assert claim.line_id is not None
    line = _lock_line(session, claim.line_id)
    payment.state = "paid"
    payment.bank_reference = bank_reference
    payment.paid_at = clock.now()
    ledger.post(session, actor, line, "disbursement", payment.amount, claim_id=claim.id, payment_id=payment.id,
                memo=f"拨付 {payment.reference}，银行流水 {bank_reference}")
    claim.paid_at = payment.paid_at
    _transition(session, actor, claim, "paid", "paid", reason=f"银行流水号 {bank_reference}")


def bounce(session: Session, actor: Actor, payment: Payment, bank_reference: str, reason: str) -> None:
    """A payment the bank returned: the claim goes back to approved (still committed) with the reason."""
    claim = _lock_claim(session, payment.claim_id)
    if payment.state == "paid":
        assert claim.line_id is not None
        line = _lock_line(session, claim.line_id)
        ledger.post(session, actor, line, "refund", payment.amount, claim_id=claim.id, payment_id=payment.id,
                    memo=f"退票 {payment.reference}：{reason[:200]}")
    payment.state = "bounced"
    payment.bank_reference = bank_reference
    payment.bounce_reason = reason[:300]
    claim.paid_at = None
    _transition(session, actor, claim, "bounce", "approved", reason=f"退票：{reason}")
