"""Module paths of earlier releases, kept working after the package was laid out in sub-packages.

``import neverlog_sim.ingest`` (or ``.hubspot``, ``.charts`` ...) still works: the old module is a
view of the new ones, looked up by name on first use, with a ``DeprecationWarning`` naming where the
name lives now. Nothing here is imported by the package's own code.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

# old module -> the modules that now hold its public names, searched in order
MOVED = {
    "neverlog_sim.ingest": ("neverlog_sim.history", "neverlog_sim.readers.tables", "neverlog_sim.readers.events",
                            "neverlog_sim.readers.canonical"),
    "neverlog_sim.hubspot": ("neverlog_sim.readers.hubspot", "neverlog_sim.history"),
    "neverlog_sim.mailfiles": ("neverlog_sim.readers.mailfiles", "neverlog_sim.history"),
    "neverlog_sim.charts": ("neverlog_sim.report.charts",),
    "neverlog_sim.compaction": ("neverlog_sim.export.compaction",),
    "neverlog_sim.company": ("neverlog_sim.samples.company",),
    "neverlog_sim.sample_files": ("neverlog_sim.samples.files",),
    "neverlog_sim.sql": ("neverlog_sim.engine.sql",),
}


class _MovedModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for target in MOVED[self.__name__]:
            module = importlib.import_module(target)
            if hasattr(module, name):
                warnings.warn(f"{self.__name__}.{name} is now {target}.{name}", DeprecationWarning, stacklevel=2)
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} "
                             f"(its names moved to {', '.join(MOVED[self.__name__])})")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):
        return _MovedModule(spec.name)

    def exec_module(self, module):
        pass


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
