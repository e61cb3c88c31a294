"""The marketplace demo data: believable, at every stage, and loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from lishui.core.actor import system_actor
from lishui.marketplace import demo
from lishui.marketplace.models import Collection, Engagement, Product, Provider
from lishui.registry import demo as registry_demo


def test_the_demo_has_every_stage_and_loads_once(db):
    actor = system_actor("demo")
    with db.unit_of_work() as session:
        registry_demo.generate(session, actor, enterprises=120)
        first = demo.generate(session, actor)
        assert first.providers > 0 and first.demands > 0 and first.products > 0
        states = set(session.scalars(select(Engagement.state)))
        assert {"accepted", "in_progress", "disputed", "completed"} <= states
        assert session.scalar(select(func.count()).select_from(Provider).where(Provider.state == "pending"))
        assert session.scalar(select(func.count()).select_from(Collection)) == 2
        products = session.scalar(select(func.count()).select_from(Product))
        again = demo.generate(session, actor)
        assert again.providers == 0 and session.scalar(select(func.count()).select_from(Product)) == products
