"""CivicWatch: complaints and oversight for the security sector."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from civicwatch import models  # noqa: F401  (every table known to the metadata)
from civicwatch.accounts import views as accounts_views
from civicwatch.accounts.sessions import configure_login
from civicwatch.cases import staff_views  # noqa: F401  (changing a staff member's role, on the cases blueprint)
from civicwatch.cases import views as cases_views
from civicwatch.classify.language import check_classifier_languages
from civicwatch.commands import register_cli
from civicwatch.compression import register_compression
from civicwatch.database import ID_MAX, close_quietly
from civicwatch.demo.operations import DEMO_CONTACTS
from civicwatch.disclosure import views as disclosure_views
from civicwatch.errors import register_error_handlers
from civicwatch.extensions import csrf, db, limiter, login_manager, migrate
from civicwatch.i18n import register_languages
from civicwatch.instance_secrets import fill_development_secrets
from civicwatch.intake import assisted_views
from civicwatch.intake import views as intake_views
from civicwatch.interfaces import views as interfaces_views
from civicwatch.oversight import views as oversight_views
from civicwatch.patterns import case_views as patterns_case_views  # noqa: F401  (allegations on the case page)
from civicwatch.patterns import views as patterns_views
from civicwatch.public import views as public_views
from civicwatch.publishing import views as publishing_views
from civicwatch.request_limits import bound_request_bodies
from civicwatch.retention import views as retention_views
from civicwatch.routing import case_views  # noqa: F401  (the case page's routing actions, on the cases blueprint)
from civicwatch.routing import views as routing_views
from civicwatch.schema_guard import register_schema_check
from civicwatch.security_headers import register_security_headers
from civicwatch.session_cookies import register_session_cookies
from civicwatch.settings import check_settings
from civicwatch.sms import staff_views as sms_staff_views
from civicwatch.sms import views as sms_views
from civicwatch.templating import register_template_helpers
from civicwatch.transparency import views as transparency_views
from config import config_from_env

PROJECT_DIR = Path(__file__).resolve().parent.parent

BLUEPRINTS: tuple[Blueprint, ...] = (
    public_views.blueprint,
    accounts_views.blueprint,
    cases_views.blueprint,
    oversight_views.blueprint,
    intake_views.blueprint,
    assisted_views.blueprint,
    sms_views.blueprint,
    sms_staff_views.blueprint,
    transparency_views.blueprint,
    publishing_views.blueprint,
    interfaces_views.blueprint,
    routing_views.blueprint,
    disclosure_views.blueprint,
    patterns_views.blueprint,
    retention_views.blueprint,
)


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: at most the bound of an id column (INTEGER, 32 bits on PostgreSQL)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def create_app(config: object | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder="static",
        instance_path=str(PROJECT_DIR / "instance"),
    )
    # Before any route exists: an id in a URL that no database column can hold finds nothing (404), not a 500.
    app.url_map.converters["int"] = DatabaseId
    app.config.from_object(config or config_from_env())
    suggest_simulator_phones(app)
    prepare_instance(app)
    check_required_settings(app)
    trust_proxies(app)
    bound_request_bodies(app)
    register_session_cookies(app)
    configure_logging(app)
    register_extensions(app)
    register_schema_check(app)
    register_languages(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_compression(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def prepare_instance(app: Flask) -> None:
    """Development and demo get generated secrets kept under instance/; production must bring its own."""
    if not app.config.get("REQUIRED_SECRETS"):
        fill_development_secrets(app)


def suggest_simulator_phones(app: Flask) -> None:
    """The SMS simulator offers the demo complainants' numbers first (demo cases carry them)."""
    app.config.setdefault("SMS_SIMULATOR_PHONES", tuple(contact["phone"] for contact in DEMO_CONTACTS))


def check_required_settings(app: Flask) -> None:
    check_settings(app.config)
    check_classifier_languages(app.config.get("CLASSIFIER_LANGUAGES", []))


def trust_proxies(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def configure_logging(app: Flask) -> None:
    level = app.config.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Request lines carry receipt codes in query strings on some clients; keep werkzeug quiet.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Twilio's client logs each request's query at INFO: looking for a lost send lists messages To a number.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # A database error's message quotes the statement's values (a complaint's text, a number's keyed hash) unless
    # told not to, and the traceback of every failed request or text carries it into the log. Whatever a
    # configuration passes as engine options, before the engine is made.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                               "hide_parameters": True}


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    # Teardowns run in reverse order: this one ends the session before Flask-SQLAlchemy's, so that a
    # connection that died during the request cannot make the end-of-request rollback raise (and a response
    # already made, such as a receipt, become a 500).
    app.teardown_appcontext(end_database_session)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    configure_login(login_manager)


def end_database_session(error: BaseException | None) -> None:
    # A request that never touched the ORM (the SMS webhook writes outside it) has no session to end.
    if db.session.registry.has():
        close_quietly(db.session)


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
