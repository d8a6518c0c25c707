"""What the room permission check costs a chat, measured in-process, side by side.

``python -m bench permissions`` generates the production service and, in one process per
round, drives chats through its ASGI app (the stand-in server of ``bench/app_cost.py``:
no network, only the app is timed) from a token with a five-pattern rights table. Each
round times sessions with the real check and with `User.can` replaced by "always yes",
alternately; the report gives the median of the per-round ratios, with PASS/MISS against
"does not show" (at most 2% on a chat). It also times `User.can` itself: a repeat
decision (a dict lookup) and a first one (matching the patterns).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.app_cost import time_session
from bench.servers import BENCH_TOKEN, GENERATED_PACKAGE, REPO_ROOT, TARGET, generate_service

ROOM = "team:ops"
# Five patterns, the room matching the last: a first decision walks them all.
RIGHTS = {
    "lobby": ["join"],
    "news:*": ["join", "history"],
    "user:*": ["join"],
    "support-*": ["join", "publish"],
    "team:*": ["join", "publish", "history", "presence"],
}
# The check must not show in chat throughput: chat cost with it ÷ without, at most this.
GOAL = 1.02
TIMEOUT = 300.0


async def time_chats(app: Any, messages: int) -> float:
    """Microseconds per chat (the sender's own copy is the reply) in one session."""
    join = json.dumps({"type": "join", "room": ROOM})
    chat = json.dumps({"type": "chat", "room": ROOM, "text": "hello"})
    return await time_session(
        app, TARGET, chat, messages, lambda reply: reply.get("text") == "hello", (join,)
    )


async def measure(messages: int, sessions: int) -> dict[str, Any]:
    """One process's figures: per-chat µs with and without the check, and `User.can` ns."""
    from contextlib import AsyncExitStack
    from importlib import import_module

    app = import_module(f"{GENERATED_PACKAGE}.main").app
    user_class = import_module(f"{GENERATED_PACKAGE}.auth.models").User
    rights_class = import_module(f"{GENERATED_PACKAGE}.permissions").Rights
    real_can = user_class.can

    def always(self: Any, capability: str, room: str) -> bool:
        return True

    checked: list[float] = []
    unchecked: list[float] = []
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        await time_chats(app, min(messages, 1000))  # warm-up
        for index in range(2 * sessions):
            with_check = index % 2 == 0
            user_class.can = real_can if with_check else always
            try:
                timing = await time_chats(app, messages)
            finally:
                user_class.can = real_can
            (checked if with_check else unchecked).append(timing)
    user = user_class(id="bench-user", rights=rights_class(RIGHTS))
    user.can("publish", ROOM)
    repeat = 200_000
    memo_ns = min(timeit.repeat(lambda: user.can("publish", ROOM), number=repeat, repeat=5))
    rights = user.rights
    first_ns = min(
        timeit.repeat(lambda: rights.granted("bench-user", ROOM), number=repeat // 10, repeat=5)
    )
    return {
        "checked_us": min(checked),
        "unchecked_us": min(unchecked),
        "memo_ns": memo_ns / repeat * 1e9,
        "first_ns": first_ns / (repeat // 10) * 1e9,
    }


def run_round(project: Path, messages: int, sessions: int) -> dict[str, Any]:
    """One measuring process on the generated project; its figures."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(project)]),
        "SERVICE_NAME": "chat",
        "AUTH_TOKENS": json.dumps({BENCH_TOKEN: {"user": "bench-user", "rooms": RIGHTS}}),
        "MAX_MESSAGES_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "bench.permissions", "--measure"]
    argv += ["--messages", str(messages), "--sessions", str(sessions)]
    done = subprocess.run(
        argv, cwd=project, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the permission measurement failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def report(rounds: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table, with the ratio's PASS/MISS."""
    ratios = [r["checked_us"] / r["unchecked_us"] for r in rounds]
    ratio = statistics.median(ratios)
    verdict = "PASS" if ratio <= GOAL else "MISS"
    checked = statistics.median(r["checked_us"] for r in rounds)
    memo = statistics.median(r["memo_ns"] for r in rounds)
    first = statistics.median(r["first_ns"] for r in rounds)
    spread = f"{min(ratios):.3f}-{max(ratios):.3f}"
    return "\n".join(
        [
            "| figure | value |",
            "| --- | ---: |",
            f"| in-process cost of a chat, with the check | {checked:.2f} us |",
            f"| with ÷ without the check (goal <= {GOAL}) | {ratio:.3f} ({spread}): {verdict} |",
            f"| `User.can`, a decision already made (dict lookup) | {memo:.0f} ns |",
            f"| `User.can`, a room's first decision (5 patterns) | {first:.0f} ns |",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench permissions``: measure, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench permissions", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="measuring processes")
    parser.add_argument("--messages", type=int, default=20000, help="chats per session")
    parser.add_argument("--sessions", type=int, default=3, help="sessions per variant a round")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.messages, args.sessions = 2, 3000, 2
    if args.measure:
        import uvloop

        print(json.dumps(uvloop.run(measure(args.messages, args.sessions))))
        return 0
    with tempfile.TemporaryDirectory(prefix="fastgen-bench-") as tmp:
        project = generate_service(Path(tmp))
        rounds = [run_round(project, args.messages, args.sessions) for _ in range(args.rounds)]
    print("Room permission check, per chat (in-process, side by side in each round):")
    print(report(rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
