"""The demo data set: claims in every state, a budget partly spent, one open objection, one bounced payment."""

from __future__ import annotations

from sqlalchemy import func, select

from lishui.core.console import operator_actor
from lishui.funds import demo as funds_demo
from lishui.funds import ledger
from lishui.funds.models import Claim, Objection, Payment
from lishui.funds.service import STATES, line_for
from lishui.policy import demo as policy_demo
from lishui.registry import demo as registry_demo


def test_demo_has_every_state_and_balanced_books(db):
    actor = operator_actor("demo")
    with db.unit_of_work() as session:
        reg = registry_demo.generate(session, actor, enterprises=1200)
        policy_demo.generate(session, actor)
        funds_demo.generate(session, actor, demo_enterprise=reg.by_kind["enterprise"][0])
    with db.unit_of_work() as session:
        states = dict(session.execute(select(Claim.state, func.count()).group_by(Claim.state)).tuples().all())
        assert set(states) == set(STATES), set(STATES) - set(states)
        assert len(set(session.scalars(select(Claim.measure_id)))) >= 4
        assert session.scalar(select(func.count()).select_from(Objection).where(Objection.state == "open")) == 1
        assert session.scalar(select(func.count()).select_from(Payment).where(Payment.state == "bounced")) == 1
        line = line_for(session, funds_demo.DEMO_YEAR, "general")
        assert line is not None and 0 < line.spent.fen < line.appropriated.fen
        assert ledger.reconcile(session, funds_demo.DEMO_YEAR).ok
        mine = session.scalars(select(Claim.state).where(Claim.org_id == reg.by_kind["enterprise"][0])).all()
        assert "candidate" in mine
        assert session.scalar(select(func.count()).select_from(Claim).where(
            Claim.division_code == "331122", Claim.state == "submitted")) >= 1
