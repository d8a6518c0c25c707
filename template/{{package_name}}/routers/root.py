"""The seed article's first route: ``GET /`` → ``{"Hello": "World"}``."""

from fastapi import APIRouter

router = APIRouter(tags=["root"])


@router.get("/")
def read_root() -> dict[str, str]:
    """Say hello."""
    return {"Hello": "World"}
