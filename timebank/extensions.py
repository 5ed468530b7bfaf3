"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from timebank.ledger import community_models  # noqa: F401 - registers its tables
from timebank.ledger.models import Base
from timebank.ledger.triggers import attach_to

attach_to(Base.metadata)

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
