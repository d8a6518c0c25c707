"""The generated project's Python client, imported from its folder (it is not installed)."""

import importlib
import sys
from pathlib import Path
from types import ModuleType

from bench.servers import GENERATED_PACKAGE


def client_module(project: Path) -> ModuleType:
    """``<package>_client`` from `project`'s ``clients/python``."""
    folder = str(project / "clients" / "python")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(f"{GENERATED_PACKAGE}_client")
