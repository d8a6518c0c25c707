# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Pre-filled example values for the AsyncAPI document and the console, from JSON Schemas."""

import math
import re
from collections.abc import Mapping
from typing import Any

Schema = dict[str, Any]
SCHEMAS_REF = "#/components/schemas/"


def example_of(
    schema: Mapping[str, Any], schemas: Mapping[str, Schema], depth: int = 0, name: str = ""
) -> Any:
    """A valid, plausible value for `schema` (the console's pre-filled message).

    Its example, default or const when it has one; else a value that the field's `name`
    suggests (a room is "lobby") or its format does, kept only when it meets the schema's
    pattern, length and bounds; else the first generic value that meets them.
    """
    if depth > 8:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMAS_REF):
        target = schemas.get(ref.removeprefix(SCHEMAS_REF), {})
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return example_of({**target, **siblings}, schemas, depth + 1, name)
    for key in ("examples", "default", "const"):
        if key in schema:
            value = schema[key]
            return value[0] if key == "examples" and value else value
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return example_of(options[0], schemas, depth + 1, name)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    hint = _BY_NAME.get(name)
    if kind == "object" or "properties" in schema:
        properties: Mapping[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            field: example_of(sub, schemas, depth + 1, field)
            for field, sub in properties.items()
            if field in required or "default" not in sub
        }
    if kind == "array":
        item = example_of(schema.get("items", {}), schemas, depth + 1, name)
        most = schema.get("maxItems")
        return [item] * max(schema.get("minItems", 0), 1 if most is None or most >= 1 else 0)
    if kind in ("integer", "number"):
        return _number(schema, hint, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if kind is None and hint is not None:
        return hint  # Any JSON value (no type): the name's value, whatever its type.
    return _string(schema, hint)


# Values a field's name suggests; each is used only where the field's schema allows it.
_BY_NAME: dict[str, Any] = {
    "room": "lobby",
    "text": "hello",
    "message": "hello",
    "data": "hello",
    "user": "alice",
    "from": "alice",
    "id": "msg-1",
    "token": "<a token>",
    "epoch": "5cae8c54",
    "offset": 41,
    "limit": 50,
    "total": 1,
    "connections": 1,
    "expires_at": 1767225600,
    "heartbeat": 20.0,
}
_BY_FORMAT: dict[str, str] = {
    "date-time": "2026-01-01T12:00:00Z",
    "date": "2026-01-01",
    "time": "12:00:00",
    "duration": "P1D",
    "email": "alice@example.com",
    "uri": "https://example.com/",
    "uuid": "5cae8c54-1f0e-4b8a-9a4e-0d6f2c1b7e3a",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
}
# Tried in order when neither the name nor the format gives a value that fits, as they are,
# then cut or repeated to each length up to _LONGEST_TRIED (e.g. "123123" for ^\d{6}$).
_LONGEST_TRIED = 32
_STRINGS = ("example", "abc", "ABC", "a1", "123", "a-b", "a_b", "a.b", "a:b", "a b", "x")


def _string(schema: Mapping[str, Any], hint: Any) -> str:
    """The first candidate that meets `schema`, as it is or cut or repeated to a length."""
    fmt = _BY_FORMAT.get(schema.get("format", ""))
    named = [hint] if isinstance(hint, str) else []
    candidates = [*named, *([fmt] if fmt else []), *_STRINGS, *_BY_FORMAT.values()]
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    try:
        pattern = re.compile(schema.get("pattern", ""))
    except re.error:  # Not a pattern Python reads: the lengths are all that can be checked.
        pattern = re.compile("")
    top = max(shortest, _LONGEST_TRIED if longest is None else min(longest, _LONGEST_TRIED))
    tried = [[candidate] for candidate in candidates]
    tried += [[(c * size)[:size] for size in range(shortest, top + 1)] for c in candidates]
    for values in tried:
        for value in values:
            fits = len(value) >= shortest and (longest is None or len(value) <= longest)
            if fits and pattern.search(value):
                return value
    return candidates[0]  # Nothing fits: the test of the examples names the field.


def _number(schema: Mapping[str, Any], hint: Any, *, integer: bool) -> int | float:
    """`hint` when it is within the bounds, else the value nearest 0 that is."""
    low, high = schema.get("minimum"), schema.get("maximum")
    step = 1 if integer else 0.5
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    if low is not None and high is not None and low > high:
        low = high = (low + high) / 2  # A float range narrower than the step.
    value = hint if isinstance(hint, int | float) and not isinstance(hint, bool) else 0
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    multiple = schema.get("multipleOf")
    if multiple:
        value = math.ceil(value / multiple) * multiple
    return math.ceil(value) if integer else value
