"""Developer tools, mounted only in debug (like ``/docs``): the console and the contract.

- ``GET /ws/console``: a self-contained page to talk to ``/ws/chat`` from a browser.
- ``GET /asyncapi.json``: the AsyncAPI 3.0 document of ``/ws/chat`` (see `asyncapi`).
"""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..asyncapi import build_asyncapi

router = APIRouter(tags=["devtools"], include_in_schema=False)

CONSOLE_PAGE = Path(__file__).resolve().parent.parent / "static" / "console.html"


@router.get("/ws/console", response_class=HTMLResponse)
def console() -> HTMLResponse:
    """The browser console (read on each request, so edits show on reload)."""
    return HTMLResponse(CONSOLE_PAGE.read_text(encoding="utf-8"))


@router.get("/asyncapi.json")
def asyncapi(request: Request) -> dict[str, Any]:
    """The AsyncAPI document of the handlers registered right now."""
    return build_asyncapi(request.app.state.settings, host=request.url.netloc)
