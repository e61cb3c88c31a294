"""Shared helpers of the statistics tests: recent periods, a month's values, actors of the approval chain."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from lishui.core import clock
from lishui.core.actor import Actor
from lishui.stats.rules import parse_period, recent_periods
from tests.factories import Account, Factory


def months(count: int = 6) -> list[str]:
    """The most recent ended months, oldest first."""
    return [p.code for p in reversed(recent_periods("month", clock.today(), count))]


def retail(total: int, *, agri: int = 0, **extra: Any) -> dict[str, Any]:
    """A month of the enterprise form in yuan: all physical goods, ``agri`` of them agricultural."""
    return {"online_retail": str(total), "physical_goods": str(total), "non_physical_goods": "0",
            "agricultural_retail": str(agri), **extra}


@dataclass
class Chain:
    enterprise_org: int
    enterprise: Actor
    county: Actor
    city: Actor
    accounts: dict[str, Account]


def chain(factory: Factory, division: str = "331102") -> Chain:
    """An enterprise in ``division`` with its user, a county officer of that division, a city officer."""
    org = factory.org(division=division)
    gov = factory.org(kind="government", division=division, name=f"{division}商务局{org}")
    accounts = {"enterprise": factory.account("enterprise_user", org_id=org),
                "county": factory.account("county_officer", org_id=gov),
                "city": factory.account("city_officer")}
    return Chain(org, factory.actor(accounts["enterprise"]), factory.actor(accounts["county"]),
                 factory.actor(accounts["city"]), accounts)


def soon_after(period: str, kind: str = "month", days: int = 5) -> AbstractContextManager[None]:
    """The clock a few days after ``period`` ended: reporting on time, before the lock."""
    end = parse_period(kind, period).end + dt.timedelta(days=days)
    return clock.frozen(dt.datetime(end.year, end.month, end.day, 4, tzinfo=dt.UTC))
