"""Load the demo data set: registry first, then policy facts and a batch run, then accounts.
Idempotent: a loaded database is left alone."""

from __future__ import annotations

from sqlalchemy import func, select

from lishui.assessment import demo as assessment_demo
from lishui.config import Settings
from lishui.core.console import operator_actor
from lishui.core.db import Database
from lishui.core.migrate import upgrade
from lishui.funds import demo as funds_demo
from lishui.identity.demo import DemoAccount, create_accounts
from lishui.identity.models import User
from lishui.marketplace import demo as marketplace_demo
from lishui.policy import demo as policy_demo
from lishui.registry import ZONE_CODE
from lishui.registry import demo as registry_demo
from lishui.stats import demo as stats_demo


def load_demo(settings: Settings, db: Database, *, enterprises: int = 3000) -> list[DemoAccount]:
    upgrade(settings.database_url)
    actor = operator_actor("demo")
    with db.unit_of_work() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return []
        reg = registry_demo.generate(session, actor, enterprises=enterprises)
        first = {kind: ids[0] for kind, ids in reg.by_kind.items()}
        org_for_role = {
            "sys_admin": reg.city_bureau, "security_admin": reg.city_bureau, "audit_admin": reg.city_bureau,
            "city_officer": reg.city_bureau, "county_officer": reg.county_bureaus["331122"],
            "reviewer": reg.county_bureaus["331122"], "approver": reg.city_bureau, "finance_officer": reg.city_bureau,
            "auditor": reg.city_bureau, "enterprise_user": first["enterprise"],
            "park_operator_user": first["park_operator"], "station_operator_user": first["station_operator"],
            "service_center_user": first["service_center"], "logistics_user": first["logistics"],
            "warehouse_user": first["warehouse_center"], "bank_user": first["bank"], "training_user": first["training"],
            "provider_user": first["service_provider"],
        }
        assert ZONE_CODE in reg.county_bureaus
        stats_demo.generate(session, actor)  # before the policy batch: its accepted figures are facts
        policy_demo.generate(session, actor)
        marketplace_demo.generate(session, actor)
        assessment_demo.generate(session, actor)
        funds_demo.generate(session, actor, demo_enterprise=first["enterprise"])
        return create_accounts(session, actor, org_for_role)
