# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Encoding outgoing frames: one function, shared by the connections and the brokers."""

from collections.abc import Mapping
from typing import Any

import orjson


def encode_frame(frame: Mapping[str, Any]) -> str:
    """Serialise one outgoing JSON frame (compact, UTF-8 text kept as is)."""
    # orjson: several times the standard library's speed on the per-message path.
    return orjson.dumps(frame).decode()
