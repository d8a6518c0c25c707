"""The generated service's AsyncAPI document is valid AsyncAPI 3.0, and follows the handlers.

The schema is `tests/data/asyncapi-3.0.0.schema.json`: ``schemas/3.0.0-without-$id.json``
of the npm package ``@asyncapi/specs`` 6.11.1 (Apache-2.0; its LICENSE and NOTICE are kept
beside it).
"""

import copy
import json
import sys
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
