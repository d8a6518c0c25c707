"""HTTP API under ``/api``: health, and the seed article's examples."""

import logging
from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(prefix="/api", tags=["api"])
logger = logging.getLogger(__name__)


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness and a little state: service name, debug flag, open WebSocket sessions."""
    settings = request.app.state.settings
    return {
        "status": "ok",
        "service": settings.SERVICE_NAME,
        "debug": settings.DEBUG,
        "connections": len(request.app.state.connections),
    }


@router.get("/print")
def print_demo() -> list[str]:
    """The seed's ``print('Hello')`` demo, written to the log (with the request id) instead."""
    logger.info("Hello")
    return ["Hello"]


@router.get("/hello/{name}")
def hello(name: str) -> dict[str, str]:
    """The seed's path-parameter example: ``/api/hello/john`` → ``{"name": "john"}``."""
    return {"name": name}
