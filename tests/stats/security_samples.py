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
    if role == "provider_user":  # a service provider's own report (its organisation comes from the marketplace)
        if "sub_prov" not in ids:  # forms are data: an administrator's form for service providers
            system = world.factory.system
            with world.db.unit_of_work() as session:
                service.create_form(session, system, code="PROVIDER_MONTHLY", title="服务商业务月报",
                                    period_type="month", subject="service_provider", reported_by="self",
                                    deadline_days="10")
                service.add_field(session, system, "PROVIDER_MONTHLY", key="orders", label="服务订单数",
                                  type_="integer", unit="单", required=True, min_value="0", max_value="",
                                  part_of="", outlier_check=False)
            with world.db.unit_of_work() as session:
                ids["sub_prov"] = service.submit(session, system, form_code="PROVIDER_MONTHLY",
                                                 entity_ref=str(ids["prov_org"]), period=months(1)[0],
                                                 values={"orders": 3}).id
                ids["exc_prov"] = service.open_exception(session, system, form_code="PROVIDER_MONTHLY",
                                                         entity_ref=str(ids["prov_org"]), period="2017-01",
                                                         reason="安全测试样例").id
        theirs = ("prov", "a")
    else:
        theirs = ("a", "b") if role == "enterprise_user" else ("b", "far")
    key = theirs[0] if own else theirs[1]
    return {"submission_id": ids[f"sub_{key}"], "exception_id": ids[f"exc_{key}"]}
