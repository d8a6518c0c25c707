"""The chaos proxy breaks connections exactly the ways it says (tests of the test tool)."""

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from .chaos_proxy import ChaosProxy

WAIT = 5.0


class _Echo(socketserver.BaseRequestHandler):
    """Answers every chunk with the server's name and the chunk."""

    def handle(self) -> None:
        name: bytes = self.server.name  # type: ignore[attr-defined]
        while data := self.request.recv(4096):
            self.request.sendall(name + data)


@pytest.fixture
def echoes() -> Iterator[list[int]]:
    """Two echo servers, named A and B; their ports."""
    servers = []
    for name in (b"A", b"B"):
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
        server.daemon_threads = True
        server.name = name  # type: ignore[attr-defined]
        # A short poll: `shutdown` waits for it.
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
    yield [server.server_address[1] for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(echoes: list[int]) -> Iterator[ChaosProxy]:
    with ChaosProxy(echoes) as running:
        yield running


def connect(proxy: ChaosProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=WAIT)
    return sock


def reset_seen(sock: socket.socket) -> None:
    """Use `sock` until the reset shows (it may only surface on the second call)."""
    sock.sendall(b"2")
    if not sock.recv(4096):
        raise AssertionError("a FIN, not a reset")
    sock.sendall(b"3")


def ask(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(4096)


def test_forwards_to_the_current_upstream(proxy: ChaosProxy) -> None:
    with connect(proxy) as sock:
        assert ask(sock, b"hello") == b"Ahello"
    assert proxy.counts == {"reset": 0, "blackhole": 0, "latency": 0, "switch": 0}


def test_switch_sends_new_connections_to_the_other_upstream(proxy: ChaosProxy) -> None:
    with connect(proxy) as before:
        assert ask(before, b"w") == b"Aw"
        proxy.switch_to(1)
        with connect(proxy) as after:
            assert ask(after, b"x") == b"Bx"
        assert ask(before, b"y") == b"Ay"  # an open connection stays where it is
    assert proxy.counts["switch"] == 1
    with pytest.raises(IndexError):
        proxy.switch_to(2)


def test_reset_all_resets_every_open_connection(proxy: ChaosProxy) -> None:
    socks = [connect(proxy) for _ in range(3)]
    for sock in socks:
        assert ask(sock, b"1") == b"A1"
    assert proxy.reset_all() == 3
    for sock in socks:
        with sock, pytest.raises(ConnectionResetError):
            reset_seen(sock)
    assert proxy.counts["reset"] == 1
    with connect(proxy) as fresh:  # the proxy itself carries on
        assert ask(fresh, b"4") == b"A4"


def test_blackhole_drops_bytes_and_closes_nothing(proxy: ChaosProxy) -> None:
    with connect(proxy) as old:
        assert ask(old, b"1") == b"A1"
        proxy.blackhole(True)
        with connect(proxy) as new:
            for sock in (old, new):
                sock.settimeout(0.5)
                sock.sendall(b"lost")
                with pytest.raises(TimeoutError):
                    sock.recv(4096)  # nothing comes back, and nothing is closed
        proxy.blackhole(False)
        # The stream lost bytes: it stays dead rather than deliver the rest as garbage.
        old.sendall(b"2")
        with pytest.raises(TimeoutError):
            old.recv(4096)
    with connect(proxy) as fresh:
        assert ask(fresh, b"3") == b"A3"
    assert proxy.counts["blackhole"] == 1


def test_latency_delays_every_chunk_in_order(proxy: ChaosProxy) -> None:
    with connect(proxy) as sock:
        proxy.set_latency(0.2)
        started = time.monotonic()
        assert ask(sock, b"1") == b"A1"
        # Both directions are delayed: a lower bound, which a slow machine cannot break.
        assert time.monotonic() - started >= 0.4
        proxy.set_latency(0)
        sock.sendall(b"a")
        sock.sendall(b"b")
        received = b""
        while not received.endswith(b"b"):  # one echo or two, as TCP chunks them
            received += sock.recv(4096)
        assert received.replace(b"A", b"") == b"ab"
    assert proxy.counts["latency"] == 1


def test_an_upstream_that_is_down_gets_the_connection_refused(echoes: list[int]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]
    with (
        ChaosProxy([dead_port]) as proxy,
        pytest.raises(ConnectionResetError),  # at the connect already, or at the first use
        connect(proxy) as sock,
    ):
        reset_seen(sock)
