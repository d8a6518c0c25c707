# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The flat layout's import paths, kept for one release: each import warns and names the new one.

fastgen update maintains this module. Before the engine/ package, its modules sat in the
package itself (``<package>.connections``, ``<package>.broker``, ...). Code of yours that
still imports them gets the engine's module, and a `MovedModuleWarning`; the next release
drops these aliases.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# Old module (relative to the package) -> its module in the engine.
MOVED = {
    "api_keys": "engine.api_keys",
    "asyncapi": "engine.asyncapi",
    "broker": "engine.broker",
    "close_codes": "engine.close_codes",
    "connections": "engine.connection",
    "handlers.access": "engine.handlers.access",
    "handlers.ping": "engine.handlers.ping",
    "handlers.presence": "engine.handlers.presence",
    "handlers.refresh": "engine.handlers.refresh",
    "handlers.rooms": "engine.handlers.rooms",
    "log_format": "engine.log_format",
    "logs": "engine.logs",
    "metrics": "engine.metrics",
    "middleware": "engine.middleware",
    "permissions": "engine.permissions",
    "protocols": "engine.protocols",
    "rate_limit": "engine.rate_limit",
    "routers.devtools": "engine.routers.devtools",
    "routers.metrics": "engine.routers.metrics",
    "routers.publish": "engine.routers.publish",
    "routers.ready": "engine.routers.ready",
    "session": "engine.session",
    "startup_checks": "engine.startup_checks",
    "status_codes": "engine.status_codes",
}


class MovedModuleWarning(DeprecationWarning):
    """Code imports a module by its path from before the engine/ package."""


def new_name(package: str, fullname: str) -> str | None:
    """The engine module an old `fullname` of `package` now is (None: it did not move).

    Submodules of a moved package move with it (``broker.memory`` -> ``engine.broker.memory``).
    """
    if not fullname.startswith(f"{package}."):
        return None
    old = fullname.removeprefix(f"{package}.")
    for moved, new in MOVED.items():
        if old == moved or old.startswith(f"{moved}."):
            return f"{package}.{new}{old.removeprefix(moved)}"
    return None


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.target}: import it from there "
            "(this alias goes in the next release)",
            MovedModuleWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is the engine's, already imported."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        new = new_name(self.package, fullname)
        if new is None:
            return None
        # A file of yours at the old path (a handler module named like a built-in, or an
        # edited module `fastgen update` kept) is imported, never shadowed by the alias.
        if self._has_file(fullname):
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))

    def _has_file(self, fullname: str) -> bool:
        """True when the package itself holds a module at `fullname`'s old place."""
        package = sys.modules.get(self.package)
        if package is None or not getattr(package, "__path__", None):
            return False
        old = Path(package.__path__[0], *fullname.split(".")[1:])
        return old.with_suffix(".py").is_file() or (old / "__init__.py").is_file()


def install(package: str) -> None:
    """Serve the old paths of `package`'s moved modules (called once, by the package)."""
    if not any(isinstance(f, _MovedFinder) and f.package == package for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder(package))
