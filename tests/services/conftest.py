from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.services.world import World, build_world


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "data")
