"""The `flask --app wsgi civicwatch ...` command group. Each domain's cli module adds its commands to it;
commands.py imports those modules and registers the group on the app."""
from __future__ import annotations

from flask.cli import AppGroup

cli = AppGroup("civicwatch", help="CivicWatch administration commands.")
