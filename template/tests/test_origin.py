"""Cross-site WebSocket hijacking: the Origin header of every handshake is checked."""

import pytest
from fastapi import WebSocketDisconnect

from .conftest import ClientFactory, chat_url

ALLOWED = "https://chat.example.com"


def connect_status(make_client: ClientFactory, origin: str | None, **settings: object) -> str:
    """'accepted', or 'refused <close code>', for a handshake to /ws/echo with this Origin."""
    client = make_client(**settings)
    headers = {"origin": origin} if origin is not None else {}
    try:
        with client.websocket_connect("/ws/echo", headers=headers) as ws:
            ws.send_text("hi")
            ws.receive_text()
    except WebSocketDisconnect as exc:
        return f"refused {exc.code}"
    return "accepted"


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (None, "accepted"),
        (ALLOWED, "accepted"),
        (ALLOWED + "/", "accepted"),
        ("https://evil.example.com", "refused 1008"),
        ("http://chat.example.com", "refused 1008"),
        ("http://localhost:3000", "refused 1008"),
        ("null", "refused 1008"),
    ],
)
def test_production_allows_only_listed_origins(
    make_client: ClientFactory, origin: str | None, expected: str
) -> None:
    status = connect_status(make_client, origin, SERVICE_NAME="chat", ALLOWED_ORIGINS=[ALLOWED])
    assert status == expected


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("http://localhost:5173", "accepted"),
        ("http://127.0.0.1:8000", "accepted"),
        ("http://[::1]:8000", "accepted"),
        ("https://evil.example.com", "refused 1008"),
    ],
)
def test_debug_also_allows_localhost_pages(
    make_client: ClientFactory, origin: str, expected: str
) -> None:
    assert connect_status(make_client, origin, SERVICE_NAME="chat-dev") == expected


def test_chat_is_guarded_too(make_client: ClientFactory) -> None:
    client = make_client(SERVICE_NAME="chat")
    with (
        pytest.raises(WebSocketDisconnect) as exc_info,
        client.websocket_connect(chat_url(), headers={"origin": "https://evil.example.com"}),
    ):
        pass
    assert exc_info.value.code == 1008
