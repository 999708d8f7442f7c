"""Fixtures for the rule tests: unsigned factory certificates and the full test context."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from mec_ws.registry import ValidationContext
from mec_ws.testdata.factory import FIXED_NOW, TOTAL, Scenario, default_scenario, make_context


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return default_scenario()


@pytest.fixture(scope="session")
def ctx(scenario: Scenario) -> ValidationContext:
    return make_context(scenario)


@pytest.fixture(scope="session")
def empty_ctx() -> ValidationContext:
    return ValidationContext(now=FIXED_NOW)


@pytest.fixture
def cert(scenario: Scenario) -> Callable[..., etree._Element]:
    """A fresh unsigned certificate tree: cert(n=0, tipo=TOTAL)."""

    def make(n: int = 0, tipo: int = TOTAL, **kwargs: object) -> etree._Element:
        return scenario.certificate(n, tipo=tipo, **kwargs)

    return make
