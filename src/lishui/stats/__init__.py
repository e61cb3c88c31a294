"""Statistics monitoring (统计监测制度): report forms, data entry by web form, Excel upload and API push, validation
with outlier flags, the approval chain, corrections with history, locks, and the facts the policy engine uses."""

from lishui.stats import facts as _facts  # noqa: F401  (registers the fact provider with the policy engine)
from lishui.stats.indicators import compute as compute_indicator
from lishui.stats.indicators import values_over as indicator_values
from lishui.stats.models import StatsForm, StatsRevision, StatsSubmission

__all__ = ["StatsForm", "StatsRevision", "StatsSubmission", "compute_indicator", "indicator_values"]
