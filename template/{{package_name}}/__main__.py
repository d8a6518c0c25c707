"""`python -m <package>`: the service under uvicorn, with every limit from the settings.

The options and the protocol classes it runs with are the engine's (engine/serve.py).
"""

from .engine.serve import main

if __name__ == "__main__":
    main()
