# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The engine's HTTP routes: readiness, metrics, the publish API and (debug) the console."""
