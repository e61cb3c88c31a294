"""The demo statistics: every step of the chain, a flagged jump, public figures, and award candidates for the
policy batch straight from accepted statistics."""

from __future__ import annotations

from sqlalchemy import func, select

from lishui.core.actor import system_actor
from lishui.policy import demo as policy_demo
from lishui.policy import service as policy
from lishui.registry import Organisation
from lishui.registry import demo as registry_demo
from lishui.stats import demo as stats_demo
from lishui.stats import facts
from lishui.stats.models import StatsPublicFigure, StatsSubmission


def test_the_demo_loads_once_with_public_figures_and_candidates_from_the_statistics(db):
    actor = system_actor("demo")
    with db.unit_of_work() as session:
        registry_demo.generate(session, actor, enterprises=400)
        made = stats_demo.generate(session, actor)
        assert made.reports > 300 and made.public_figures > 20 and made.award_candidates == 6
    with db.unit_of_work() as session:
        statuses = dict(session.execute(select(StatsSubmission.status, func.count())
                                        .group_by(StatsSubmission.status)).tuples().all())
        assert {"submitted", "verified", "accepted", "returned"} <= set(statuses)
        assert session.scalar(select(func.count()).where(StatsSubmission.flagged.is_(True))) >= 1
        villages = session.scalar(select(StatsPublicFigure.value).where(
            StatsPublicFigure.year == 2019, StatsPublicFigure.division_code == "331100",
            StatsPublicFigure.indicator == "taobao_villages"))
        assert villages == "29"
        assert all("公开数据" in label for label in session.scalars(select(StatsPublicFigure.label)))
        assert stats_demo.generate(session, actor).reports == 0  # loaded once
    with db.unit_of_work() as session:
        run = policy_demo.generate(session, actor).run
        assert run is not None
        found = {(c.org_id, c.measure_id) for c, _ in policy.run_candidates(session, actor, run, limit=None)}
        enterprises = session.scalars(select(Organisation.id).where(Organisation.kind == "enterprise")).all()
        stats_facts = facts.StatsFacts().provide(session, enterprises, 2017)
    growers = [org for org, values in stats_facts.items() if "online_retail" in values]
    assert len(growers) == 6
    assert all((org, "M21") in found or (org, "M22") in found for org in growers)
