"""The seed article's own URLs: ``GET /`` → ``{"Hello": "World"}``, and its echo at ``/ws``."""

from fastapi import APIRouter

from .ws import websocket_endpoint

router = APIRouter(tags=["root"])


@router.get("/")
def read_root() -> dict[str, str]:
    """Say hello."""
    return {"Hello": "World"}


# The article connects to ws://127.0.0.1:8000/ws. It is the same endpoint as /ws/echo
# (routers/ws.py), so everything that applies to the echo applies to both URLs.
router.add_api_websocket_route("/ws", websocket_endpoint)
