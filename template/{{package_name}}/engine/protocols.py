# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""uvicorn's HTTP and WebSocket protocol classes, with the time limits uvicorn lacks.

`python -m <package>` runs uvicorn with these two classes (``http=`` and ``ws=``):

- `HandshakeTimeoutHTTPProtocol`: uvicorn arms no timer before a connection's first
  request is complete (its keep-alive timer starts only after a response), so a client
  that opens a socket and sends half an upgrade request holds a file descriptor forever.
  Here a connection whose request is not complete within HANDSHAKE_TIMEOUT seconds of
  connecting, or of its previous response, is closed.
- `SendTimeoutWebSocketProtocol`: a client that stops reading fills the write buffer;
  uvicorn's heartbeat ping waits behind the unread data and ``transport.close()`` waits
  for that data to drain, so such a socket (and its buffers, and its session) stayed
  forever. Here a connection whose unsent data has not moved for SEND_TIMEOUT seconds (the
  write buffer over its high-water mark and not shrinking) is aborted: buffers released,
  the session sees a disconnect and frees its slot. A close
  frame is queued behind the unsent data at once instead of waiting for the client to
  read (so a slow reader still gets its 1013), and closing is bounded the same way.
  It also offers the app a faster way out than the ASGI ``send``, `write_text_frames`
  (in the scope's extensions, under `TEXT_FRAMES_EXTENSION`): frames written in one go.

Both read their limits from the settings (the process's environment and ``.env``), like
the app: with ``--reload`` uvicorn re-imports these classes in a child process.
"""

import asyncio
import contextlib
import functools
import logging
import struct
from collections.abc import Iterable
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from ..config import load_settings

logger = logging.getLogger(__name__)

try:  # Linux: bytes still in the kernel's send queue of a socket (SIOCOUTQ = TIOCOUTQ).
    import fcntl
    import termios

    def _kernel_unsent(fd: int) -> int:
        return int(struct.unpack("i", fcntl.ioctl(fd, termios.TIOCOUTQ, b"\0" * 4))[0])

except ImportError:  # Windows

    def _kernel_unsent(fd: int) -> int:
        return 0


# The scope extension under which `SendTimeoutWebSocketProtocol` offers the app its
# `write_text_frames`, as ``{"write_text_frames": ...}`` (ASGI lets a server add its own;
# apps check for it and fall back to ``send``).
TEXT_FRAMES_EXTENSION = "fastgen.websocket.write_text_frames"
# How much `write_text_frames` joins into one write: the transport's default high-water
# mark, so that a batch overshoots the limit the ASGI ``send`` keeps by one batch at most.
WRITE_BATCH_BYTES = 64 * 1024

# RFC 6455 §5.2: FIN + opcode 0x1 (text), then the payload length; a server's frames are
# not masked. Lengths below 126 fit in the second byte, so their headers are made once.
_TEXT = 0x81
_SHORT_TEXT_HEADERS = [bytes((_TEXT, length)) for length in range(126)]


def text_frame_header(length: int) -> bytes:
    """The header of an unmasked, unfragmented text frame with a `length`-byte payload."""
    if length < 126:
        return _SHORT_TEXT_HEADERS[length]
    if length < 1 << 16:
        return struct.pack("!BBH", _TEXT, 126, length)
    return struct.pack("!BBQ", _TEXT, 127, length)


@functools.cache
def _timeouts() -> tuple[float, float]:
    """(HANDSHAKE_TIMEOUT, SEND_TIMEOUT), read once per process."""
    settings = load_settings()
    return settings.HANDSHAKE_TIMEOUT, settings.SEND_TIMEOUT


class HandshakeTimeoutHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools, else h11), with a deadline for each request's head."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start serving the connection, and its first deadline."""
        super().connection_made(transport)
        self._request_timer: asyncio.TimerHandle | None = None
        self._arm_request_timer()

    def on_response_complete(self) -> None:
        """A response went out: the next request gets a deadline too (uvicorn's keep-alive
        timer is cancelled by the first byte of a request, even one never finished)."""
        super().on_response_complete()
        self._arm_request_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline, then let uvicorn clean up."""
        self._cancel_request_timer()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self, *args: Any) -> None:
        """Hand the connection to the WebSocket protocol, which has deadlines of its own.

        The request's timer goes first: left armed after the upgrade, it would keep this
        object and what it references alive for HANDSHAKE_TIMEOUT seconds per session.
        (httptools' version takes no argument, h11's the request event.)
        """
        self._cancel_request_timer()
        super().handle_websocket_upgrade(*args)
        # httptools' parser calls back into this object: a reference cycle that uvicorn
        # breaks in `connection_lost`, which an upgraded connection never reaches here: break
        # it now, so the collector has nothing to do. Nothing parses here any more.
        self.parser = None

    def _arm_request_timer(self) -> None:
        self._cancel_request_timer()
        # The request in progress now (None before the first): a different one later means
        # the client did send a request in time.
        self._armed_for = self.cycle
        self._request_timer = self.loop.call_later(_timeouts()[0], self._request_timed_out)

    def _cancel_request_timer(self) -> None:
        timer = getattr(self, "_request_timer", None)
        if timer is not None:
            timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        transport = self.transport
        if transport.is_closing() or transport.get_protocol() is not self:
            return  # closed already, or upgraded to a WebSocket (which has its own limits)
        cycle = self.cycle
        if cycle is not None and (cycle is not self._armed_for or not cycle.response_complete):
            return  # a request arrived in time; its response re-arms the deadline
        # DEBUG: a flood of half-open connections must not become a flood of log lines.
        logger.debug("closing a connection that sent no complete request in time")
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()


class _BoundedCloseTransport:
    """The WebSocket's transport as the protocol sees it, with a bounded ``close``.

    asyncio's ``close()`` waits for the write buffer to drain, for ever if the client never
    reads: this one aborts the connection when it is still not gone `linger` seconds later.
    Everything else is passed through.
    """

    __slots__ = ("_linger", "_loop", "_timer", "_transport")

    def __init__(
        self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop, linger: float
    ) -> None:
        self._transport = transport
        self._loop = loop
        self._linger = linger
        self._timer: asyncio.TimerHandle | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    # What uvicorn's protocol calls for every message, passed on directly: `__getattr__`
    # runs only after a failed lookup, too slow for the per-message path.
    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write `data` (see `asyncio.WriteTransport.write`)."""
        self._transport.write(data)

    def is_closing(self) -> bool:
        """True once closing or closed."""
        return self._transport.is_closing()

    def pause_reading(self) -> None:
        """Stop reading from the socket until `resume_reading`."""
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        """Read from the socket again."""
        self._transport.resume_reading()

    def close(self) -> None:
        """Close once the buffer has drained, or abort after `linger` seconds."""
        self._transport.close()
        if self._timer is None and self._transport.get_write_buffer_size():
            self._timer = self._loop.call_later(self._linger, self._transport.abort)

    def cancel_timer(self) -> None:
        """The connection is gone: nothing left to abort."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class SendTimeoutWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, where a client that stops reading is cut off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As uvicorn's, plus the stall timer (armed while the write buffer is over its limit)."""
        super().__init__(*args, **kwargs)
        self._stall_timer: asyncio.TimerHandle | None = None
        # Bytes unsent when the stall timer was armed: fewer later means the client reads.
        self._unsent = 0
        # The socket's own transport, under the bounded-close wrapper: what frames go to.
        self._socket_transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Take over the transport, wrapped so that closing it is bounded."""
        super().connection_made(transport)
        self._socket_transport = self.transport
        self.transport = _BoundedCloseTransport(  # type: ignore[assignment]
            self.transport, self.loop, _timeouts()[1]
        )

    def handle_connect(self, event: Request) -> None:
        """As uvicorn's, and offer the app `write_text_frames` in the scope."""
        super().handle_connect(event)
        if self.close_sent:  # the upgrade was refused: there is no app, and no scope
            return
        # The app starts in a task of its own, after this: it sees the extension. (ASGI
        # extensions are dicts of whatever the extension defines.)
        extensions = self.scope.get("extensions")
        if extensions is not None:
            extensions[TEXT_FRAMES_EXTENSION] = {"write_text_frames": self.write_text_frames}

    def write_text_frames(self, texts: Iterable[str]) -> int:
        """Write `texts` as text frames, in order, while the client keeps up; return how many.

        The same as an ASGI ``websocket.send`` per text, without its per-message cost: the
        frames are made here (websockets' general framing costs far more for a chat
        message) and written in batches of `WRITE_BATCH_BYTES`, one system call each where
        the ASGI ``send`` makes one per frame. It stops once the client's write buffer is
        over its limit: the caller sends the rest with the ASGI ``send``, which waits, as it
        does whenever this returns 0 (also: per-message-deflate negotiated, the handshake
        not done or a close sent, none of which this path handles).

        Raises:
            ClientDisconnected: the client is gone (as the ASGI ``send`` raises it).
        """
        if self.disconnected:
            raise ClientDisconnected()
        transport = self._socket_transport
        if (
            transport is None
            or not self.writable.is_set()
            or self.conn.extensions
            or self.close_sent
            or not self.handshake_complete
            or self.initial_response is not None
        ):
            return 0
        if self.conn.state is not State.OPEN:  # the client's close came in (uvicorn: InvalidState)
            raise ClientDisconnected()
        written = 0
        parts: list[bytes] = []
        size = 0
        for text in texts:
            payload = text.encode()
            parts.append(text_frame_header(len(payload)))
            parts.append(payload)
            written += 1
            size += len(payload)
            if size >= WRITE_BATCH_BYTES:
                transport.write(b"".join(parts))
                parts.clear()
                size = 0
                if not self.writable.is_set():  # over the limit: the rest waits for the client
                    return written
        if parts:
            transport.write(b"".join(parts))
        return written

    def pause_writing(self) -> None:
        """The client is not taking data as fast as it is sent: start the clock."""
        super().pause_writing()
        if self._stall_timer is None:
            self._arm_stall_timer()

    def _arm_stall_timer(self) -> None:
        self._unsent = self._unsent_bytes()
        self._stall_timer = self.loop.call_later(_timeouts()[1], self._check_progress)

    def _unsent_bytes(self) -> int:
        """What the client has not taken yet: our buffer, plus the kernel's where it tells.

        The kernel's send queue can hold megabytes; a slow client draining only that
        would otherwise look stuck, since asyncio's buffer moves only when the queue has
        room for a large write.
        """
        unsent = self.transport.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            # OSError: not a TCP socket, or a system without the ioctl.
            with contextlib.suppress(OSError):
                unsent += _kernel_unsent(sock.fileno())
        return unsent

    def resume_writing(self) -> None:
        """The client reads again: stop the clock."""
        super().resume_writing()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop both clocks, then let uvicorn tell the app the client is gone."""
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        if isinstance(self.transport, _BoundedCloseTransport):
            self.transport.cancel_timer()
        # The scope's `write_text_frames` is a bound method of this object: a reference
        # cycle that would leave the whole connection to the garbage collector. An app
        # that still holds the method keeps it; it raises `ClientDisconnected` from now on.
        extensions = getattr(self, "scope", {}).get("extensions")  # no scope: no upgrade
        if extensions:
            extensions.pop(TEXT_FRAMES_EXTENSION, None)
        super().connection_lost(exc)

    async def send(self, message: Any) -> None:
        """As uvicorn's, except that a close frame does not wait for the client to read.

        uvicorn waits until the buffer drains before writing any frame; a close frame is
        instead queued behind the unsent data at once, so a slow reader still finds it there
        (the stall timer and the bounded close remove a client that never gets to it).
        """
        if (
            message["type"] == "websocket.close"
            and not self.writable.is_set()
            and self.handshake_complete
            and self.initial_response is None
            and not self.close_sent
            and not self.disconnected
            and not self.transport.is_closing()
        ):
            self._queue_close(message.get("code", 1000), message.get("reason") or "")
            return
        await super().send(message)

    def _queue_close(self, code: int, reason: str) -> None:
        # uvicorn's own steps for an app's close, minus the wait.
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)

    def _check_progress(self) -> None:
        self._stall_timer = None
        if self._unsent_bytes() < self._unsent:
            # Slow, not stuck: while paused nothing is added (the app waits for the
            # buffer), so less unsent data means the client took some. Its memory stays
            # bounded by what was unsent at the pause, and its session by MAX_CONNECTIONS.
            self._arm_stall_timer()
            return
        logger.warning(
            "client %s stopped reading: %d bytes unsent for %.1f s; connection aborted",
            ":".join(map(str, self.client or ("?",))),
            self.transport.get_write_buffer_size(),
            _timeouts()[1],
        )
        self.transport.abort()
