"""The double-entry ledger of the special fund: append-only, every entry balanced.

Accounts per budget line ``n``: ``appropriation:n`` (credit balance: the amount appropriated), ``available:n``,
``committed:n`` and ``spent:n`` (debit balances). So ``available = appropriated − committed − spent`` holds by
construction. The line row keeps running totals, updated with each entry under the line's row lock;
``reconcile`` proves they equal the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lishui.core.actor import Actor
from lishui.core.errors import DomainError
from lishui.core.money import Money
from lishui.funds.models import BudgetLine, Claim, JournalEntry, JournalLine, Payment

# kind -> (debited account, credited account)
MOVES: dict[str, tuple[str, str]] = {
    "appropriation": ("available", "appropriation"),
    "commitment": ("committed", "available"),
    "release": ("available", "committed"),
    "disbursement": ("spent", "committed"),
    "refund": ("committed", "spent"),  # a paid amount bounced back: committed again
    "clawback": ("available", "spent"),  # money recovered after payment
}
KIND_ZH = {"appropriation": "预算下达", "commitment": "批准占用", "release": "释放占用", "disbursement": "拨付",
           "refund": "退票退回", "clawback": "追回", "reversal": "冲正"}


class UnbalancedEntry(DomainError):
    def __init__(self) -> None:
        super().__init__("记账分录借贷不平衡", "unbalanced_entry", 500)


def account(kind: str, line_id: int) -> str:
    return f"{kind}:{line_id}"


def _apply_totals(line: BudgetLine, acct: str, amount_fen: int) -> None:
    kind, _, ident = acct.partition(":")
    if int(ident) != line.id:
        return
    if kind == "appropriation":
        line.appropriated = Money(line.appropriated.fen - amount_fen)
    elif kind == "committed":
        line.committed = Money(line.committed.fen + amount_fen)
    elif kind == "spent":
        line.spent = Money(line.spent.fen + amount_fen)


def post(session: Session, actor: Actor, line: BudgetLine, kind: str, amount: Money, *, claim_id: int | None = None,
         payment_id: int | None = None, memo: str = "") -> JournalEntry:
    """Append one balanced entry moving ``amount`` between two of the line's accounts (caller holds the line lock)."""
    debit, credit = MOVES[kind]
    entry = JournalEntry(year=line.year, kind=kind, claim_id=claim_id, payment_id=payment_id, memo=memo[:500],
                         created_by=actor.username)
    session.add(entry)
    session.flush()
    lines = [(account(debit, line.id), amount.fen), (account(credit, line.id), -amount.fen)]
    _write_lines(session, entry, lines)
    for acct, fen in lines:
        _apply_totals(line, acct, fen)
    session.flush()
    return entry


def reverse(session: Session, actor: Actor, entry_id: int, line: BudgetLine, memo: str) -> JournalEntry:
    """A correction: a new entry with every line of the original negated."""
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise DomainError("分录不存在", "not_found", 404)
    old = session.execute(select(JournalLine.account, JournalLine.amount_fen)
                          .where(JournalLine.entry_id == entry_id)).all()
    entry = JournalEntry(year=original.year, kind="reversal", claim_id=original.claim_id, reverses_id=original.id,
                         memo=memo[:500], created_by=actor.username)
    session.add(entry)
    session.flush()
    lines = [(acct, -fen) for acct, fen in old]
    _write_lines(session, entry, lines)
    for acct, fen in lines:
        _apply_totals(line, acct, fen)
    session.flush()
    return entry


def _write_lines(session: Session, entry: JournalEntry, lines: list[tuple[str, int]]) -> None:
    if sum(fen for _, fen in lines) != 0:
        raise UnbalancedEntry()
    for acct, fen in lines:
        session.add(JournalLine(entry_id=entry.id, account=acct, amount_fen=fen))


def balances(session: Session, year: int | None = None) -> dict[str, int]:
    stmt = select(JournalLine.account, func.sum(JournalLine.amount_fen)).join(
        JournalEntry, JournalEntry.id == JournalLine.entry_id).group_by(JournalLine.account)
    if year is not None:
        stmt = stmt.where(JournalEntry.year == year)
    return {acct: int(total or 0) for acct, total in session.execute(stmt)}


def claim_entries(session: Session, claim_id: int) -> list[JournalEntry]:
    return list(session.scalars(select(JournalEntry).where(JournalEntry.claim_id == claim_id)
                                .order_by(JournalEntry.id)))


