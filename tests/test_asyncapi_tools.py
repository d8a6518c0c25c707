"""The served AsyncAPI document, as tools nobody here wrote consume it.

`@asyncapi/modelina` 5.10 (npm, root package.json) turns a generated service's
``/asyncapi.json`` into TypeScript models, and ``tsc --strict`` checks a small client
written against them by their titles, with the wire's field names. Modelina is configured
as a user would: interfaces, and property keys kept as they are (by default it renames
``type``/``from``/``text``/``status`` to ``reservedType``… and camel-cases ``expires_at``).
"""

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from fastgen.generate import new_project
from tests.services import running_service

pytestmark = pytest.mark.e2e

MODELINA_SCRIPT = """
// argv: the AsyncAPI document (JSON file), the folder for the models. Prints their names.
const fs = require("fs");
const path = require("path");
const { TypeScriptGenerator, typeScriptDefaultPropertyKeyConstraints } = require(
  "@asyncapi/modelina"
);

async function main() {
  const [input, output] = process.argv.slice(2);
  const generator = new TypeScriptGenerator({
    modelType: "interface",
    enumType: "union",
    // The service takes and sends exactly the schemas' fields: no `additionalProperties` map.
    processorOptions: { interpreter: { ignoreAdditionalProperties: true } },
    constraints: {
      // Wire names as they are: no reserved-word prefix, no camelCase.
      propertyKey: typeScriptDefaultPropertyKeyConstraints({
        NO_RESERVED_KEYWORDS: (value) => value,
        NAMING_FORMATTER: (value) => value,
      }),
    },
  });
  const document = JSON.parse(fs.readFileSync(input, "utf8"));
  const models = await generator.generateCompleteModels(document, { exportType: "named" });
  for (const model of models) {
    fs.writeFileSync(path.join(output, `${model.modelName}.ts`), model.result);
  }
  console.log(JSON.stringify(models.map((model) => model.modelName)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
"""

# A client of the service, typed by the generated models (found by their payloads' titles).
CLIENT_TS = """
import { ChatMessage } from "./models/ChatMessage";
import { ChatFrame } from "./models/ChatFrame";
import { ErrorFrame } from "./models/ErrorFrame";
import { PongReply } from "./models/PongReply";
import { PublishedReply } from "./models/PublishedReply";
import { RefreshReplies } from "./models/RefreshReplies";

export const hello: ChatMessage = { type: "chat", room: "lobby", text: "hi", id: "m-1" };

type Incoming = ChatFrame | ErrorFrame | PongReply | PublishedReply | RefreshReplies;

export function describe(frame: Incoming): string {
  if ("status" in frame) {
    return `${frame.status} ${frame.message} (id ${frame.id ?? "none"})`;
  }
  switch (frame.type) {
    case "chat":
      return `${frame.from} in ${frame.room}: ${frame.text} at ${frame.offset}/${frame.epoch}`;
    case "pong":
      return `ping every ${frame.heartbeat} s`;
    case "published":
      return `${frame.id} at ${frame.offset}, duplicate: ${frame.duplicate}`;
    case "refreshed":
      return `session until ${frame.expires_at ?? "forever"}`;
    case "left":
      return `left ${frame.room} (${frame.reason ?? "asked"})`;
  }
}
"""

# What the default constraints produced: must not type-check against the models.
RENAMED_TS = """
import { ChatFrame } from "./models/ChatFrame";

export function sender(frame: ChatFrame): string {
  return frame.reservedFrom;
}
"""
TSC_FLAGS = ["--strict", "--noEmit", "--target", "es2020", "--module", "commonjs"]


def node(node_modules: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``node`` with fastgen's Node toolchain on its module path (bounded)."""
    executable = shutil.which("node")
    assert executable is not None  # the node_modules fixture checked
    return subprocess.run(
        [executable, *map(str, args)],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "NODE_PATH": str(node_modules)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def served_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``GET /asyncapi.json`` from a generated service running in debug mode."""
    root = tmp_path_factory.mktemp("asyncapi-tools")
    project = new_project(root / "proj", service="chat-dev").dest
    with (
        running_service(project, root / "service.log") as port,
        urllib.request.urlopen(f"http://127.0.0.1:{port}/asyncapi.json", timeout=30) as served,
    ):
        document: dict[str, Any] = json.load(served)
    return document


@pytest.fixture(scope="module")
def models(
    served_document: dict[str, Any], node_modules: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str]]:
    """The modelina models of the document: their folder's parent and their names."""
    work = tmp_path_factory.mktemp("modelina")
    (work / "models").mkdir()
    (work / "document.json").write_text(json.dumps(served_document), encoding="utf-8")
    (work / "models.cjs").write_text(MODELINA_SCRIPT, encoding="utf-8")
    done = node(node_modules, "models.cjs", "document.json", "models", cwd=work)
    assert done.returncode == 0, done.stderr
    names: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return work, names


def test_every_model_is_named_after_its_title(models: tuple[Path, list[str]]) -> None:
    _, names = models
    assert not [name for name in names if name.startswith(("Anonymous", "anonym"))]
    assert "Chat" not in names  # what modelina calls a union of several reply messages
    assert {"ErrorFrame", "ChatFrame", "RefreshReplies", "RefreshedReply", "LeftReply"} <= set(
        names
    )


def test_fields_keep_their_wire_names(models: tuple[Path, list[str]]) -> None:
    work, _ = models
    chat = (work / "models" / "ChatFrame.ts").read_text(encoding="utf-8")
    for field in ("type: 'chat';", "from: string;", "text: string;", "offset: number;"):
        assert field in chat, chat
    assert "reserved" not in chat
    assert "expires_at" in (work / "models" / "RefreshedReply.ts").read_text(encoding="utf-8")


def test_a_strict_client_type_checks_against_the_models(
    models: tuple[Path, list[str]], node_modules: Path
) -> None:
    work, _ = models
    (work / "client.ts").write_text(CLIENT_TS, encoding="utf-8")
    tsc = node_modules / "typescript" / "bin" / "tsc"
    done = node(node_modules, tsc, *TSC_FLAGS, "client.ts", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    # The check is not vacuous: the names the default constraints produced are errors.
    (work / "renamed.ts").write_text(RENAMED_TS, encoding="utf-8")
    renamed = node(node_modules, tsc, *TSC_FLAGS, "renamed.ts", cwd=work)
    assert renamed.returncode != 0
    assert "reservedFrom" in renamed.stdout
