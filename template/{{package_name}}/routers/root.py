"""The root URLs: ``GET /`` → ``{"Hello": "World"}``, and the echo at ``/ws``."""

from fastapi import APIRouter

from .ws import websocket_endpoint

router = APIRouter(tags=["root"])


@router.get("/")
def read_root() -> dict[str, str]:
    """Say hello."""
    return {"Hello": "World"}


# The same endpoint as /ws/echo (routers/ws.py): every limit of the echo applies to both URLs.
router.add_api_websocket_route("/ws", websocket_endpoint)
