# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The process's own limits, raised before the service starts serving."""

import logging

logger = logging.getLogger(__name__)


def raise_open_file_limit() -> int | None:
    """Raise this process's soft limit on open files to its hard limit; returns the new soft limit.

    Every socket is a file descriptor, and many systems start processes with a soft limit of
    1024: a few hundred idle clients would otherwise lock everyone else out. (None on
    Windows, which has no such limit.)
    """
    try:
        import resource  # POSIX only: imported here so that Windows can still run the rest
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:  # e.g. a sandbox that forbids it
            logger.warning("could not raise the open file limit from %d to %d: %s", soft, hard, exc)
            return soft
        return hard
    return soft
