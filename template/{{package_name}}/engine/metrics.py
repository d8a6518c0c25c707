# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Prometheus metrics: the registry, the metric objects and the small `record` calls.

Every figure carries the service's name as the ``service`` label (bound by `start`).
Nothing on the path of a message or a connection calls prometheus-client: events
(connections, refusals, error frames, closes, slow consumers; `_count`) and the
per-message figures (messages by type, handler time; `Tally`) are kept as plain numbers
and added to the Prometheus metrics in one go by `flush`: at every scrape, and every
`FLUSH_INTERVAL_SECONDS` when several processes share ``PROMETHEUS_MULTIPROC_DIR``.
prometheus-client's calls take a lock, and cost as much as the app's own work per message.

Several processes (``python -m <package> --workers N``): set ``PROMETHEUS_MULTIPROC_DIR`` to
an empty folder this user may write to, before the processes start. Each process then writes
its figures to files there, and ``/metrics`` on any of them adds up every process's files.
"""

import asyncio
import os
import re
from bisect import bisect_left
from contextlib import suppress
from typing import Any

from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from ..config import DEFAULT_SERVICE_NAME
from .close_codes import POLICY_VIOLATION
from .status_codes import AUTHENTICATION_FAILED_40001
from .tally import TIME_BUCKETS, Tally, add_observations

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
MULTIPROC_DIR = os.environ.get(MULTIPROC_DIR_VARIABLE) or None
if MULTIPROC_DIR:
    # prometheus-client opens one file per metric in it as soon as a metric is created.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
FLUSH_INTERVAL_SECONDS = 1.0
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Label values for the figures whose causes are few and known in advance.
AUTH, ORIGIN, CAPACITY, RATE = "auth", "origin", "capacity", "rate"
REFUSAL_REASONS = (AUTH, ORIGIN, CAPACITY, RATE)
BY_SERVER, BY_CLIENT = "server", "client"
# Messages whose `type` no handler takes: one label value, whatever the client sent.
UNKNOWN_TYPE = "unknown"
OTHER_CODE = "other"
# Close codes a client may send are any number from 1000 to 4999: only these get a label
# value of their own (the rest share `other`), so a client cannot create new time series.
KNOWN_CLOSE_CODES = frozenset(
    {1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)
BROKER_STATES = ("connecting", "up", "down")
RECOVERED, NOT_RECOVERED = "recovered", "not_recovered"
# Outcomes of POST /api/rooms/{room}/messages that reached the broker.
PUBLISHED, DUPLICATE, UNAVAILABLE, OUTCOME_UNKNOWN = (
    "published", "duplicate", "unavailable", "outcome_unknown"
)  # fmt: skip
API_PUBLISH_OUTCOMES = (PUBLISHED, DUPLICATE, UNAVAILABLE, OUTCOME_UNKNOWN)

REGISTRY = CollectorRegistry(auto_describe=True)
if not MULTIPROC_DIR:
    # Memory, CPU and open files of this process (per-process figures cannot be summed).
    ProcessCollector(registry=REGISTRY)

SESSIONS_OPEN = Gauge(
    "ws_sessions_open",
    "Authenticated /ws/chat sessions open now.",
    ["service"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
CONNECTIONS_ACCEPTED = Counter(
    "ws_connections_accepted",
    "/ws/chat connections accepted and authenticated.",
    ["service"],
    registry=REGISTRY,
)
CONNECTIONS_REFUSED = Counter(
    "ws_connections_refused",
    "WebSocket connections refused (auth, origin, capacity) or cut off for flooding (rate).",
    ["service", "reason"],
    registry=REGISTRY,
)
MESSAGES_RECEIVED = Counter(
    "ws_messages_received",
    "Chat messages dispatched, by type (`unknown`: a type no handler takes).",
    ["service", "type"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "ws_handler_seconds",
    "Time a message handler took (validation included), by message type.",
    ["service", "type"],
    registry=REGISTRY,
    buckets=TIME_BUCKETS,
)
ERROR_FRAMES = Counter(
    "ws_error_frames",
    "Error frames sent to clients, by status code.",
    ["service", "status"],
    registry=REGISTRY,
)
CLOSES = Counter(
    "ws_closes",
    "Closed chat sessions, by close code and by which side closed.",
    ["service", "code", "by"],
    registry=REGISTRY,
)
SLOW_CONSUMERS = Counter(
    "ws_slow_consumer_disconnects",
    "Clients cut off because their send buffer was full (SEND_QUEUE_SIZE).",
    ["service"],
    registry=REGISTRY,
)
BROKER_STATE = Gauge(
    "ws_broker_state",
    "Processes whose broker is in each state (1 per process in that state).",
    ["service", "state"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
RECOVERIES = Counter(
    "ws_recoveries",
    "Joins that asked to resume a room (since), by outcome: every missed message delivered "
    "(recovered), or some were lost for that client (not_recovered).",
    ["service", "outcome"],
    registry=REGISTRY,
)
BROKER_PUBLISH_SECONDS = Histogram(
    "ws_broker_publish_seconds",
    "Time the broker took to accept a room message.",
    ["service"],
    registry=REGISTRY,
    buckets=TIME_BUCKETS,
)

API_PUBLISHES = Counter(
    "ws_api_publishes",
    "Server-side publishes (POST /api/rooms/{room}/messages) that reached the broker, by "
    "outcome: published, duplicate (Idempotency-Key seen before), unavailable or "
    "outcome_unknown (both answered 503).",
    ["service", "outcome"],
    registry=REGISTRY,
)


class _Children:
    """The label children of one service name, bound on first use and kept."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[Any, tuple[str, ...]], Any] = {}

    def __call__(self, metric: Any, *labels: str) -> Any:
        """`metric`'s child for this service and `labels`."""
        key = (metric, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(self.service, *labels)
        return child

    def prebind(self) -> None:
        """Bind the figures whose labels are known, so that they show as 0 before any event."""
        self(SESSIONS_OPEN)
        self(CONNECTIONS_ACCEPTED)
        self(SLOW_CONSUMERS)
        self(BROKER_PUBLISH_SECONDS)
        for reason in REFUSAL_REASONS:
            self(CONNECTIONS_REFUSED, reason)
        for state in BROKER_STATES:
            self(BROKER_STATE, state)
        for outcome in (RECOVERED, NOT_RECOVERED):
            self(RECOVERIES, outcome)
        for outcome in API_PUBLISH_OUTCOMES:
            self(API_PUBLISHES, outcome)


# Replaced by `start` with the app's SERVICE_NAME (only a process that counts an event
# before its app started would report under the default name).
_children = _Children(DEFAULT_SERVICE_NAME)
# Message type → tally. Types come from registered handlers (and `UNKNOWN_TYPE`), never
# from what a client sent, so the number of label values is fixed by the code.
_handler_tallies: dict[str, Tally] = {}
_publish_tally = Tally()
# (metric, label values) → how much it moved since the last flush (`_count`).
_event_counts: dict[tuple[Any, tuple[str, ...]], int] = {}


def _count(metric: Any, *labels: str, amount: int = 1) -> None:
    """Count an event of `metric` (its label values after the service's) until `flush`.

    A dict update, where prometheus-client's ``inc`` would take a lock on every connect.
    """
    key = (metric, labels)
    _event_counts[key] = _event_counts.get(key, 0) + amount


def start(app: FastAPI) -> None:
    """Bind the figures to the app's service name; in multiprocess mode, flush periodically."""
    global _children
    service = app.state.settings.SERVICE_NAME
    if _children.service != service:
        _children = _Children(service)
    _children.prebind()
    if MULTIPROC_DIR:
        _forget_dead_processes(MULTIPROC_DIR)
        app.state.metrics_flusher = asyncio.create_task(_flush_forever(app))


async def stop(app: FastAPI) -> None:
    """Flush the last figures; in multiprocess mode, take this process out of the live gauges."""
    flusher: asyncio.Task[None] | None = getattr(app.state, "metrics_flusher", None)
    if flusher is not None:
        flusher.cancel()
        with suppress(asyncio.CancelledError):
            await flusher
    flush(app)
    if MULTIPROC_DIR:
        mark_process_dead(os.getpid(), MULTIPROC_DIR)


def broker_state(app: FastAPI) -> str:
    """The broker's state as a plain string (the one place that reads the broker for this)."""
    broker = getattr(app.state, "broker", None)
    return "down" if broker is None else str(broker.state)


def session_opened() -> None:
    """A /ws/chat connection was authenticated and its session starts."""
    _count(CONNECTIONS_ACCEPTED)
    _count(SESSIONS_OPEN)


def session_closed() -> None:
    """A session that `session_opened` counted has ended."""
    _count(SESSIONS_OPEN, amount=-1)


def connection_refused(reason: str) -> None:
    """A handshake was refused, or a connection cut off for flooding (`REFUSAL_REASONS`)."""
    _count(CONNECTIONS_REFUSED, reason)


def auth_refused() -> None:
    """An authentication failure: the refusal, its 40001 error frame and its 1008 close."""
    connection_refused(AUTH)
    error_frame(AUTHENTICATION_FAILED_40001)
    server_closed(POLICY_VIOLATION)


def recovery(recovered: bool) -> None:
    """A join with ``since`` was answered: `recovered` says whether nothing was lost."""
    _count(RECOVERIES, RECOVERED if recovered else NOT_RECOVERED)


def error_frame(status: int) -> None:
    """An error frame with `status` went to a client."""
    _count(ERROR_FRAMES, str(status))


def server_closed(code: int) -> None:
    """The service closed a session with `code`."""
    _closed(code, BY_SERVER)


def client_closed(code: object) -> None:
    """The client (or the network: 1006) ended a session with `code`."""
    _closed(code, BY_CLIENT)


def slow_consumer() -> None:
    """A client was cut off for falling `SEND_QUEUE_SIZE` frames behind."""
    _count(SLOW_CONSUMERS)


def observe_handler(message_type: str, seconds: float) -> None:
    """One message of `message_type` was handled in `seconds` (a registered type only)."""
    tally = _handler_tallies.get(message_type)
    if tally is None:
        tally = _handler_tallies[message_type] = Tally()
    # `Tally.observe`, inlined: this runs for every message.
    tally.buckets[bisect_left(TIME_BUCKETS, seconds)] += 1
    tally.seconds += seconds


def broker_published(seconds: float) -> None:
    """The broker accepted a room message after `seconds` (``ws_broker_publish_seconds``)."""
    _publish_tally.observe(seconds)


def api_published(outcome: str) -> None:
    """A server-side publish ended with `outcome` (one of `API_PUBLISH_OUTCOMES`)."""
    _count(API_PUBLISHES, outcome)


def flush(app: FastAPI) -> None:
    """Add the tallies to the Prometheus metrics, and record the broker's current state.

    Call it on the event loop's thread, where the events are counted: the counts are plain
    numbers, and a flush from another thread could count an event twice or lose it.
    """
    global _event_counts
    counts, _event_counts = _event_counts, {}
    for (metric, labels), amount in counts.items():
        if amount:  # a gauge's +1 and -1 cancel out
            _children(metric, *labels).inc(amount)
    for message_type, tally in list(_handler_tallies.items()):
        buckets, seconds = tally.take()
        count = sum(buckets)
        if count:
            _children(MESSAGES_RECEIVED, message_type).inc(count)
            add_observations(_children(HANDLER_SECONDS, message_type), buckets, seconds)
    buckets, seconds = _publish_tally.take()
    if any(buckets):
        add_observations(_children(BROKER_PUBLISH_SECONDS), buckets, seconds)
    state = broker_state(app)
    for name in BROKER_STATES:
        _children(BROKER_STATE, name).set(1 if name == state else 0)


def render() -> bytes:
    """The Prometheus text of every figure (of every process, in multiprocess mode).

    Only what `flush` has added: call it first, on the event loop's thread.
    """
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=MULTIPROC_DIR)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _closed(code: object, by: str) -> None:
    label = str(code) if code in KNOWN_CLOSE_CODES else OTHER_CODE
    _count(CLOSES, label, by)


async def _flush_forever(app: FastAPI) -> None:
    """Flush every `FLUSH_INTERVAL_SECONDS`, so that a scrape of another process sees ours."""
    while True:
        await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
        flush(app)


_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def _forget_dead_processes(path: str) -> None:
    """Drop the live gauges of processes that are gone (a crashed worker's open sessions)."""
    for name in os.listdir(path):
        match = _LIVE_GAUGE_FILE.match(name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, path)
        except PermissionError:
            pass  # alive, owned by another user
