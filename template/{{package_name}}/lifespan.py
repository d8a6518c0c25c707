"""Start-up and shutdown: the engine's resources, and a place for your own."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .config import Settings
from .engine.lifespan import run_engine

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the engine (broker, presence, sessions) for as long as the app runs.

    Open your own clients (a database pool, ...) around the ``yield``: after the engine
    starts, they are there for every session; before it stops, every session has closed.
    """
    settings: Settings = app.state.settings
    async with run_engine(app):
        logger.info("%s starting (debug=%s)", settings.SERVICE_NAME, settings.DEBUG)
        yield
    logger.info("%s stopped", settings.SERVICE_NAME)
