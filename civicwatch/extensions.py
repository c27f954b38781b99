"""Extensions, created unbound and attached to an app in create_app()."""
from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from civicwatch.clients import rate_limit_key
from civicwatch.database import AppSession, Base

db = SQLAlchemy(model_class=Base, session_options={"class_": AppSession})
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=rate_limit_key, default_limits=[])

# db.Model is built at run time from Base, so type checkers cannot see it; they see Base, which has the
# same columns, registry and metadata.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
