"""The one module-level application, for gunicorn and the flask CLI (`flask --app wsgi ...`).

A setting the app cannot start with ends the process with its message alone, which names the variable and what to
put: a traceback above it reads as a crash. The exit status is gunicorn's "App failed to load", on which its arbiter
stops rather than start the worker again and again; any `flask` command exits with it too."""
import sys

from civicwatch import create_app
from civicwatch.settings import SettingsError

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR (tests/foundation/test_settings_start.py checks it)

try:
    app = create_app()
except SettingsError as error:
    print(f"CivicWatch cannot start: {error}", file=sys.stderr)
    sys.exit(APP_LOAD_ERROR)
