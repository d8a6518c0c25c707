# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``GET /metrics``: every figure of `metrics`, in Prometheus text, behind a bearer key.

With METRICS_TOKEN set, a scrape must send ``Authorization: Bearer <METRICS_TOKEN>`` (401
otherwise). Without it, production refuses every scrape with 403 (the figures name users'
activity and the service's limits), and debug serves them to anyone, like its docs.
"""

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.status import HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN

from .. import metrics
from ..api_keys import bearer_key, matches_any

router = APIRouter(tags=["operations"])


def check_access(request: Request) -> None:
    """Raise the HTTP error a scrape without the right key gets (see the module docstring)."""
    settings = request.app.state.settings
    expected: str = settings.METRICS_TOKEN
    if not expected:
        if settings.DEBUG:
            return
        raise HTTPException(
            HTTP_403_FORBIDDEN, "metrics are disabled: set METRICS_TOKEN to enable /metrics"
        )
    given = bearer_key(request)
    if given is not None and matches_any(given, [expected]):
        return
    raise HTTPException(
        HTTP_401_UNAUTHORIZED,
        "send Authorization: Bearer <METRICS_TOKEN>",
        headers={"WWW-Authenticate": "Bearer"},
    )


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """The Prometheus text exposition (of every process, in multiprocess mode).

    The figures are flushed here, on the event loop's thread that counts them (a plain
    ``def`` endpoint runs in a worker thread, where a flush could race a count); rendering
    them, which reads every process's files in multiprocess mode, runs in a worker thread.
    """
    check_access(request)
    metrics.flush(request.app)
    body = await run_in_threadpool(metrics.render)
    return Response(body, media_type=metrics.CONTENT_TYPE)
