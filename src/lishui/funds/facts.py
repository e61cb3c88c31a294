"""What the special fund tells the policy engine: amounts an entity already received under each measure
(``received_<measure>_<year|lifetime|asset>``), from claims paid, so caps count money really paid."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from lishui.core.money import Money
from lishui.funds.models import Claim
from lishui.policy.engine import received_fact
from lishui.policy.facts import register_provider

KINDS = ("year", "lifetime", "asset")


class FundsFacts:
    name = "funds"

    def __init__(self) -> None:
        self._provides: frozenset[str] | None = None

    @property
    def provides(self) -> frozenset[str]:
        """Every received_* fact of every shipped pack's measures (packs loaded on first use, not at import)."""
        if self._provides is None:
            from lishui.policy import service as policy

            measures = {m for pack in policy.packs().values() for m in pack.measures}
            self._provides = frozenset(received_fact(m, k) for m in measures for k in KINDS)
        return self._provides

    @provides.setter
    def provides(self, value: frozenset[str]) -> None:
        self._provides = value

    def provide(self, session: Session, org_ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]:
        by_org = len(org_ids) < 5000
        params: dict[str, Any] = {"year": year, **({"org_ids": list(org_ids)} if by_org else {})}
        wanted = set(org_ids)
        out: dict[int, dict[str, Any]] = {}
        for org_id, measure_id, claim_year, total in session.execute(_PAID[by_org], params):
            if org_id not in wanted:
                continue
            facts = out.setdefault(org_id, {})
            amount = Decimal(total.fen if isinstance(total, Money) else int(total or 0)) / 100
            life = received_fact(measure_id, "lifetime")
            facts[life] = facts.get(life, Decimal(0)) + amount
            facts[received_fact(measure_id, "asset")] = facts[life]
            if claim_year == year:
                facts[received_fact(measure_id, "year")] = amount
        return out


# Built once, with bound parameters (a statement built per call costs more in Python than the query); the True entry
# is for a list of organisations, the False one reads every organisation's claims.
_PAID_BY_MEASURE = (select(Claim.org_id, Claim.measure_id, Claim.year, func.sum(Claim.amount))
                    .where(Claim.state == "paid", Claim.year <= bindparam("year"))
                    .group_by(Claim.org_id, Claim.measure_id, Claim.year))
_PAID = {True: _PAID_BY_MEASURE.where(Claim.org_id.in_(bindparam("org_ids", expanding=True))),
         False: _PAID_BY_MEASURE}

register_provider(FundsFacts())
