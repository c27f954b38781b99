"""CivicWatch: complaints and oversight for the security sector."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from civicwatch.extensions import csrf, db, limiter, login_manager, migrate

PROJECT_DIR = Path(__file__).resolve().parent.parent

BLUEPRINTS = (
    "civicwatch.public.views",
    "civicwatch.accounts.views",
    "civicwatch.cases.views",
    "civicwatch.audit.views",
    "civicwatch.intake.views",
    "civicwatch.sms.views",
    "civicwatch.messaging.views",
    "civicwatch.transparency.views",
    "civicwatch.publishing.views",
    "civicwatch.interfaces.views",
    "civicwatch.routing.views",
)

def create_app(config: object | None = None) -> Flask:
    from config import config_from_env

    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder="static",
        instance_path=str(PROJECT_DIR / "instance"),
    )
    app.config.from_object(config or config_from_env())
    prepare_instance(app)
    check_required_settings(app)
    trust_proxies(app)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def prepare_instance(app: Flask) -> None:
    """Development and demo get generated secrets kept under instance/; production must bring its own."""
    from civicwatch.instance_secrets import fill_development_secrets

    if not app.config.get("REQUIRED_SECRETS"):
        fill_development_secrets(app)


def check_required_settings(app: Flask) -> None:
    from civicwatch.crypto import valid_encryption_key

    sources = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
    for name in app.config.get("REQUIRED_SECRETS", ()):
        if not app.config.get(sources.get(name, name)):
            raise RuntimeError(f"{name} must be set in the environment to run in production")
    if not valid_encryption_key(app.config.get("CIVICWATCH_ENCRYPTION_KEY")):
        raise RuntimeError(
            "CIVICWATCH_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
            'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )


def trust_proxies(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def configure_logging(app: Flask) -> None:
    level = app.config.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Request lines carry receipt codes in query strings on some clients; keep werkzeug quiet.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    import civicwatch.models  # noqa: F401  (every table known to the metadata)
    from civicwatch.accounts.sessions import configure_login

    configure_login(login_manager)


def register_blueprints(app: Flask) -> None:
    import importlib

    for module_name in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.blueprint)


def register_error_handlers(app: Flask) -> None:
    from civicwatch.errors import register_error_handlers as register

    register(app)


def register_security(app: Flask) -> None:
    from civicwatch.security_headers import register_security_headers

    register_security_headers(app)


def register_template_helpers(app: Flask) -> None:
    from civicwatch.templating import register_template_helpers as register

    register(app)


def register_cli(app: Flask) -> None:
    from civicwatch.cli import register_cli as register

    register(app)
