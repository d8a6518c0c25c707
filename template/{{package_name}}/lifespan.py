"""Start-up and shutdown of the app's resources."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .auth import build_authorizers
from .broker import build_broker
from .close_codes import GOING_AWAY
from .config import Settings
from .connections import ConnectionRegistry
from .startup_checks import warn_about_configuration

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the registry, authorizers and broker; close sessions and broker on the way out."""
    settings: Settings = app.state.settings
    app.state.connections = ConnectionRegistry()
    app.state.authorizers = build_authorizers(settings)
    warn_about_configuration(settings)
    app.state.broker = build_broker(settings)
    await app.state.broker.start()
    logger.info("%s starting (debug=%s)", settings.SERVICE_NAME, settings.DEBUG)
    try:
        yield
    finally:
        await app.state.connections.close_all(GOING_AWAY, "server shutting down")
        await app.state.broker.stop()
        logger.info("%s stopped", settings.SERVICE_NAME)