@dataclass
class Reconciliation:
    year: int
    entries: int = 0
    paid_claims: int = 0
    appropriated: int = 0
    committed: int = 0
    spent: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def reconcile(session: Session, year: int) -> Reconciliation:
    """Prove the books balance and every paid claim was disbursed exactly once (and nothing else was)."""
    out = Reconciliation(year)
    unbalanced = session.execute(
        select(JournalLine.entry_id, func.sum(JournalLine.amount_fen))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id).where(JournalEntry.year == year)
        .group_by(JournalLine.entry_id).having(func.sum(JournalLine.amount_fen) != 0)).all()
    for entry_id, total in unbalanced:
        out.problems.append(f"分录 #{entry_id} 借贷不平衡（差额 {total} 分）")
    out.entries = session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.year == year)) or 0
    bal = balances(session, year)
    if sum(bal.values()) != 0:
        out.problems.append(f"总账不平衡：借贷差额 {sum(bal.values())} 分")
    for line in session.scalars(select(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.id)):
        ledger = {"appropriated": -bal.get(account("appropriation", line.id), 0),
                  "committed": bal.get(account("committed", line.id), 0),
                  "spent": bal.get(account("spent", line.id), 0),
                  "available": bal.get(account("available", line.id), 0)}
        kept = {"appropriated": line.appropriated.fen, "committed": line.committed.fen, "spent": line.spent.fen,
                "available": line.available.fen}
        for name, value in ledger.items():
            if kept[name] != value:
                out.problems.append(f"预算行 #{line.id}（{line.line}/{line.source}）{name}：台账 {kept[name]} 分，"
                                    f"总账 {value} 分")
        if ledger["available"] < 0:
            out.problems.append(f"预算行 #{line.id} 可用额为负：{ledger['available']} 分")
        out.appropriated += ledger["appropriated"]
        out.committed += ledger["committed"]
        out.spent += ledger["spent"]
    # Per claim: the net number of disbursements and the net amounts committed and spent.
    net_count: dict[int, int] = defaultdict(int)
    net_spent: dict[int, int] = defaultdict(int)
    net_committed: dict[int, int] = defaultdict(int)
    rows = session.execute(select(JournalEntry.claim_id, JournalEntry.kind, JournalLine.account,
                                  JournalLine.amount_fen)
                           .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                           .where(JournalEntry.year == year, JournalEntry.claim_id.is_not(None)))
    for claim_id, kind, acct, fen in rows:
        if acct.startswith("spent:"):
            net_spent[claim_id] += fen
            if kind == "disbursement":
                net_count[claim_id] += 1
            elif kind in ("refund", "clawback"):
                net_count[claim_id] -= 1
            elif kind == "reversal":
                net_count[claim_id] += 1 if fen > 0 else -1
        elif acct.startswith("committed:"):
            net_committed[claim_id] += fen
    claims = session.execute(select(Claim.id, Claim.state, Claim.amount).where(Claim.year == year)).all()
    for claim_id, state, amount in claims:
        count, spent, committed = net_count.get(claim_id, 0), net_spent.get(claim_id, 0), net_committed.get(
            claim_id, 0)
        if state == "paid":
            out.paid_claims += 1
            if count != 1:
                out.problems.append(f"申报 #{claim_id} 已支付，但拨付记录 {count} 笔（应为 1 笔）")
            if spent != amount.fen:
                out.problems.append(f"申报 #{claim_id} 已支付 {amount.fen} 分，总账拨付 {spent} 分")
            if committed != 0:
                out.problems.append(f"申报 #{claim_id} 已支付，仍有占用 {committed} 分")
        else:
            if count != 0 or spent != 0:
                out.problems.append(f"申报 #{claim_id}（{state}）未支付，但总账有拨付 {spent} 分")
            expected = amount.fen if state in ("approved", "disbursing") else 0
            if committed != expected:
                out.problems.append(f"申报 #{claim_id}（{state}）占用 {committed} 分，应为 {expected} 分")
    paid_payments = session.execute(select(Payment.claim_id, func.count()).where(Payment.state == "paid")
                                    .group_by(Payment.claim_id).having(func.count() > 1)).all()
    for claim_id, n in paid_payments:
        out.problems.append(f"申报 #{claim_id} 有 {n} 笔已支付的付款")
    return out
