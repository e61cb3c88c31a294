"""Special-fund administration: budgets, claims, review, public notice, approval, disbursement, ledger.

Importing the package registers the fund's fact provider with the policy engine."""

from lishui.funds import facts as _facts  # noqa: F401  (registers the provider)
from lishui.funds.reports import execution as budget_execution

__all__ = ["budget_execution"]
