"""`python -m <package>`: run the service under uvicorn with host and port from settings."""

import uvicorn

from .config import load_settings


def main() -> None:
    """Start uvicorn on the configured host and port, with this package's logging."""
    settings = load_settings()
    uvicorn.run(
        f"{__package__}.main:app",
        host=settings.HOST,
        port=settings.PORT,
        # The app configures logging itself (request ids, levels); keep uvicorn's
        # default dictConfig from replacing it.
        log_config=None,
        log_level=settings.LOG_LEVEL.lower(),
    )


if __name__ == "__main__":
    main()
