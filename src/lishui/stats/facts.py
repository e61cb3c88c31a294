"""What the statistics tell the policy engine: accepted figures only, each traceable to the revision it came from.

Annual figures are given only for a complete year (twelve accepted months, four accepted quarters): a partial
year would understate a base or overstate growth. Where nothing is accepted the provider says nothing, so the
engine reports the fact as missing (or uses a figure an officer recorded in the facts table).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from lishui.policy.facts import register_provider
from lishui.stats.models import StatsFigure, StatsForm, StatsRevision, StatsSubmission
from lishui.stats.rules import load_values

RETAIL = "ENT_MONTHLY_RETAIL"
INCLUSION = "STATS_INCLUSION"
PARK = "PARK_QUARTERLY"
WAREHOUSE = "WAREHOUSE_DAILY"
RECOGNITION = "DEMO_RECOGNITION"
LEVELS = ("enterprise_level", "platform_level", "base_level", "village_town_level")
FEN = Decimal(100)
LARGE = 5000  # from this many organisations, read the whole form and filter in memory


@dataclass(frozen=True)
class Accepted:
    org_id: int
    period_start: dt.date
    submission_id: int
    revision: int
    values: dict[str, str]

    @property
    def source(self) -> str:
        return f"{self.submission_id}#{self.revision}"


# Built once with bound parameters: building a statement per call costs more in Python than running it for one
# organisation (the evaluation API asks for one at a time). The True entries take a list of organisations.
_ACCEPTED_ALL = (select(StatsForm.code, StatsSubmission.org_id, StatsSubmission.period_start, StatsSubmission.id,
                        StatsRevision.revision, StatsRevision.values)
                 .join(StatsForm, StatsForm.id == StatsSubmission.form_id)
                 .join(StatsRevision, (StatsRevision.submission_id == StatsSubmission.id)
                       & (StatsRevision.revision == StatsSubmission.accepted_revision))
                 .where(StatsForm.code.in_(bindparam("codes", expanding=True)),
                        StatsSubmission.accepted_revision.is_not(None),
                        StatsSubmission.period_start >= bindparam("start"),
                        StatsSubmission.period_start <= bindparam("end")))
_ACCEPTED = {True: _ACCEPTED_ALL.where(StatsSubmission.org_id.in_(bindparam("org_ids", expanding=True))),
             False: _ACCEPTED_ALL}


def accepted_by_form(session: Session, form_codes: Sequence[str], org_ids: Sequence[int], start: dt.date,
                     end: dt.date) -> dict[str, list[Accepted]]:
    """Accepted reports on these forms of organisations for periods starting in [start, end], with the accepted
    revision's values (a correction under review does not count until it is accepted in its turn), by form."""
    wanted = set(org_ids)
    out: dict[str, list[Accepted]] = {code: [] for code in form_codes}
    params: dict[str, Any] = {"codes": list(form_codes), "start": start, "end": end}
    chunks: Iterable[list[int] | None] = ([sorted(wanted)[i:i + 1000] for i in range(0, len(wanted), 1000)]
                                         if len(wanted) < LARGE else [None])
    for chunk in chunks:
        query = _ACCEPTED[chunk is not None]
        for code, org_id, period_start, sub_id, rev, values in session.execute(
                query, params if chunk is None else {**params, "org_ids": chunk}).tuples():
            if org_id in wanted:
                out[code].append(Accepted(org_id, period_start, sub_id, rev, load_values(values)))
    return out


def accepted(session: Session, form_code: str, org_ids: Sequence[int], start: dt.date,
             end: dt.date) -> list[Accepted]:
    """Accepted reports on one form (see ``accepted_by_form``)."""
    return accepted_by_form(session, [form_code], org_ids, start, end)[form_code]


def _per_org(rows: list[Accepted]) -> dict[int, list[Accepted]]:
    """Each organisation's reports, in period order."""
    out: dict[int, list[Accepted]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.period_start):
        out[row.org_id].append(row)
    return out


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN).quantize(Decimal("0.01"))


