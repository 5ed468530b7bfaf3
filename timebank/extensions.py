"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

# The community, import and report tables share the ledger's metadata; importing
# them registers them.
from timebank.api import models as api_models  # noqa: F401
from timebank.community import (
    api_tokens,  # noqa: F401
    security_log_guard,
)
from timebank.community import models as community_models  # noqa: F401
from timebank.community import security_events as security_event_models  # noqa: F401
from timebank.community import sign_in_sessions as sign_in_session_models  # noqa: F401
from timebank.importing import models as import_models  # noqa: F401
from timebank.ledger.models import Base
from timebank.ledger.triggers import attach_to
from timebank.reports import models as report_models  # noqa: F401

attach_to(Base.metadata)
security_log_guard.attach_to(Base.metadata)

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
