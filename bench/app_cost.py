"""The application layer's own cost per echo, with no server and no network in the way.

Each ASGI app (the generated service and the bare endpoint) runs in a fresh process, on
uvloop, under a stand-in server that answers every reply with the next request at once:
what is timed is only the app (middleware, routing, session, handler, Starlette), the part
the template decides. On a shared machine this is much steadier than a real server's
messages per second, where kernel and client costs (the same for both) dilute the
difference. The two apps alternate, one process per measurement.

``python -m bench.app_cost --app MODULE:ATTR --messages N --repeat R`` is the process that
measures; `run_app_cost` drives the alternation.
"""

import argparse
import asyncio
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any

from bench.client import PAYLOAD  # the frame the network client sends
from bench.servers import REPO_ROOT, SERVER_KEYS, TARGET, ServerSpec
from bench.ws_bench import rotated

APP_KEYS = tuple(key for key in SERVER_KEYS if key != "raw")  # raw websockets is no ASGI app
TIMEOUT = 120.0


def websocket_scope(target: str) -> dict[str, Any]:
    """The ASGI scope of a WebSocket handshake to `target` (path and query string)."""
    path, _, query = target.partition("?")
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "scheme": "ws",
        "http_version": "1.1",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
        "state": {},
        "extensions": {"websocket.http.response": {}},
    }


