# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""What the engine takes from uvicorn's internals, checked before the service starts.

protocols.py subclasses uvicorn's protocol classes: it overrides hooks uvicorn calls by name
and reads attributes uvicorn sets. Renamed in a newer uvicorn, an override is silently never
called and a protection silently gone; so `python -m <package>` checks them all first, and
refuses to start on a uvicorn that lacks one (unless UVICORN_STOCK_PROTOCOLS says otherwise).
"""

import importlib
import inspect
import os
import re
from importlib.metadata import PackageNotFoundError, version

# The uvicorn releases the engine's suite has run on; pyproject.toml declares the same range.
SUPPORTED_UVICORN = ">=0.54,<0.56"

# How this process was started; set by `python -m <package>` for the app it serves.
SERVED_BY_ENV = "FASTGEN_SERVED_BY"
ENGINE_PROTOCOLS = "engine"  # python -m <package>: every protection on
STOCK_PROTOCOLS = "stock"  # python -m <package> with UVICORN_STOCK_PROTOCOLS
TEST_CLIENT = "tests"  # the project's own tests: no server, no transport to protect

# (module, class): (hooks it must define, attributes its instances must be given). The HTTP
# class is uvicorn's pick, httptools' or h11's protocol, as `python -m <package>` gets it.
_HTTP_HOOKS = (
    "connection_made",
    "on_response_complete",
    "connection_lost",
    "handle_websocket_upgrade",
)
REQUIRED: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("uvicorn.protocols.http.auto", "AutoHTTPProtocol"): (
        _HTTP_HOOKS,
        ("cycle", "loop", "transport"),
    ),
    ("uvicorn.protocols.websockets.websockets_sansio_impl", "WebSocketsSansIOProtocol"): (
        (
            "connection_made",
            "handle_connect",
            "pause_writing",
            "resume_writing",
            "connection_lost",
            "send",
        ),
        (
            "close_sent",
            "scope",
            "disconnected",
            "writable",
            "conn",
            "handshake_complete",
            "initial_response",
            "transport",
            "loop",
            "queue",
            "read_paused",
            "close_timer",
            "close_timeout",
            "client",
        ),
    ),
}
# Imported by protocols.py besides the classes above.
REQUIRED_NAMES = (("uvicorn.protocols.utils", "ClientDisconnected"),)

# What is off when the engine's protocol classes do not run (stock uvicorn protocols).
OFF_ON_STOCK_PROTOCOLS = (
    "HANDSHAKE_TIMEOUT (half-sent requests are kept)",
    "SEND_TIMEOUT (clients that never read are kept)",
    "the bounded close",
    "the fan-out's one-write-per-client path",
)
# ...and, without `python -m <package>` at all, uvicorn's own settings are its defaults.
OFF_WITHOUT_ENTRY_POINT = (
    *OFF_ON_STOCK_PROTOCOLS,
    "MAX_MESSAGE_BYTES as the frame limit (uvicorn's 16 MiB applies)",
    "WS_PER_MESSAGE_DEFLATE (uvicorn negotiates compression)",
    "HEARTBEAT_INTERVAL and HEARTBEAT_TIMEOUT",
    "SHUTDOWN_TIMEOUT",
    "the raised open-file limit",
)


def uvicorn_version() -> str:
    """The installed uvicorn's version ("unknown" when its metadata is missing)."""
    try:
        return version("uvicorn")
    except PackageNotFoundError:
        return "unknown"


def assigned_attributes(cls: type) -> set[str]:
    """Names `cls` or a base class of it assigns as ``self.<name> = ...`` in its source."""
    names: set[str] = set()
    for klass in inspect.getmro(cls):
        if klass is object:
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):  # no source: a builtin or a compiled class
            continue
        names.update(re.findall(r"\bself\.(\w+)\s*(?::[^=\n]+)?=(?!=)", source))
    return names


def missing() -> list[str]:
    """Every hook, attribute or name of uvicorn's that the engine needs and cannot find."""
    problems: list[str] = []
    for module_name, name in REQUIRED_NAMES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            problems.append(module_name)
            continue
        if not hasattr(module, name):
            problems.append(f"{module_name}.{name}")
    for (module_name, class_name), (hooks, attributes) in REQUIRED.items():
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            problems.append(f"{module_name}.{class_name}")
            continue
        problems += [
            f"{class_name}.{hook}()" for hook in hooks if not callable(getattr(cls, hook, None))
        ]
        assigned = assigned_attributes(cls)
        problems += [f"{class_name}.{name}" for name in attributes if name not in assigned]
    return problems


def protections_off() -> tuple[str, ...]:
    """What this process runs without, from how it was started (see `SERVED_BY_ENV`)."""
    served_by = os.environ.get(SERVED_BY_ENV)
    if served_by in (ENGINE_PROTOCOLS, TEST_CLIENT):
        return ()
    if served_by == STOCK_PROTOCOLS:
        return OFF_ON_STOCK_PROTOCOLS
    return OFF_WITHOUT_ENTRY_POINT