@dataclass
class StatsFacts:
    """Online retail (the year, the base year, the highest earlier year), first inclusion in the statistics
    bureau's system, park area, occupancy and retail, warehouse-center orders, days and clients, and the
    demonstration level recognised in the year (M20)."""

    name: str = "stats"
    provides: frozenset[str] = frozenset({
        "online_retail", "online_retail_base", "online_retail_highest_prior", "online_retail_included",
        "first_included_year", "park_ecommerce_retail", "park_agri_ecommerce_retail", "park_usable_area",
        "park_operating_area", "park_ecommerce_occupied_area", "orders_shipped", "days_operated",
        "enterprises_served", "demonstration_level"})
    # Where the last answer came from: org id -> fact -> ["<submission id>#<revision>", ...]
    last_sources: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def provide(self, session: Session, org_ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]:
        facts: dict[int, dict[str, Any]] = defaultdict(dict)
        sources: dict[int, dict[str, list[str]]] = defaultdict(dict)
        self._retail(session, org_ids, year, facts, sources)
        # The inclusion list over the years up to this one; the park, warehouse and recognition reports of this
        # year in one query (reading their earlier years too would parse every daily report ever made).
        self._inclusion(accepted(session, INCLUSION, org_ids, dt.date(2000, 1, 1), dt.date(year, 1, 1)), facts,
                        sources)
        this_year = accepted_by_form(session, [PARK, WAREHOUSE, RECOGNITION], org_ids, dt.date(year, 1, 1),
                                     dt.date(year, 12, 31))
        self._parks(this_year[PARK], facts, sources)
        self._warehouses(this_year[WAREHOUSE], facts, sources)
        self._recognitions(this_year[RECOGNITION], facts, sources)
        self.last_sources = dict(sources)
        return dict(facts)

    def _retail(self, session: Session, org_ids: Sequence[int], year: int, facts: dict[int, dict[str, Any]],
                sources: dict[int, dict[str, list[str]]]) -> None:
        """Annual sums of the accepted monthly figures, added up in the database (complete years only)."""
        for org_id, y, months, total in _by_org(session, _RETAIL_YEARS, {"end": dt.date(year, 12, 31)}, org_ids):
            if months != 12:
                continue
            amount = _yuan(int(total))
            if y == year:
                facts[org_id]["online_retail"] = amount
            elif y == year - 1:
                facts[org_id]["online_retail_base"] = amount
            if y < year and amount > facts[org_id].get("online_retail_highest_prior", Decimal(-1)):
                facts[org_id]["online_retail_highest_prior"] = amount
        # The revisions behind these sums: ``sources()``, one organisation at a time (a batch does not need them).

    def _inclusion(self, rows: list[Accepted], facts: dict[int, dict[str, Any]],
                   sources: dict[int, dict[str, list[str]]]) -> None:
        # The latest accepted year up to this one decides; the earliest inclusion is the first.
        for row in sorted(rows, key=lambda r: r.period_start):
            included = row.values.get("included") == "true"
            facts[row.org_id]["online_retail_included"] = included
            sources[row.org_id]["online_retail_included"] = [row.source]
            stated = row.values.get("first_included_year")
            if stated:
                facts[row.org_id]["first_included_year"] = int(stated)
                sources[row.org_id]["first_included_year"] = [row.source]
            elif included and "first_included_year" not in facts[row.org_id]:
                facts[row.org_id]["first_included_year"] = row.period_start.year
                sources[row.org_id]["first_included_year"] = [row.source]

    def _parks(self, rows: list[Accepted], facts: dict[int, dict[str, Any]],
               sources: dict[int, dict[str, list[str]]]) -> None:
        for org_id, reports in _per_org(rows).items():
            latest = reports[-1]
            for fact, key in (("park_usable_area", "usable_area"), ("park_operating_area", "operating_area"),
                              ("park_ecommerce_occupied_area", "ecommerce_occupied_area")):
                if key in latest.values:
                    facts[org_id][fact] = Decimal(latest.values[key])
                    sources[org_id][fact] = [latest.source]
            if len({r.period_start.month for r in reports}) == 4:
                refs = [r.source for r in reports]
                for fact, key in (("park_ecommerce_retail", "ecommerce_retail"),
                                  ("park_agri_ecommerce_retail", "agri_ecommerce_retail")):
                    facts[org_id][fact] = _yuan(sum(int(r.values.get(key, "0")) for r in reports))
                    sources[org_id][fact] = refs

    def _warehouses(self, rows: list[Accepted], facts: dict[int, dict[str, Any]],
                    sources: dict[int, dict[str, list[str]]]) -> None:
        for org_id, days in _per_org(rows).items():
            refs = [r.source for r in days]
            facts[org_id]["orders_shipped"] = sum(int(r.values.get("orders_shipped", "0")) for r in days)
            facts[org_id]["days_operated"] = sum(1 for r in days if int(r.values.get("orders_shipped", "0")) > 0)
            facts[org_id]["enterprises_served"] = max(int(r.values.get("clients_total", "0")) for r in days)
            for fact in ("orders_shipped", "days_operated", "enterprises_served"):
                sources[org_id][fact] = refs

    def _recognitions(self, rows: list[Accepted], facts: dict[int, dict[str, Any]],
                      sources: dict[int, dict[str, list[str]]]) -> None:
        """The highest level recognised in the year, over the categories (enterprise, platform, base, village or
        town); 0 when the year's entry names none. Without an accepted entry for the year: nothing."""
        for row in rows:
            facts[row.org_id]["demonstration_level"] = max((int(row.values[k]) for k in LEVELS if row.values.get(k)),
                                                           default=0)
            sources[row.org_id]["demonstration_level"] = [row.source]


