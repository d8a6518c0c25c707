"""Start-up and shutdown of the app's resources."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import metrics
from .auth import build_authorizers
from .broker import build_broker, build_presence
from .close_codes import GOING_AWAY
from .config import Settings
from .connections import ConnectionRegistry
from .routers.ready import mark_shutting_down
from .startup_checks import warn_about_configuration

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the registry, authorizers, broker and presence; close them on the way out."""
    settings: Settings = app.state.settings
    app.state.connections = ConnectionRegistry()
    app.state.authorizers = build_authorizers(settings)
    warn_about_configuration(settings)
    app.state.broker = build_broker(settings)
    await app.state.broker.start()
    app.state.presence = build_presence(settings, app.state.broker)
    await app.state.presence.start()
    metrics.start(app)
    logger.info("%s starting (debug=%s)", settings.SERVICE_NAME, settings.DEBUG)
    try:
        yield
    finally:
        mark_shutting_down(app)
        await app.state.connections.close_all(GOING_AWAY, "server shutting down")
        await app.state.presence.stop()
        await app.state.broker.stop()
        await metrics.stop(app)
        logger.info("%s stopped", settings.SERVICE_NAME)
