"""Special-fund administration: budgets, claims, review, public notice, approval, disbursement, ledger.

Importing the package registers the fund's fact provider with the policy engine."""

from lishui.funds import facts as _facts  # noqa: F401  (registers the provider)
