# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The engine's resources for one app: registry, authorizers, broker, presence and metrics."""

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..auth import build_authorizers
from ..config import Settings
from . import fence, metrics
from .broker import build_broker, build_presence
from .close_codes import GOING_AWAY
from .registry import ConnectionRegistry
from .routers.ready import mark_shutting_down
from .startup_checks import warn_about_configuration

logger = logging.getLogger(__name__)


@asynccontextmanager
async def run_engine(app: FastAPI) -> AsyncIterator[None]:
    """Start what the sessions need; on the way out, close every session, then the rest.

    Sessions get their close (1001) before the broker and presence stop, so that none of
    them is cut off mid-publish.
    """
    settings: Settings = app.state.settings
    app.state.protections_off = fence.protections_off()
    if app.state.protections_off and os.environ.get(fence.SERVED_BY_ENV) is None:
        logger.warning(
            "started without `python -m %s`, so these are off: %s",
            __package__.rpartition(".")[0] if __package__ else "<package>",
            "; ".join(app.state.protections_off),
        )
    app.state.connections = ConnectionRegistry()
    app.state.authorizers = build_authorizers(settings)
    warn_about_configuration(settings)
    app.state.broker = build_broker(settings)
    await app.state.broker.start()
    app.state.presence = build_presence(settings, app.state.broker)
    await app.state.presence.start()
    metrics.start(app)
    try:
        yield
    finally:
        mark_shutting_down(app)
        await app.state.connections.close_all(GOING_AWAY, "server shutting down")
        await app.state.presence.stop()
        await app.state.broker.stop()
        await metrics.stop(app)
