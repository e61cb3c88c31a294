"""Every domain's models, imported so that metadata (and Alembic) sees all tables."""

from lishui.assessment import models as assessment_models  # noqa: F401
from lishui.core import audit, idempotency  # noqa: F401
from lishui.core.db import Base
from lishui.funds import models as funds_models  # noqa: F401
from lishui.identity import models as identity_models  # noqa: F401
from lishui.marketplace import models as marketplace_models  # noqa: F401
from lishui.policy import models as policy_models  # noqa: F401
from lishui.registry import models as registry_models  # noqa: F401
from lishui.stats import models as stats_models  # noqa: F401

metadata = Base.metadata
