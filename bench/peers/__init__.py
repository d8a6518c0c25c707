"""The peers the generated service's room fan-out is measured against, and the ceiling.

Each module is one server, written the way its project's own documentation shows, and
reads two environment variables: ``BENCH_REDIS_URL`` (unset or empty: the in-memory
mode, one process; set: the Redis mode, run as two processes) and ``BENCH_UNPATCHED``
(``1``: run without the smallest fix in `bench.peers.fixes` that the peer needs to work at
all, so the report can show both figures). Every text frame a client sends is relayed to
the whole room, the sender included, as the generated service does.
"""

import os

ROOM = "bench"


def redis_url() -> str | None:
    """The Redis URL of the Redis mode, or None in the in-memory mode."""
    return os.environ.get("BENCH_REDIS_URL") or None


def patched() -> bool:
    """False when the run asks for the peer as released, without the bench's fixes."""
    return os.environ.get("BENCH_UNPATCHED", "") != "1"
