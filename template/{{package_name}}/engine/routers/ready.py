# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Readiness, ``GET /api/ready``: may a load balancer send this process new clients now?

Not the same question as ``/api/health`` (liveness: is the process alive?). A process whose
broker is down is alive, and restarting it would not help, but a new client would get only
error frames from its rooms; a process that is shutting down should get no new clients.
"""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.status import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from .. import metrics

router = APIRouter(prefix="/api", tags=["api"])

SHUTTING_DOWN = "shutting down"


def mark_shutting_down(app: FastAPI) -> None:
    """From now on `/api/ready` answers 503 (called when the lifespan's shutdown begins)."""
    app.state.shutting_down = True


def not_ready_reason(app: FastAPI) -> str | None:
    """Why this process should get no new clients, or None when it is ready."""
    if getattr(app.state, "shutting_down", False):
        return SHUTTING_DOWN
    state = metrics.broker_state(app)
    if state != "up":
        return f"broker {state}"
    return None


@router.get(
    "/ready",
    responses={HTTP_503_SERVICE_UNAVAILABLE: {"description": "not ready; `reason` says why"}},
)
def ready(request: Request) -> JSONResponse:
    """200 when the broker is up and the service is not shutting down; 503 otherwise."""
    reason = not_ready_reason(request.app)
    body: dict[str, Any] = {"status": "ready" if reason is None else "not ready"}
    if reason is not None:
        body["reason"] = reason
    # Still ready, but a load balancer's operator should know (see engine/fence.py).
    if off := getattr(request.app.state, "protections_off", ()):
        body["protections_off"] = list(off)
    status = HTTP_200_OK if reason is None else HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(body, status_code=status)
