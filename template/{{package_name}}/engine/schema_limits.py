# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The limits of the JSON the service takes, written into JSON Schemas for client tools.

Integers: the 64-bit range the decoder keeps exact (``minimum``/``maximum``). Nesting:
JSON Schema cannot bound the depth of an arbitrary value, so fields that take any JSON
say MAX_JSON_DEPTH in their description (the rest are bounded by their own schema).
"""

from typing import Any

from .session import MAX_INT, MAX_JSON_DEPTH, MIN_INT

LIMITS_NOTE = (
    f"Messages nest objects and arrays at most {MAX_JSON_DEPTH} levels deep, and their "
    "integers fit in 64 bits; a message beyond either gets a 40008 error frame."
)
DEPTH_NOTE = (
    f"Any JSON value; a message nests objects and arrays at most {MAX_JSON_DEPTH} levels "
    "deep, and its integers fit in 64 bits (else 40008)."
)
# Keys whose values are data, not schemas: never walked into.
_DATA_KEYS = frozenset({"const", "default", "enum", "examples", "example", "required"})
# Keys that make a schema more than "any JSON value".
_SHAPE_KEYS = frozenset(
    {"type", "$ref", "anyOf", "oneOf", "allOf", "not", "const", "enum", "properties", "items"}
)


def with_limits(schema: Any) -> Any:
    """Add the service's integer bounds and depth notes to `schema` (in place); return it."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            node["minimum"] = max(node.get("minimum", MIN_INT), MIN_INT)
            node["maximum"] = min(node.get("maximum", MAX_INT), MAX_INT)
        stack.extend(value for key, value in node.items() if key not in _DATA_KEYS)
        if "properties" in node:
            for field in node["properties"].values():
                if isinstance(field, dict) and not _SHAPE_KEYS & field.keys():
                    field.setdefault("description", DEPTH_NOTE)
    return schema
