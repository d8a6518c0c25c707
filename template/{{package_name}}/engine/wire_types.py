# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The protocol's message types, read from the AsyncAPI document's JSON Schemas.

A small model of what a client needs: named object types (one per schema ``title``),
named unions, and the types of their fields. `client_types` writes it out as Python
TypedDicts and TypeScript interfaces, so both clients follow the document, and so the
handlers' models.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .examples import SCHEMAS_REF

_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


@dataclass(frozen=True)
class TypeRef:
    """A field's type: ``kind`` is one of name, prim, literal, list, union, dict, any.

    ``name`` holds a named type's title or a primitive (str, int, float, bool, null);
    ``values`` a literal's values; ``args`` the item type of a list or a union's members.
    """

    kind: str
    name: str = ""
    values: tuple[Any, ...] = ()
    args: tuple["TypeRef", ...] = ()


@dataclass(frozen=True)
class Field:
    """One property of an object type."""

    name: str
    type: TypeRef
    required: bool


@dataclass
class Named:
    """An object type (``fields``) or a union of named types (``members``)."""

    title: str
    description: str
    fields: list[Field] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


@dataclass
class Protocol:
    """Every named type in dependency order, and which of them each side sends."""

    types: dict[str, Named] = field(default_factory=dict)
    client_messages: list[str] = field(default_factory=list)
    service_frames: list[str] = field(default_factory=list)
    message_types: list[str] = field(default_factory=list)


class _Reader:
    """Turns schemas into `Named` types, each once, after the types it uses."""

    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self.schemas = schemas
        self.types: dict[str, Named] = {}
        self._seen: dict[str, Any] = {}

    def named(self, schema: Mapping[str, Any]) -> str:
        """Read a titled object or union schema; return its title."""
        schema = self._target(schema)
        title = schema.get("title")
        if not isinstance(title, str) or not title.isidentifier():
            raise ValueError(f"a message schema needs a title that is a name: {schema}")
        known = self._seen.setdefault(title, schema)
        if known != schema:
            raise ValueError(f"two different schemas are both titled {title!r}; rename one")
        if title in self.types:
            return title
        description = str(schema.get("description", "")).strip()
        options = schema.get("oneOf") or schema.get("anyOf")
        if options and "properties" not in schema:
            named = Named(title, description, members=[self.named(o) for o in options])
        else:
            required = set(schema.get("required", []))
            fields = [
                Field(name, self.type_of(sub), name in required)
                for name, sub in schema.get("properties", {}).items()
            ]
            named = Named(title, description, fields=fields)
        self.types[title] = named  # after every type it uses
        return title

    def type_of(self, schema: Any) -> TypeRef:
        """The type of a value that meets `schema`."""
        if not isinstance(schema, Mapping):
            return TypeRef("any")
        schema = self._target(schema)
        if "const" in schema:
            return TypeRef("literal", values=(schema["const"],))
        if "enum" in schema:
            return TypeRef("literal", values=tuple(schema["enum"]))
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            if all(isinstance(o, Mapping) and "const" in o for o in options):
                return TypeRef("literal", values=tuple(o["const"] for o in options))
            return _union([self.type_of(option) for option in options])
        if "properties" in schema and "title" in schema:
            return TypeRef("name", name=self.named(schema))
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union([self.type_of({**schema, "type": k}) for k in kind])
        if kind in _PRIMITIVES:
            return TypeRef("prim", name=_PRIMITIVES[kind])
        if kind == "null":
            return TypeRef("prim", name="null")
        if kind == "array":
            return TypeRef("list", args=(self.type_of(schema.get("items", {})),))
        if kind == "object":
            return TypeRef("dict")
        return TypeRef("any")

    def _target(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS_REF):
            return self._target(self.schemas[ref.removeprefix(SCHEMAS_REF)])
        return schema


def _union(members: list[TypeRef]) -> TypeRef:
    unique = tuple(dict.fromkeys(members))
    return unique[0] if len(unique) == 1 else TypeRef("union", args=unique)


def read_protocol(document: Mapping[str, Any]) -> Protocol:
    """The named types of `document`'s messages: what clients send, and what they receive."""
    messages = document["components"]["messages"]
    reader = _Reader(document["components"].get("schemas", {}))
    protocol = Protocol()

    def payloads(refs: list[Mapping[str, str]]) -> list[Mapping[str, Any]]:
        return [messages[ref["$ref"].rsplit("/", 1)[-1]]["payload"] for ref in refs]

    received: list[Mapping[str, Any]] = []
    sent: list[Mapping[str, Any]] = []
    for operation in document["operations"].values():
        own = payloads(operation["messages"])
        if operation["action"] == "receive":
            received += own
            sent += payloads(operation.get("reply", {}).get("messages", []))
        else:
            sent += own
    for payload in received:
        title = reader.named(payload)
        _add(protocol.client_messages, title)
        _add(protocol.message_types, payload["properties"]["type"]["const"])
    for payload in sent:
        reader.named(payload)
        for title in _members(reader.types, reader.named(payload)):
            _add(protocol.service_frames, title)
    protocol.types = reader.types
    return protocol


def _members(types: Mapping[str, Named], title: str) -> list[str]:
    """The object types a named type stands for (a union's members, recursively)."""
    named = types[title]
    if not named.members:
        return [title]
    return [leaf for member in named.members for leaf in _members(types, member)]


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)
