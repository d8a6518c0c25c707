"""HTTP API under ``/api``: health, and a path-parameter example."""

import logging
from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(prefix="/api", tags=["api"])
logger = logging.getLogger(__name__)


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness and a little state: service name, debug flag, open sessions, broker state.

    Still 200 while the broker is down: the process is alive and its sessions stay open;
    ``status`` says ``degraded`` until room messages flow again.
    """
    settings = request.app.state.settings
    broker = request.app.state.broker
    return {
        "status": "ok" if broker.state == "up" else "degraded",
        "service": settings.SERVICE_NAME,
        "debug": settings.DEBUG,
        "connections": len(request.app.state.connections),
        "broker": {"backend": broker.backend, "state": broker.state, "rooms": broker.room_count},
    }


@router.get("/print")
def print_demo() -> list[str]:
    """The seed's ``print('Hello')`` demo, written to the log (with the request id) instead."""
    logger.info("Hello")
    return ["Hello"]


@router.get("/hello/{name}")
def hello(name: str) -> dict[str, str]:
    """A path-parameter example: ``/api/hello/john`` → ``{"name": "john"}``."""
    return {"name": name}
