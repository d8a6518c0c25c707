"""A generated project's Python client installs on its own and talks to a running service."""

import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import Generate, require_package_index, run
from tests.services import running_service

pytestmark = [pytest.mark.e2e, pytest.mark.full]

# An application of someone else's: nothing of the service, only the client's wheel.
APPLICATION = """
import asyncio
import sys

from {package}_client import Client


async def main(url: str, token: str) -> None:
    async with Client(url, token=token) as client:
        room = await client.join("lobby")
        ack = await room.publish("hello from elsewhere")
        async for frame in room:
            assert frame["text"] == "hello from elsewhere", frame
            assert (frame["offset"], frame["epoch"]) == (ack.offset, ack.epoch), frame
            print("received", ack.offset)
            return


asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), 60))
"""


def test_client_wheel_installs_alone_in_another_folder_and_connects(
    generate: Generate, tmp_path: Path
) -> None:
    require_package_index()
    project = generate("clientproj", data=["auth=static"]).dest
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    # What the README tells a user: `pip wheel ./clients/python`.
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, "./clients/python"],
        project, timeout=600)  # fmt: skip
    (wheel,) = wheels.glob("chat_dev_client-0.1.0-*.whl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env_dir = elsewhere / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", wheel], elsewhere, timeout=600)
    frozen = run([python, "-m", "pip", "list", "--format=freeze"], elsewhere)
    installed = {line.split("==")[0].lower() for line in frozen.split()}
    assert installed - {"pip", "setuptools"} == {"chat-dev-client", "websockets"}
    application = elsewhere / "app.py"
    application.write_text(APPLICATION.format(package="clientproj"), encoding="utf-8")
    log = tmp_path / "service.log"
    with running_service(project, log, AUTH_TOKENS='{"app-token": "app"}') as port:
        url = f"ws://127.0.0.1:{port}/ws/chat"
        output = run([python, application, url, "app-token"], elsewhere, timeout=120)
    assert output.strip() == "received 1"
