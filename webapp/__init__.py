"""OneWindow web app: thin views over the engine services (app factory in ``webapp.app``)."""

from webapp.app import create_app

__all__ = ["create_app"]
