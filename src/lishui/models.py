"""Every domain's models, imported so that metadata (and Alembic) sees all tables."""

from lishui.core import audit, idempotency  # noqa: F401
from lishui.core.db import Base
from lishui.identity import models as identity_models  # noqa: F401
from lishui.policy import models as policy_models  # noqa: F401
from lishui.registry import models as registry_models  # noqa: F401
from lishui.stats import models as stats_models  # noqa: F401

metadata = Base.metadata