async def run_until(app_call: Coroutine[Any, Any, None], event: asyncio.Event) -> asyncio.Task:
    """Start the app's session and wait until `event` is set or the app returns.

    Raises what the app raised if it failed first; returns the (maybe running) task.
    """
    session = asyncio.create_task(app_call)
    waiting = asyncio.create_task(event.wait())
    try:
        async with asyncio.timeout(TIMEOUT):
            await asyncio.wait({session, waiting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
    if not event.is_set():
        session.result()  # the app ended early: raise what it raised
    return session


async def time_echoes(app: Any, target: str, messages: int) -> float:
    """Microseconds per echo for one session of `messages` request/reply pairs."""
    text = json.dumps(PAYLOAD)
    expected = PAYLOAD["data"]
    return await time_session(
        app, target, text, messages, lambda reply: reply.get("data") == expected
    )


async def time_session(
    app: Any,
    target: str,
    text: str,
    messages: int,
    is_reply: Callable[[dict[str, Any]], bool],
    prelude: Sequence[str] = (),
) -> float:
    """Microseconds per request for one session of `messages` request/reply pairs.

    The `prelude` frames go first, one reply each, untimed (e.g. joining a room); the
    first reply to `text` must satisfy `is_reply`.
    """
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    replies = -len(prelude)
    done = asyncio.Event()
    started = 0.0

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: Mapping[str, Any]) -> None:
        nonlocal replies, started
        if message["type"] == "websocket.close":
            raise RuntimeError(f"the app closed the session: {dict(message)}")
        if message["type"] != "websocket.send":
            return
        if replies == 0 and not is_reply(json.loads(message["text"])):
            raise RuntimeError(f"not the expected reply: {message['text']}")
        replies += 1
        if replies == 0:  # the prelude is answered: the timed part starts
            started = time.perf_counter()
            inbox.put_nowait({"type": "websocket.receive", "text": text})
        elif replies >= messages:
            done.set()
        elif replies > 0:
            inbox.put_nowait({"type": "websocket.receive", "text": text})

    inbox.put_nowait({"type": "websocket.connect"})
    for frame in prelude:
        inbox.put_nowait({"type": "websocket.receive", "text": frame})
    if not prelude:
        started = time.perf_counter()
        inbox.put_nowait({"type": "websocket.receive", "text": text})
    session = await run_until(app(websocket_scope(target), receive, send), done)
    elapsed = time.perf_counter() - started
    if not done.is_set():
        raise RuntimeError(f"the session ended after {replies} of {messages} replies")
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await session
    return elapsed / messages * 1e6


async def connect_once(app: Any, target: str, text: str, expected: Any) -> None:
    """One handshake: connect, accept, one echo, the client's close, the app's return."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    replied = asyncio.Event()
    accepted = False

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: Mapping[str, Any]) -> None:
        nonlocal accepted
        kind = message["type"]
        if kind == "websocket.accept":
            accepted = True
        elif kind == "websocket.send" and accepted:
            if json.loads(message["text"]).get("data") != expected:
                raise RuntimeError(f"not the expected reply: {message['text']}")
            replied.set()
        else:
            raise RuntimeError(f"the app refused the handshake: {dict(message)}")

    inbox.put_nowait({"type": "websocket.connect"})
    inbox.put_nowait({"type": "websocket.receive", "text": text})
    session = await run_until(app(websocket_scope(target), receive, send), replied)
    if not replied.is_set():
        raise RuntimeError("the session ended before its first reply")
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await session


async def time_connects(app: Any, target: str, sessions: int) -> float:
    """Microseconds per handshake over `sessions` sessions, one after the other."""
    text = json.dumps(PAYLOAD)
    expected = PAYLOAD["data"]
    started = time.perf_counter()
    for _ in range(sessions):
        await connect_once(app, target, text, expected)
    return (time.perf_counter() - started) / sessions * 1e6


async def measure(
    app_path: str, target: str, messages: int, repeat: int, *, connects: bool = False
) -> list[float]:
    """Load the app, run its lifespan, and time `repeat` sessions (after one warm-up).

    With `connects`, each timing is `messages` handshakes (`time_connects`) instead of
    one session of `messages` echoes.
    """
    module, _, attribute = app_path.partition(":")
    app = getattr(importlib.import_module(module), attribute)
    timed = time_connects if connects else time_echoes
    async with AsyncExitStack() as stack:
        lifespan = getattr(getattr(app, "router", None), "lifespan_context", None)
        if lifespan is not None:
            await stack.enter_async_context(lifespan(app))
        await timed(app, target, min(messages, 1000))
        return [await timed(app, target, messages) for _ in range(repeat)]


def run_app_cost(
    specs: Mapping[str, ServerSpec],
    rounds: int,
    messages: int,
    cpu: int | None,
    *,
    connects: bool = False,
) -> dict[str, list[float]]:
    """Per app, the best of three sessions in each of `rounds` alternating processes.

    With `connects`, `messages` handshakes per timing instead of echoes (`time_connects`).
    """
    keys = [key for key in APP_KEYS if key in specs]
    results: dict[str, list[float]] = {key: [] for key in keys}
    for index in range(rounds):
        for key in rotated(keys, index):
            spec = specs[key]
            if spec.asgi_app is None:
                raise ValueError(f"server {key!r} runs no ASGI app")
            argv = [sys.executable, "-m", "bench.app_cost", "--app", spec.asgi_app]
            argv += ["--messages", str(messages), "--repeat", "3"]
            if connects:
                argv.append("--connects")
            if cpu is not None:
                argv = ["taskset", "-c", str(cpu), *argv]
            done = subprocess.run(
                argv,
                cwd=spec.cwd,
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), str(spec.cwd)])),
                    **spec.env,
                },
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"app cost of {key} failed:\n{done.stderr[-3000:]}")
            results[key].append(min(json.loads(done.stdout)["us_per_msg"]))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    """Measure one app and print ``{"us_per_msg": [...]}``."""
    parser = argparse.ArgumentParser(prog="python -m bench.app_cost", description=__doc__)
    parser.add_argument("--app", required=True, help="MODULE:ATTRIBUTE of the ASGI app")
    parser.add_argument("--target", default=TARGET, help="path and query string")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--connects",
        action="store_true",
        help="time MESSAGES handshakes (connect, accept, one echo, close) instead of echoes",
    )
    args = parser.parse_args(argv)
    import uvloop

    timings = uvloop.run(
        measure(args.app, args.target, args.messages, args.repeat, connects=args.connects)
    )
    print(json.dumps({"us_per_msg": timings}))


if __name__ == "__main__":
    main()
