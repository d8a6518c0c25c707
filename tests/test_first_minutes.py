"""The first ten minutes of a newcomer, end to end: the article's URL and the production README.

Each test generates a project and runs its service as the README says (``python -m <package>``),
on loopback, with every wait bounded.
"""

from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosedOK
from websockets.sync.client import connect

from fastgen.generate import new_project
from tests.conftest import choices_of
from tests.services import running_service

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A production service (the name has no dev/test word), static tokens."""
    root = tmp_path_factory.mktemp("first-minutes")
    return new_project(root / "prodsvc", service="chat").dest


def test_the_article_url_on_a_real_server(production: Path, tmp_path: Path) -> None:
    with (
        running_service(production, tmp_path / "log", AUTH_TOKENS='{"t0k3n": "alice"}') as port,
        connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10, close_timeout=10) as ws,
    ):
        ws.send("你好")
        assert ws.recv(timeout=10) == "接受到的消息是: 你好"
        ws.send("bye")
        assert ws.recv(timeout=10) == "接受到的消息是: bye"
        assert ws.recv(timeout=10) == "聊天关闭"
        with pytest.raises(ConnectionClosedOK) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1000


def test_production_with_a_token_as_the_readme_shows(production: Path, tmp_path: Path) -> None:
    log = tmp_path / "log"
    with (
        running_service(production, log, AUTH_TOKENS='{"t0k3n": "alice"}') as port,
        connect(f"ws://127.0.0.1:{port}/ws/chat?token=t0k3n", open_timeout=10) as ws,
    ):
        ws.send('{"type": "ping"}')
        assert ws.recv(timeout=10) == '{"type":"pong","heartbeat":20.0}'
    assert "NO AUTHENTICATION CONFIGURED" not in log.read_text(encoding="utf-8")


def test_production_without_auth_says_so_at_start(production: Path, tmp_path: Path) -> None:
    log = tmp_path / "log"
    with running_service(production, log):
        pass
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if "CRITICAL" in line]
    assert len(lines) == 1, log.read_text(encoding="utf-8")
    assert "NO AUTHENTICATION CONFIGURED" in lines[0]
    assert "AUTH_TOKENS" in lines[0]


@pytest.mark.parametrize("auth", choices_of("auth"))
def test_production_readme_sets_a_credential_before_using_it(tmp_path: Path, auth: str) -> None:
    project = new_project(tmp_path / "svc", service="chat", data=[f"auth={auth}"]).dest
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "token=dev-token" not in readme
    use = readme.index('ws/chat?token=$TOKEN"')
    setting = "export AUTH_TOKENS=" if auth == "static" else "export JWT_SECRET="
    assert readme.index(setting) < readme.index("python -m svc &") < use
