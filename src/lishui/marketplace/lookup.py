"""Policy lookup for the public and the service stations: the measures of the pack in force, in plain Chinese,
searchable, each with who can apply, what they get, the clause text and a link to the policy calculator.
Reads the pack only through the policy engine's public functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from lishui.core import clock
from lishui.core.errors import DomainError
from lishui.policy import service as policy
from lishui.registry import CITY_CODE, ORG_KINDS


@dataclass(frozen=True)
class MeasureEntry:
    id: str
    title: str
    who: str
    what: str
    clauses: list[tuple[str, str]]  # (clause id, original text)
    kinds: list[str]
    calculator: str
    pack_title: str

    def matches(self, q: str) -> bool:
        haystack = " ".join((self.id, self.title, self.who, self.what, *(t for _, t in self.clauses)))
        return all(part in haystack for part in q.split())


def pack_for(division: str, year: int) -> tuple[Any, int] | None:
    """The pack in force for the place in ``year``, else in the latest earlier year a pack covers."""
    years = sorted({y for p in policy.packs().values() for y in policy.valid_years(p) if y <= year}, reverse=True)
    for y in [year, *years]:
        try:
            return policy.pack_in_force(y, division), y
        except DomainError:
            continue
    return None


def measures(division: str = CITY_CODE, q: str = "", year: int | None = None, kind: str = "") -> list[MeasureEntry]:
    """The measures of the pack in force for the place and year (this year by default), filtered by every word
    of ``q`` and, given ``kind``, to those an organisation of that kind can receive."""
    found = pack_for(division, year or clock.today().year)
    if found is None:
        return []
    pack, year = found
    place = division if division != CITY_CODE else "331102"
    out = []
    for m in pack.measures.values():
        if kind and m.beneficiary_kinds and kind not in m.beneficiary_kinds:
            continue
        applicant = kind or (m.beneficiary_kinds[0] if m.beneficiary_kinds else "enterprise")
        entry = MeasureEntry(
            id=m.id, title=m.title, who=m.beneficiary or "、".join(ORG_KINDS.get(k, k) for k in m.beneficiary_kinds),
            what=m.summary or m.amount_text,
            clauses=[(c, pack.clauses[c].text) for c in m.clauses if c in pack.clauses],
            kinds=[ORG_KINDS.get(k, k) for k in m.beneficiary_kinds],
            calculator="/calculator?" + urlencode({"kind": applicant, "division": place, "year": year}),
            pack_title=pack.title)
        if not q.strip() or entry.matches(q.strip()):
            out.append(entry)
    return out
