"""The statistics subsystem's indicators (computed from accepted reports) as an assessment indicator source.

Registered when ``lishui.assessment`` is imported. Where statistics has accepted figures they fill the periods
no officer recorded a figure for and replace public figures; a recorded (official) figure stands, because the
platform's reporters are not every enterprise of a county (``indicators.value_table``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from lishui.assessment.indicators import Value, parse_period, register_source
from lishui.core.actor import system_actor
from lishui.stats import indicator_values

# assessment indicator -> (statistics indicator, factor from its shown unit to the assessment unit)
MAPPING: dict[str, tuple[str, Decimal]] = {
    "city_online_retail": ("online_retail", Decimal(10_000)),  # 万元 -> 元
    "rural_stations": ("rural_stations", Decimal(1)),
    "community_stations": ("community_stations", Decimal(1)),
    "ecommerce_park_area": ("park_area", Decimal(1)),
    "above_size_ecommerce_share": ("above_size_share", Decimal("0.01")),  # percent -> ratio
    "taobao_villages": ("ecommerce_villages", Decimal(1)),  # 电子商务村（淘宝村）: the county reports' count
    "taobao_towns": ("ecommerce_towns", Decimal(1)),
    "provincial_demo_enterprises": ("provincial_demo_enterprises", Decimal(1)),  # the recognition register
    "provincial_demo_platforms": ("provincial_demo_platforms", Decimal(1)),
    "provincial_demo_bases": ("provincial_demo_bases", Decimal(1)),
}


def _column(period: str) -> tuple[str, int, str]:
    """An assessment period ("2017", "2017Q2", "2017-06") as (granularity, year, statistics column)."""
    text, year, start = parse_period(period)
    if "Q" in text:
        return "quarter", year, f"{year}-Q{(start.month - 1) // 3 + 1}"
    if "-" in text:
        return "month", year, text
    return "year", year, str(year)


class StatsIndicators:
    name = "stats"
    provides = frozenset(MAPPING)

    def values(self, session: Session, indicator: str, divisions: Sequence[str],
               periods: Sequence[str]) -> dict[tuple[str, str], Value]:
        key, factor = MAPPING[indicator]
        wanted: dict[str, list[tuple[str, int, str]]] = defaultdict(list)  # granularity -> (period, year, column)
        for period in periods:
            try:
                granularity, year, column = _column(period)
            except ValueError:
                continue
            wanted[granularity].append((period, year, column))
        out: dict[tuple[str, str], Value] = {}
        reader = system_actor("assessment indicators")
        for granularity, asked in wanted.items():
            # every year asked at once: one query per statistics field, not two per year
            found = indicator_values(session, reader, indicator=key, years={year for _, year, _ in asked},
                                     granularity=granularity)
            for division in divisions:
                for period, _, column in asked:
                    value = found.get((division, column))
                    if value is not None:
                        out[(division, period)] = Value((value * factor).quantize(Decimal("0.0001")), "stats")
        return out


register_source(StatsIndicators())
