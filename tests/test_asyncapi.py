"""The generated service's AsyncAPI document is valid AsyncAPI 3.0, and follows the handlers.

The schema is `tests/data/asyncapi-3.0.0.schema.json`: ``schemas/3.0.0-without-$id.json``
of the npm package ``@asyncapi/specs`` 6.11.1 (Apache-2.0; its LICENSE and NOTICE are kept
beside it).
"""

import copy
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fastgen.add_handler import add_handler
from fastgen.generate import new_project
from tests.conftest import run

SCHEMA_FILE = Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project with one handler added by `fastgen add handler`."""
    dest = new_project(tmp_path_factory.mktemp("asyncapi") / "proj", service="chat-dev").dest
    add_handler("get_score", dest)
    return dest


@pytest.fixture(scope="module")
def printed(project: Path) -> dict[str, Any]:
    """What ``python -m <package>.engine.asyncapi`` prints in `project`."""
    return json.loads(run([sys.executable, "-m", "proj.engine.asyncapi"], project))


@pytest.fixture
def document(printed: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(printed)


def errors_of(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_document_is_valid_asyncapi_3(
    validator: jsonschema.Draft7Validator, document: dict[str, Any]
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert errors_of(validator, document) == []


def test_added_handler_is_in_the_document(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    assert {"ping", "echo", "get_score", "get_score_reply", "error"} <= set(messages)
    example = {"type": "get_score", "text": "hello"}
    assert messages["get_score"]["examples"] == [{"payload": example}]
    assert messages["get_score_reply"]["payload"]["properties"]["type"]["const"] == "get_score"
    operation = document["operations"]["receive_get_score"]
    assert operation["reply"]["messages"] == [{"$ref": "#/channels/chat/messages/get_score_reply"}]
    assert set(document["channels"]["chat"]["messages"]) == set(messages)


def test_the_schema_catches_a_broken_document(
    validator: jsonschema.Draft7Validator, document: dict[str, Any]
) -> None:
    """The validation above is not vacuous: a wrong action or field is reported."""
    wrong_action = copy.deepcopy(document)
    wrong_action["operations"]["receive_ping"]["action"] = "answer"
    assert errors_of(validator, wrong_action)
    no_address_type = copy.deepcopy(document)
    no_address_type["channels"]["chat"]["address"] = 42
    assert errors_of(validator, no_address_type)
    extra_field = copy.deepcopy(document)
    extra_field["info"]["colour"] = "blue"
    assert errors_of(validator, extra_field)


def schemas_in(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON Schema in the document's payloads and components, with where it is."""
    stack: list[tuple[str, Any]] = [
        *((f"messages.{key}.payload", m["payload"]) for key, m in messages_of(document)),
        *((f"schemas.{key}", s) for key, s in document["components"]["schemas"].items()),
    ]
    while stack:
        where, node = stack.pop()
        if not isinstance(node, dict):
            continue
        yield where, node
        for key in ("items", "not", "additionalProperties"):
            stack.append((f"{where}.{key}", node.get(key)))
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend((f"{where}.{key}[{n}]", sub) for n, sub in enumerate(node.get(key, [])))
        for name, sub in node.get("properties", {}).items():
            stack.append((f"{where}.{name}", sub))


def messages_of(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return list(document["components"]["messages"].items())


def test_every_payload_and_every_object_or_enum_in_it_has_a_title(
    document: dict[str, Any],
) -> None:
    untitled = [key for key, message in messages_of(document) if "title" not in message["payload"]]
    assert untitled == []
    named = [
        where
        for where, schema in schemas_in(document)
        if ("properties" in schema or "enum" in schema or "oneOf" in schema)
        and "title" not in schema
    ]
    assert named == []


def test_integers_carry_the_64_bit_bounds_the_service_decodes(document: dict[str, Any]) -> None:
    integers = [
        (where, schema)
        for where, schema in schemas_in(document)
        if schema.get("type") == "integer"
        or (isinstance(schema.get("type"), list) and "integer" in schema["type"])
    ]
    assert len(integers) > 10
    for where, schema in integers:
        assert -(2**63) <= schema["minimum"] <= schema["maximum"] <= 2**64 - 1, where
    since = document["components"]["schemas"]["Since"]["properties"]["offset"]
    assert (since["minimum"], since["maximum"]) == (0, 2**64 - 1)


def test_the_nesting_limit_is_said_where_a_schema_cannot_bound_it(
    document: dict[str, Any],
) -> None:
    echo_data = document["components"]["messages"]["echo"]["payload"]["properties"]["data"]
    assert "type" not in echo_data  # any JSON value: no schema can bound its depth
    assert "64 levels" in echo_data["description"]
    assert "64 levels" in document["info"]["description"]


def test_the_protocol_for_clients_is_in_the_document(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    error = messages["error"]["payload"]
    assert error["title"] == "ErrorFrame"
    assert error["properties"]["id"]["type"] == "string"
    statuses = {option["const"] for option in error["properties"]["status"]["oneOf"]}
    assert {40001, 40101, 40302, 41301, 42901, 50301, 50302} <= statuses
    for status, code in [(40101, 1008), (41301, 1009), (50302, 1013)]:
        assert f"`{status}`: " in messages["error"]["description"]
        assert re.search(rf"{status} [a-z ]+ \(close {code}\)", document["info"]["description"])
    pong = messages["ping_reply"]["payload"]
    assert pong["required"] == ["type", "heartbeat"]
    assert pong["properties"]["heartbeat"]["type"] == "number"


def test_every_operation_answers_with_one_titled_message(document: dict[str, Any]) -> None:
    """Code generators turn several reply messages into one union named after the channel."""
    for key, operation in document["operations"].items():
        assert len(operation.get("reply", {}).get("messages", [])) <= 1, key
    refresh = document["operations"]["receive_refresh"]["reply"]["messages"][0]["$ref"]
    union = document["components"]["messages"][refresh.rsplit("/", 1)[-1]]["payload"]
    assert union["title"] == "RefreshReplies"
    assert [member["title"] for member in union["oneOf"]] == ["RefreshedReply", "LeftReply"]
