"""MecApp: authentication through the app, and the protocol methods it implements."""

from __future__ import annotations

import inspect

import pytest

from mec_ws import errors
from mec_ws.services.app import MecApp
from mec_ws.services.protocol import MecServices
from tests.services.world import PASSWORD, World


def test_app_implements_every_protocol_method() -> None:
    wanted = {n for n, _ in inspect.getmembers(MecServices, inspect.isfunction) if not n.startswith("_")}
    assert len(wanted) == 14, sorted(wanted)  # authenticate and the thirteen operations
    for name in sorted(wanted):
        ours = inspect.signature(getattr(MecApp, name))
        theirs = inspect.signature(getattr(MecServices, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert ours.return_annotation == theirs.return_annotation, name


def test_authenticate(world: World) -> None:
    who = world.app.authenticate("ipes1", PASSWORD)
    assert (who.institution_id, who.is_operator) == ("000001", False)
    assert world.app.authenticate("operador", PASSWORD).is_operator
    with pytest.raises(errors.Autenticacion):
        world.app.authenticate("ipes1", "otra")
    with pytest.raises(errors.Autenticacion):
        world.app.authenticate("nadie", PASSWORD)
