"""gunicorn's settings file: gunicorn reads ./gunicorn.conf.py when it starts in this folder, as `gunicorn wsgi:app`
(the README's and `make serve`'s command) does. Other settings stay on the command line.

Before any worker starts, the master makes the app once, as each worker will. A setting it cannot start with ends
gunicorn there, with the message alone and gunicorn's "App failed to load" status: otherwise every worker prints it
and exits, and two exiting at the same instant make gunicorn's arbiter print a traceback of its own as it stops. A
database that cannot be reached is said once, in one line: the workers start anyway, answer 503 (Retry-After)
while it is away and recover by themselves, so a web server started before its database needs no restart."""
import sys
from typing import Any

from flask import Flask
from gunicorn.arbiter import Arbiter
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from civicwatch import create_app
from civicwatch.database import DatabaseUnreachable, check_reachable
from civicwatch.settings import SettingsError

WSGI_APP = "wsgi:app"
CONNECT_TIMEOUT_SECONDS = 5


def on_starting(server: Any) -> None:
    if getattr(server.app, "app_uri", None) != WSGI_APP:
        return  # another app (a test's or a benchmark's server) brings its own settings
    try:
        app = create_app()
    except SettingsError as error:
        print(f"CivicWatch cannot start: {error}", file=sys.stderr)
        sys.exit(Arbiter.APP_LOAD_ERROR)
    say_if_unreachable(app, server.log)


def say_if_unreachable(app: Flask, log: Any) -> None:
    """One line when the database cannot be reached now; a connection of its own, closed before any worker is
    forked (the app's pool stays empty)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}} if uri.startswith("postgresql") else {}
    engine = create_engine(uri, poolclass=NullPool, hide_parameters=True, **options)
    try:
        check_reachable(engine)
    except DatabaseUnreachable as unreachable:
        log.warning("%s Pages answer 503 until it can be reached.", unreachable)
    finally:
        engine.dispose()
