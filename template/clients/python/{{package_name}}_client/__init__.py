"""The Python client of this service: reconnect, resume and exactly-once publish built in.

```python
async with Client("ws://host:8000/ws/chat", token="…") as client:
    room = await client.join("lobby")
    ack = await room.publish("hello")
    async for frame in room:
        ...
```
"""

from .backoff import Backoff
from .client import Client
from .errors import (
    ClientClosedError,
    ClientError,
    CommandTimeoutError,
    InvalidURLError,
    OutboxFullError,
    RefusedError,
    ServiceError,
    Unauthorized,
    UnreachableError,
)
from .frames import Frame, Published, Reset
from .room import Room
from .state import State

# The service's version; engine.client_dist stamps it here too on the wheel it builds.
__version__ = "0.1.0"

__all__ = [
    "Backoff",
    "Client",
    "ClientClosedError",
    "ClientError",
    "CommandTimeoutError",
    "Frame",
    "InvalidURLError",
    "OutboxFullError",
    "Published",
    "RefusedError",
    "Reset",
    "Room",
    "ServiceError",
    "State",
    "Unauthorized",
    "UnreachableError",
]
