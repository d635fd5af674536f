"""The minimal web app serves the deployed matters."""

from __future__ import annotations

import dataclasses

from flask.testing import FlaskClient

from engine.actors import Actor
from engine.services.deploy import deploy_path
from engine.settings import EngineSettings
from tests.conftest import TEST_HISTORY_KEY
from webapp import create_app


def test_home_lists_deployed_matters(settings: EngineSettings, designer: Actor) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "ENGINE_SETTINGS": dataclasses.replace(settings, history_key=TEST_HISTORY_KEY)})
    deploy_path(app.extensions["onewindow"], settings.processes_dir, designer)
    client: FlaskClient = app.test_client()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "两部门并联审查（测试）" in html and "超时升级（测试）" in html
    assert 'lang="zh-CN"' in html
    assert client.get("/no-such-page").status_code == 404
    app.extensions["onewindow"].dispose()


def test_empty_catalog_says_how_to_deploy(settings: EngineSettings) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "ENGINE_SETTINGS": dataclasses.replace(settings, history_key=TEST_HISTORY_KEY)})
    assert "onewindow init" in app.test_client().get("/").get_data(as_text=True)
    app.extensions["onewindow"].dispose()
