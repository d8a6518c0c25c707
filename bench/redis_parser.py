"""What redis-py's reply parser costs the Redis broker per message: its own, or hiredis.

``python -m bench redis-parser [--messages N] [--rounds R]`` starts a throwaway
``redis-server``, then, round by round, alternating the parsers: subscribes one pub/sub
connection, publishes N chat-sized messages while it does not read, and times (process CPU)
``PubSub.get_message`` until it has them all: the loop the generated Redis broker runs in
every worker for every room message (`RedisBroker`'s reader). hiredis is a compiled
package the generated projects do not depend on; without it in this venv only redis-py's
own parser is measured, and the report says so. Reported, never asserted.
"""

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from statistics import median

import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser
from redis.utils import HIREDIS_AVAILABLE

from bench.fanout import redis_server
from bench.ws_bench import rotated

CHANNEL = "bench-room"
# A chat frame as the broker publishes it (148 bytes).
PAYLOAD = json.dumps(
    {"type": "chat", "room": "lobby", "seq": 1, "from": "bench-user", "text": "x" * 60, "ts": 1.0}
)
PARSERS = {"redis-py": _AsyncRESP2Parser, "hiredis": _AsyncHiredisParser}
READ_TIMEOUT = 5.0  # for one message that Redis already holds


async def time_reads(url: str, parser: type, messages: int) -> float:
    """Microseconds of CPU per `PubSub.get_message` for `messages` buffered messages."""
    reader = aioredis.Redis(
        connection_pool=aioredis.ConnectionPool.from_url(url, parser_class=parser)
    )
    writer = aioredis.Redis.from_url(url)
    pubsub = reader.pubsub()
    try:
        await pubsub.subscribe(CHANNEL)
        while await pubsub.get_message(timeout=READ_TIMEOUT) is None:
            pass  # the subscribe confirmation
        pipe = writer.pipeline(transaction=False)
        for _ in range(messages):
            pipe.publish(CHANNEL, PAYLOAD)
        if sum(await pipe.execute()) != messages:
            raise RuntimeError("the subscriber missed a publish")
        received = 0
        started = time.process_time()
        while received < messages:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_TIMEOUT)
            if message is None:
                raise RuntimeError(f"only {received} of {messages} messages arrived")
            received += 1
        return (time.process_time() - started) / messages * 1e6
    finally:
        await pubsub.aclose()
        await reader.aclose()
        await writer.aclose()


async def measure(
    url: str, parsers: Sequence[str], messages: int, rounds: int
) -> dict[str, list[float]]:
    """Per parser, one timing per round, the parsers alternating."""
    results: dict[str, list[float]] = {name: [] for name in parsers}
    for index in range(rounds):
        for name in rotated(list(parsers), index):
            results[name].append(await time_reads(url, PARSERS[name], messages))
    return results


def report(results: dict[str, list[float]], messages: int, rounds: int) -> str:
    """The markdown report: median and range per parser, and what was left out."""
    lines = [
        f"PubSub.get_message, {messages:,} buffered messages of {len(PAYLOAD)} bytes, "
        f"{rounds} alternating round(s), process CPU per message:",
        "",
        "| parser | us per message (median) | min-max |",
        "| --- | ---: | --- |",
    ]
    for name, timings in results.items():
        lines.append(f"| {name} | {median(timings):.1f} | {min(timings):.1f}-{max(timings):.1f} |")
    if "hiredis" not in results:
        lines += ["", "hiredis is not installed in this venv: `pip install hiredis` to compare."]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """``python -m bench redis-parser``: print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench redis-parser", description=__doc__)
    parser.add_argument("--messages", type=int, default=20000, help="messages per timing (20000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (5)")
    args = parser.parse_args(argv)
    parsers = [name for name in PARSERS if name != "hiredis" or HIREDIS_AVAILABLE]
    with redis_server() as (url, _):
        results = asyncio.run(measure(url, parsers, args.messages, args.rounds))
    print(report(results, args.messages, args.rounds))
    return 0
