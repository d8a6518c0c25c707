"""What outlives a connection: settings, rooms, the outbox and the commands awaiting answers."""

import asyncio
from dataclasses import dataclass, field

from .backoff import Backoff
from .outbox import Outbox
from .room import Room


@dataclass
class Settings:
    """The client's knobs (see `Client` for each)."""

    backoff: Backoff
    heartbeat: float
    dead_after: float | None
    timeout: float
    publish_timeout: float
    connect_timeout: float
    max_in_flight: int
    refresh_margin: float

    def __post_init__(self) -> None:
        for name in ("heartbeat", "timeout", "publish_timeout", "connect_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.dead_after is not None and self.dead_after <= 0:
            raise ValueError("dead_after must be positive")
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")


@dataclass
class Shared:
    """The state every session of one client works on."""

    settings: Settings
    outbox: Outbox
    rooms: dict[str, Room] = field(default_factory=dict)
    # Commands waiting for their answer, by room: `joined`, `left`.
    join_waiters: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    leave_waiters: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    token: str | None = None
    # The service's heartbeat (from its pong), once known.
    service_heartbeat: float | None = None

    def heartbeat(self) -> float:
        """Seconds between pings: the service's when it said, else the setting."""
        return self.service_heartbeat or self.settings.heartbeat

    def dead_after(self) -> float:
        """Seconds of silence after which the link counts as dead."""
        return self.settings.dead_after or 2 * self.heartbeat()

    def ping_interval(self) -> float:
        """Seconds between pings: a healthy link answers at least twice within `dead_after`."""
        return min(self.heartbeat(), self.dead_after() / 2)
