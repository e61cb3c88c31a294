"""Assessment (考核督查): responsibility tasks, indicators and targets, county scorecards, bulletins."""

from lishui.assessment import funds_source as _funds_source  # noqa: F401  (registers the fund money paid)
from lishui.assessment import stats_source as _stats_source  # noqa: F401  (registers the statistics indicators)
