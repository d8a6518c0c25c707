# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The service's engine: transport, sessions, rooms, brokers, metrics and the built-in handlers.

Template-owned: `fastgen update` maintains every file in this package, so an engine fix
reaches you without a merge in code of yours. Build your service in the modules outside it
(main, config, lifespan, auth, routers, handlers); import from here what they need. The
project's docs/ describes this package and is maintained with it; the README is yours.
"""