PROVIDER = StatsFacts()
register_provider(PROVIDER)


_YEAR_OF = func.extract("year", StatsFigure.period_start)
_RETAIL_YEARS_ALL = (select(StatsFigure.entity_key, _YEAR_OF, func.count(func.distinct(StatsFigure.period_start)),
                            func.sum(StatsFigure.value))
                     .join(StatsForm, StatsForm.id == StatsFigure.form_id)
                     .where(StatsForm.code == RETAIL, StatsFigure.field_key == "online_retail",
                            StatsFigure.period_start <= bindparam("end"))
                     .group_by(StatsFigure.entity_key, _YEAR_OF))
_RETAIL_YEARS = {True: _RETAIL_YEARS_ALL.where(StatsFigure.entity_key.in_(bindparam("keys", expanding=True))),
                 False: _RETAIL_YEARS_ALL}


def _by_org(session: Session, stmts: dict[bool, Any], params: dict[str, Any],
            org_ids: Sequence[int]) -> list[tuple[int, int, int, Any]]:
    """Rows of a prebuilt statement grouped by entity key, for these organisations (in chunks, or all and
    filtered)."""
    wanted = set(org_ids)
    keys = [f"o{org_id}" for org_id in sorted(wanted)]
    runs = ([{**params, "keys": keys[i:i + 1000]} for i in range(0, len(keys), 1000)] if len(keys) < LARGE
            else [params])
    out = []
    for run in runs:
        for key, y, count, total in session.execute(stmts["keys" in run], run).tuples():
            org_id = int(key[1:]) if key.startswith("o") else -1
            if org_id in wanted:
                out.append((org_id, int(y), int(count), total))
    return out


def sources(session: Session, org_id: int, year: int) -> dict[str, list[str]]:
    """Which accepted revisions (``<submission id>#<revision>``) each statistics fact of an organisation and year
    comes from: what a claim records so that a later correction cannot silently change an award's basis."""
    provider = StatsFacts()
    provided = provider.provide(session, [org_id], year).get(org_id, {})
    found = dict(provider.last_sources.get(org_id, {}))
    by_year: dict[int, list[Accepted]] = defaultdict(list)
    for row in accepted(session, RETAIL, [org_id], dt.date(2000, 1, 1), dt.date(year, 12, 31)):
        by_year[row.period_start.year].append(row)
    refs = {y: [r.source for r in sorted(rows, key=lambda r: r.period_start)] for y, rows in by_year.items()}
    if "online_retail" in provided:
        found["online_retail"] = refs[year]
    if "online_retail_base" in provided:
        found["online_retail_base"] = refs[year - 1]
    if "online_retail_highest_prior" in provided:
        best = max((y for y in refs if y < year and len(refs[y]) == 12),
                   key=lambda y: sum(int(r.values.get("online_retail", "0")) for r in by_year[y]))
        found["online_retail_highest_prior"] = refs[best]
    return found
