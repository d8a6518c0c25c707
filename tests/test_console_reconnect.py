"""The console on a link that breaks: it reconnects, resumes its rooms, and says so (Chromium).

The browser reaches the service through a TCP relay on loopback that the test cuts at will,
so the page sees what a user's would: connections that drop, then a service that is back.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.services import SERVICE_PREFIXES, free_port, wait_until_healthy

# The browser and the generated project come from the console's own tests.
from tests.test_console import (  # noqa: F401
    PUBLISH_KEY,
    chromium_browser,
    console_pages,
    project,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

ROOM = "console-reconnect"
# Longer than the client's backoff can grow during one test (0.5 s, doubling, 20 s at most).
WAIT_MS = 30_000


class Relay:
    """Forwards loopback TCP connections to a service port; can refuse and reset them all."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.refusing = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.refusing:
                self._reset(downstream)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            except OSError:
                self._reset(downstream)
                continue
            with self._lock:
                self._open |= {downstream, upstream}
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _reset(connection: socket.socket) -> None:
        # Linger 0: close sends RST, as a broken network or a crashed host would.
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        connection.close()

    def reset_all(self) -> int:
        """RST every open connection; returns how many there were."""
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            with suppress(OSError):
                self._reset(connection)
        return len(connections)

    def close(self) -> None:
        self._listener.close()
        self.reset_all()


@contextmanager
def service(folder: Path, log: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The project served on a port of its own, for the service the relay leads to."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_PREFIXES)}
    env = {
        **clean,
        "PORT": str(port),
        "PUBLISH_API_KEYS": json.dumps([PUBLISH_KEY]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", folder.name],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/api/health", process, log)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def publish_event(port: int, text: str) -> None:
    """POST an event to the room, straight to the service (not through the relay)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/rooms/{ROOM}/messages",
        data=json.dumps({"data": {"text": text}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {PUBLISH_KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


@pytest.fixture
def console_through(
    chromium_browser: "Browser",  # noqa: F811
) -> Iterator[Callable[[Relay], "Page"]]:
    with console_pages(chromium_browser) as open_page:
        yield lambda relay: open_page(f"http://127.0.0.1:{relay.port}")


def join_room(page: "Page") -> None:
    from playwright.sync_api import expect

    expect(page.locator("#type option").first).to_be_attached()
    page.click("#connect")
    expect(page.locator("#state")).to_have_text("connected")
    page.fill("#payload", json.dumps({"type": "join", "room": ROOM}))
    page.click("#send")
    expect(page.locator("#log li.in").last).to_contain_text('"type":"joined"')


def test_a_cut_connection_reconnects_and_shows_the_missed_messages(
    project: Path,  # noqa: F811
    console_through: Callable[[Relay], "Page"],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    with service(project, tmp_path / "service.log") as (port, _):
        relay = Relay(port)
        try:
            page = console_through(relay)
            join_room(page)
            publish_event(port, "seen live")
            expect(page.locator("#log li.in.event")).to_have_count(1)
            relay.refusing = True  # the page cannot come back until the test says so
            assert relay.reset_all() >= 1
            expect(page.locator("#state")).to_contain_text("reconnecting", timeout=WAIT_MS)
            for number in range(3):
                publish_event(port, f"missed {number}")
            relay.refusing = False
            expect(page.locator("#state")).to_have_text("connected", timeout=WAIT_MS)
            missed = page.locator("#log li.in.missed")
            expect(missed).to_have_count(3, timeout=WAIT_MS)
            for number in range(3):
                expect(missed.nth(number)).to_contain_text(f"missed {number}")
            expect(missed.first.locator(".badge")).to_have_text("missed")
            resumed = page.locator("#log li.resumed")
            expect(resumed).to_contain_text(f"{ROOM}: resumed at offset 1, 3 missed message(s)")
            expect(page.locator("#log li.close-bad").last).to_contain_text("code 1006")
            # Each message once: the live one, then the three missed ones.
            expect(page.locator("#log li.in.event:not(.missed)")).to_have_count(1)
        finally:
            relay.close()


def test_a_restarted_service_is_reconnected_and_its_lost_history_shown_as_a_reset(
    project: Path,  # noqa: F811
    console_through: Callable[[Relay], "Page"],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    log = tmp_path / "service.log"
    with service(project, log) as (port, process):
        relay = Relay(port)
        try:
            page = console_through(relay)
            join_room(page)
            publish_event(port, "before the restart")
            expect(page.locator("#log li.in.event")).to_have_count(1)
            relay.refusing = True
            process.terminate()  # SIGTERM: uvicorn closes the sockets with 1012, then exits
            process.wait(timeout=30)
            expect(page.locator("#state")).to_contain_text("reconnecting", timeout=WAIT_MS)
            close = page.locator("#log li.close-bad").last
            expect(close).to_contain_text("code 1012 service restart")
            # A new process (a memory broker: a new epoch, no history) behind the same address.
            with service(project, log) as (new_port, _):
                relay.upstream = new_port
                relay.refusing = False
                expect(page.locator("#state")).to_have_text("connected", timeout=WAIT_MS)
                reset = page.locator("#log li.sys.error").last
                expect(reset).to_contain_text(f"{ROOM}: messages were lost (not recovered)")
                expect(reset.locator(".badge")).to_have_text("reset")
                publish_event(new_port, "after the restart")
                expect(page.locator("#log li.in.event").last).to_contain_text("after the restart")
        finally:
            relay.close()
