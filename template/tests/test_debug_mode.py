"""The seed's debug rule, and docs served only in debug."""

import pytest

from .conftest import ClientFactory

DOC_PATHS = ["/docs", "/redoc", "/openapi.json"]


@pytest.mark.parametrize(
    ("service_name", "debug"),
    [
        ("chat-dev", True),
        ("chat-test", True),
        ("test-chat", True),
        ("my_dev_svc", True),
        ("Chat-DEV", True),
        ("dev", True),
        ("chat", False),
        # A substring rule would put these in debug; whole words do not.
        ("devices", False),
        ("devtools", False),
        ("attestation", False),
        ("contest", False),
        ("latest-chat", False),
        ("chat-devs", False),
    ],
)
def test_debug_follows_service_name(
    make_client: ClientFactory, service_name: str, debug: bool
) -> None:
    client = make_client(SERVICE_NAME=service_name)
    assert client.app.state.settings.DEBUG is debug  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", DOC_PATHS)
def test_docs_served_in_debug(make_client: ClientFactory, path: str) -> None:
    client = make_client(SERVICE_NAME="chat-dev")
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", DOC_PATHS)
def test_docs_hidden_in_production(make_client: ClientFactory, path: str) -> None:
    client = make_client(SERVICE_NAME="chat")
    assert client.get(path).status_code == 404


def test_explicit_debug_overrides_the_name(make_client: ClientFactory) -> None:
    assert make_client(SERVICE_NAME="chat-dev", DEBUG=False).get("/docs").status_code == 404
    assert make_client(SERVICE_NAME="chat", DEBUG=True).get("/docs").status_code == 200
