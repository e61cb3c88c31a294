"""Special-fund money paid, by county/zone and for the city, as an assessment indicator (from the funds ledger's
paid claims): the bulletin and the dashboard show the money next to the targets."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from lishui.assessment.indicators import Value, parse_period, register_source
from lishui.funds import budget_execution
from lishui.registry import CITY_CODE


class FundsPaid:
    name = "funds"
    provides = frozenset({"funds_paid"})

    def values(self, session: Session, indicator: str, divisions: Sequence[str],
               periods: Sequence[str]) -> dict[tuple[str, str], Value]:
        out: dict[tuple[str, str], Value] = {}
        for period in periods:
            try:
                text, year, _ = parse_period(period)
            except ValueError:
                continue
            if text != str(year):  # paid claims are counted by the claim's year
                continue
            report = budget_execution(session, year)
            paid = {row["division"]: Decimal(row["spent"]) / 100 for row in report.by_county}
            paid[CITY_CODE] = sum(paid.values(), Decimal(0))
            for division in divisions:
                if division in paid and (paid[division] or (division == CITY_CODE and report.lines)):
                    out[(division, period)] = Value(paid[division].quantize(Decimal("0.0001")), "funds")
        return out


register_source(FundsPaid())
