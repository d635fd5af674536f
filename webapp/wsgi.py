"""WSGI entry point for external servers: ``gunicorn 'webapp.wsgi:app'``."""

from webapp.app import create_app

app = create_app()
