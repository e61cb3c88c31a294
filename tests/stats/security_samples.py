"""Statistics records for the route-wide security suite (tests/security): one report of each sample enterprise
and a lock exception in each county, created once per world."""

from __future__ import annotations

from typing import Any

from lishui.stats import service
from tests.stats.helpers import months, retail

FORM = "ENT_MONTHLY_RETAIL"


def _ensure(world: Any) -> dict[str, int]:
    ids = world.ids
    if "sub_b" not in ids:
        system = world.factory.system
        with world.db.unit_of_work() as session:
            for key in ("a", "b", "far"):
                org = ids[f"ent_{key}"]
                ids[f"sub_{key}"] = service.submit(session, system, form_code=FORM, entity_ref=str(org),
                                                   period=months(1)[0], values=retail(1000)).id
                ids[f"exc_{key}"] = service.open_exception(session, system, form_code=FORM, entity_ref=str(org),
                                                           period="2017-01", reason="安全测试样例").id
    return ids


def any_stats_ids(world: Any) -> dict[str, Any]:
    ids = _ensure(world)
    return {"submission_id": ids["sub_b"], "exception_id": ids["exc_b"], "form_code": FORM}


def stats_records(world: Any, role: str, *, own: bool) -> dict[str, int]:
    """Enterprise A's own report (or B's); a Liandu officer's county record (or a Jinyun one)."""
    ids = _ensure(world)
    theirs = ("a", "b") if role == "enterprise_user" else ("b", "far")
    key = theirs[0] if own else theirs[1]
    return {"submission_id": ids[f"sub_{key}"], "exception_id": ids[f"exc_{key}"]}
