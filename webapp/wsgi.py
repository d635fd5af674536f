"""WSGI entry point for external servers: ``gunicorn 'webapp.wsgi:app'``."""

from webapp.app import create_app
from webapp.logs import configure_logging

configure_logging()
app = create_app()
