"""Serve the app with gunicorn (production-shaped settings) from ``onewindow serve``."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        from webapp.app import create_app

        return create_app()


def serve(host: str, port: int, workers: int = 2) -> None:
    _Server({
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "forwarded_allow_ips": "127.0.0.1",
    }).run()
