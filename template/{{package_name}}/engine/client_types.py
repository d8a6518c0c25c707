# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``python -m <package>.engine.client_types``: the clients' message types, from the handlers.

Writes ``clients/python/<package>_client/messages.py`` (TypedDicts) and
``clients/typescript/src/messages.ts`` (interfaces) from the AsyncAPI document's models,
so both clients type exactly what the registered handlers (yours included) take and send.
``--check`` only compares, and exits 1 when a file is out of date (a test of the project
runs it, so a changed handler model cannot ship with stale client types).
"""

import argparse
import json
import keyword
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import Settings
from .asyncapi import build_asyncapi
from .wire_types import Named, Protocol, TypeRef, read_protocol

# `__package__`, not `__name__`: under `python -m` this module is `__main__`.
PACKAGE = (__package__ or "").split(".")[0]
COMMAND = f"python -m {PACKAGE}.engine.client_types"
# engine/ → the package → the project's root, where clients/ is.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYTHON_FILE = Path("clients", "python", f"{PACKAGE}_client", "messages.py")
TYPESCRIPT_FILE = Path("clients", "typescript", "src", "messages.ts")
WIDTH = 100  # the project's line length (ruff)
# The names of the unions every protocol has; no model may be titled so.
MESSAGE_TYPE, CLIENT_MESSAGE, SERVICE_FRAME = "MessageType", "ClientMessage", "ServiceFrame"
_HEADER = (
    "Generated from the service's message models (those of its AsyncAPI document) by",
    f"    {COMMAND}",
    "Do not edit: run it again after changing a handler (a test fails until you do).",
)
_TS_KEY = re.compile(r"^[A-Za-z_$][\w$]*$")


def read_models() -> Protocol:
    """The protocol of the handlers registered now (built-in, then the project's)."""
    # Defaults, not the environment: the types do not depend on settings.
    protocol = read_protocol(build_asyncapi(Settings.model_construct()))
    reserved = {MESSAGE_TYPE, CLIENT_MESSAGE, SERVICE_FRAME} & protocol.types.keys()
    if reserved:
        raise ValueError(f"a message model may not be called {sorted(reserved)[0]}; rename it")
    return protocol


def python_module(protocol: Protocol) -> str:
    """``messages.py``: a TypedDict per object type, aliases for the unions."""
    blocks: list[str] = []
    for named in protocol.types.values():
        blocks.append(_py_named(named))
    literal = TypeRef("literal", values=tuple(protocol.message_types))
    blocks.append(
        _lines(
            "# The type of every message a client may send.",
            _py_field(f"{MESSAGE_TYPE}: TypeAlias = ", literal, 0),
        )
    )
    blocks.append(_py_alias(CLIENT_MESSAGE, protocol.client_messages, "What a client sends."))
    blocks.append(_py_alias(SERVICE_FRAME, protocol.service_frames, "What the service sends."))
    body = "\n\n\n".join(blocks)
    names = ["Any", "Literal", "NotRequired", "TypeAlias", "TypedDict"]
    code = "\n".join(line for line in body.splitlines() if not line.startswith("#"))
    used = ", ".join(name for name in names if re.search(rf"\b{name}\b", code))
    head = "\n".join(f"# {line}" for line in _HEADER)
    docstring = '"""The messages of the chat protocol (``/ws/chat``), as TypedDicts."""'
    return f"{head}\n{docstring}\n\nfrom typing import {used}\n\n\n{body}\n"


def typescript_module(protocol: Protocol) -> str:
    """``messages.ts``: an interface per object type, type aliases for the unions."""
    blocks = [_ts_named(named) for named in protocol.types.values()]
    types = " | ".join(json.dumps(value) for value in protocol.message_types)
    blocks.append(
        _lines(
            "/** The type of every message a client may send. */",
            f"export type {MESSAGE_TYPE} = {types};",
        )
    )
    for name, members, doc in (
        (CLIENT_MESSAGE, protocol.client_messages, "What a client sends."),
        (SERVICE_FRAME, protocol.service_frames, "What the service sends."),
    ):
        blocks.append(f"/** {doc} */\nexport type {name} = {' | '.join(members)};")
    head = "\n".join(f"// {line}" for line in _HEADER)
    return head + "\n\n" + "\n\n".join(blocks) + "\n"


def outputs() -> dict[Path, str]:
    """Each generated file (relative to the project's root) and its text."""
    protocol = read_models()
    return {PYTHON_FILE: python_module(protocol), TYPESCRIPT_FILE: typescript_module(protocol)}


def stale_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The generated files under `root` that differ from what the command writes now."""
    return [
        path
        for path, text in outputs().items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Write the client message types, or with ``--check`` say which are out of date."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the project's root")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.root)
        if stale:
            names = " and ".join(path.as_posix() for path in stale)
            print(f"{names} out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    for path, text in outputs().items():
        target = args.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path.as_posix()}")
    return 0


# --- Python ---


def _py_named(named: Named) -> str:
    comment = _comment("# ", named.description or named.title, indent="")
    if named.members:
        return _lines(*comment, _py_alias_line(named.title, named.members))
    if all(f.name.isidentifier() and not keyword.iskeyword(f.name) for f in named.fields):
        fields = [
            _py_field(f"{f.name}: ", _py_field_type(f.type, f.required), 4) for f in named.fields
        ]
        return _lines(*comment, f"class {named.title}(TypedDict):", *(fields or ["    pass"]))
    # A field named like a keyword ("from"): only the functional form can declare it.
    fields = [
        _py_field(f"{json.dumps(f.name)}: ", _py_field_type(f.type, f.required), 8, ",")
        for f in named.fields
    ]
    return _lines(
        *comment,
        f"{named.title} = TypedDict(",
        f'    "{named.title}",',
        "    {",
        *fields,
        "    },",
        ")",
    )


def _py_field_type(ref: TypeRef, required: bool) -> TypeRef:
    return ref if required else TypeRef("not_required", args=(ref,))


def _py_field(prefix: str, ref: TypeRef, indent: int, end: str = "") -> str:
    """One field, exploded one literal value per line when it does not fit (as ruff would)."""
    flat = " " * indent + prefix + _py_type(ref) + end
    if len(flat) <= WIDTH:
        return flat
    if ref.kind != "literal":
        raise ValueError(f"cannot lay out {flat.strip()!r} within {WIDTH} characters")
    inner = [" " * (indent + 4) + _py_value(value) + "," for value in ref.values]
    return _lines(" " * indent + prefix + "Literal[", *inner, " " * indent + "]" + end)


def _py_type(ref: TypeRef) -> str:
    render: dict[str, Callable[[TypeRef], str]] = {
        "name": lambda r: r.name,
        "prim": lambda r: "None" if r.name == "null" else r.name,
        "literal": lambda r: f"Literal[{', '.join(map(_py_value, r.values))}]",
        "list": lambda r: f"list[{_py_type(r.args[0])}]",
        "union": lambda r: " | ".join(map(_py_type, r.args)),
        "dict": lambda r: "dict[str, Any]",
        "any": lambda r: "Any",
        "not_required": lambda r: f"NotRequired[{_py_type(r.args[0])}]",
    }
    return render[ref.kind](ref)


def _py_value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _py_alias(name: str, members: Sequence[str], doc: str) -> str:
    return _lines(f"# {doc}", _py_alias_line(name, members))


def _py_alias_line(name: str, members: Sequence[str]) -> str:
    """``Name: TypeAlias = A | B``, laid out as ruff formats it."""
    flat = f"{name}: TypeAlias = {' | '.join(members)}"
    if len(flat) <= WIDTH:
        return flat
    inner = " | ".join(members)
    if len(inner) + 4 <= WIDTH:
        return _lines(f"{name}: TypeAlias = (", f"    {inner}", ")")
    first, *rest = members
    return _lines(f"{name}: TypeAlias = (", f"    {first}", *(f"    | {m}" for m in rest), ")")


# --- TypeScript ---


def _ts_named(named: Named) -> str:
    doc = _comment(" * ", named.description or named.title, indent="")
    jsdoc = _lines("/**", *doc, " */")
    if named.members:
        return _lines(jsdoc, f"export type {named.title} = {' | '.join(named.members)};")
    fields = [
        f"  {f.name if _TS_KEY.match(f.name) else json.dumps(f.name)}{'' if f.required else '?'}: "
        f"{_ts_type(f.type)};"
        for f in named.fields
    ]
    return _lines(jsdoc, f"export interface {named.title} {{", *fields, "}")


def _ts_type(ref: TypeRef) -> str:
    if ref.kind == "name":
        return ref.name
    if ref.kind == "prim":
        return {"str": "string", "int": "number", "float": "number", "bool": "boolean"}.get(
            ref.name, "null"
        )
    if ref.kind == "literal":
        return " | ".join(json.dumps(value, ensure_ascii=False) for value in ref.values)
    if ref.kind == "list":
        item = _ts_type(ref.args[0])
        return f"({item})[]" if " | " in item else f"{item}[]"
    if ref.kind == "union":
        return " | ".join(map(_ts_type, ref.args))
    if ref.kind == "dict":
        return "Record<string, unknown>"
    return "unknown"


# --- Both ---


def _comment(prefix: str, text: str, indent: str) -> list[str]:
    """`text` as comment lines of at most WIDTH characters."""
    words = " ".join(text.split())
    return [
        f"{indent}{prefix}{line}" for line in textwrap.wrap(words, WIDTH - len(indent + prefix))
    ]


def _lines(*lines: str) -> str:
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
