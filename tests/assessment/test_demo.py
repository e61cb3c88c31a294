"""The demo data set: every task state, public figures next to demo observations, a bulletin."""

from __future__ import annotations

from sqlalchemy import func, select

from lishui.assessment import demo, scoring, targets, tasks
from lishui.assessment.models import Bulletin, Observation, Task
from lishui.registry import demo as registry_demo


def test_demo_data_shows_every_state(db, factory):
    with db.unit_of_work() as session:
        registry_demo.generate(session, factory.system, enterprises=30)
        out = demo.generate(session, factory.system)
        again = demo.generate(session, factory.system)
    assert out.tasks > 100 and again.tasks == 0 and out.bulletin is not None
    with db.unit_of_work() as session:
        all_tasks = session.scalars(select(Task)).all()
        colours = {tasks.colour(t) for t in all_tasks}
        public = session.scalar(select(func.count()).select_from(Observation).where(Observation.source == "public"))
        cards = scoring.compute(session, demo.DEMO_YEAR)
        progress = {p.target.id: p for p in targets.progress(session, targets.default_pack(), "331100", 2017)}
        linked = sum(1 for t in all_tasks if t.org_id is not None)
        assert session.scalar(select(func.count()).select_from(Bulletin)) == 1
    assert colours == {"green", "yellow", "red", "closed"}
    assert public == 20
    assert len({c.total for c in cards}) > 3
    assert progress["T5a"].status in ("on_track", "at_risk") and progress["T2"].latest is not None
    assert linked > 40
