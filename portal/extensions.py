"""Extensions, created unbound so that ``create_app`` can bind them to each app it builds."""
from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.db import Base

db = SQLAlchemy(model_class=Base)

# The base class of the tables. At run time it is ``db.Model``: Flask-SQLAlchemy 3.1 builds it
# from ``Base`` (its body copied, plus the table naming and ``query`` mixins), so it is not a
# subclass of ``Base`` and mypy only sees an attribute of type ``type[Any]``, which it refuses as
# a base class ("Name 'db.Model' is not defined"). For mypy it is ``Base`` itself, the
# ``DeclarativeBase`` that declares everything the models use (the metadata, the type map,
# ``Mapped`` columns); nothing in the portal uses ``Model.query``.
if TYPE_CHECKING:
    Model: TypeAlias = Base
else:
    Model = db.Model
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

#: Per client address. Generous enough for a family or an office behind one address; tight
#: enough to stop guessing references, passwords or flooding a municipality with reports.
#: Reports, additions to a report and course sign-ups count only what was accepted (see
#: ``portal.ratelimits``): per address with a budget for a school's or a mobile operator's shared
#: address, and per browser session ("…_session"), with a far higher guard on every POST.
LIMITS = {
    "report": "120 per hour",
    "report_session": "10 per hour",
    "tracking": "20 per 10 minutes",
    "login": "10 per minute;50 per hour",
    "password_reset": "5 per hour",
    "course_sign_up": "120 per hour",
    "course_sign_up_session": "10 per hour",
    "form_posts": "600 per hour",
}
