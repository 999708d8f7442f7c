"""Fixtures for the portal: the registered test world (two institutions, an operator) behind the
Flask app, and a client that reads CSRF tokens off the pages like a browser does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from mec_ws.portal.app import create_app
from tests.services.world import PASSWORD, World, build_world

SECRET = "s" * 48
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "la página no tiene token CSRF"
    return found.group(1)


@dataclass
class Portal:
    world: World
    app: Flask

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def token(self, client: FlaskClient, path: str = "/portal/") -> str:
        return csrf_of(client.get(path).get_data(as_text=True))

    def login(self, client: FlaskClient, usuario: str, password: str = PASSWORD) -> Any:
        token = self.token(client)
        return client.post("/portal/", data={"usuario": usuario, "password": password, "csrf_token": token})

    def post(self, client: FlaskClient, path: str, data: dict[str, Any], *, page: str | None = None) -> Any:
        token = self.token(client, page or path)
        return client.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")


@pytest.fixture
def portal(engine: Engine, tmp_path: Path) -> Portal:
    world = build_world(engine, tmp_path / "data")
    return Portal(world, create_app(world.app, world.settings, secret_key=SECRET))
