"""A stand-in for `pixref.engine` (no torch, no model) for tests of what the CLI does
around generation: saving, logging, lineage."""

import sys
import types
from types import SimpleNamespace

import pixref


class _ModelCache:
    def __init__(self, *args, **kwargs):
        pass

    def checkpoint(self, params, model=None):
        return SimpleNamespace(name="stand-in")

    def refiner(self, params):
        return None

    def embeddings(self, models):
        return {}


def install_stand_in_engine(monkeypatch, generate) -> None:
    """Make ``pixref.engine`` a module whose ``generate`` is the given function."""
    fake = types.ModuleType("pixref.engine")
    fake.ModelCache = _ModelCache
    fake.resolve_loras = lambda *a, **k: ()
    fake.generate = generate
    monkeypatch.setitem(sys.modules, "pixref.engine", fake)
    monkeypatch.setattr(pixref, "engine", fake, raising=False)
