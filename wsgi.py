"""The one module-level application, for gunicorn and the flask CLI."""
from civicwatch import create_app

app = create_app()
