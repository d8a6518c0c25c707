"""Scale in one process: ``python -m bench scale`` (issue 18, part 3).

N concurrent authenticated sessions (10,000 by default; the machine's file limit is 20,000)
on one server process, the client in a second process on its own core:

- connect them all (50 handshakes at a time, each session proving its token with one echo):
  the time it takes, and the server's RSS growth per session, for the generated service and
  the bare endpoint, each in a fresh process;
- fan-out to a room of N: one publisher, N subscribers, 8 messages in flight, with the
  client and checks of ``python -m bench fanout``, for the generated service (memory
  broker) and the raw ``websockets.broadcast()`` ceiling (the bare endpoint has no rooms).

One round each: this part is about what fits and what it costs, not a close comparison.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.peer_fanout import Contender, Run, Sizes, client_run
from bench.servers import Pinning, ServerSpec, idle_sessions, running
from bench.stats import markdown_table
from bench.ws_bench import log

IDLE_TIMEOUT = 300.0
FANOUT_WINDOW = 8
FANOUT_SECONDS = 20.0


@dataclass(frozen=True)
class ScaleRow:
    """One server's figures (None where it was not measured)."""

    label: str
    connect_s: float | None = None
    kib_per_session: float | None = None
    fanout: Run | None = None


def run_scale(
    specs: Mapping[str, ServerSpec],
    pinning: Pinning,
    logdir: Path,
    sessions: int,
    messages: int,
) -> list[ScaleRow]:
    """Measure the generated service and the bare endpoint (sessions), and fan-out to N."""
    rows = []
    sizes = Sizes(sessions, (FANOUT_WINDOW,), messages, FANOUT_SECONDS, 0.0, 0.0, 1)
    labels = {"generated": "generated service", "bare": "bare FastAPI endpoint"}
    for key, label in labels.items():
        with running(specs[key], pinning, logdir) as server:
            idle = idle_sessions(server, sessions, pinning, IDLE_TIMEOUT)
        kib = (idle.after_kib - idle.before_kib) / sessions
        log(f"scale {key}: {sessions:,} sessions in {idle.connect_s:.1f} s, {kib:.1f} KiB each")
        fanout = None
        if key == "generated":
            fanout = fanout_run(Contender(key, specs[key], "generated"), sizes, pinning, logdir)
        rows.append(ScaleRow(label, idle.connect_s, kib, fanout))
    raw = specs["raw-broadcast"]
    ceiling = fanout_run(Contender("raw", raw, "plain"), sizes, pinning, logdir)
    rows.append(ScaleRow("raw websockets.broadcast (ceiling)", fanout=ceiling))
    return rows


def fanout_run(contender: Contender, sizes: Sizes, pinning: Pinning, logdir: Path) -> Run:
    """One fan-out run to a room of ``sizes.subscribers`` on a fresh server."""
    with running(contender.spec, pinning, logdir) as server:
        run = client_run(contender, [server], sizes, FANOUT_WINDOW, 0.0, pinning, None)
    log(f"scale fan-out {contender.key}: {run.delivered_per_s:,.0f} deliveries/s")
    return run


def scale_table(rows: list[ScaleRow], sessions: int, messages: int) -> str:
    """The report's markdown."""

    def cell(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    table = markdown_table(
        [
            "server",
            f"time to connect {sessions:,} s",
            "connects/s",
            "RSS per session KiB",
            f"fan-out to {sessions:,}: deliveries/s",
            "server CPU us/delivery",
            "lost",
            "out of order",
        ],
        [
            [
                row.label,
                cell(row.connect_s, ".1f"),
                cell(sessions / row.connect_s if row.connect_s else None, ",.0f"),
                cell(row.kib_per_session, ".1f"),
                cell(row.fanout.delivered_per_s if row.fanout else None, ",.0f"),
                cell(row.fanout.cpu_us_per_msg if row.fanout else None, ".2f"),
                cell(row.fanout.lost if row.fanout else None, "d"),
                cell(row.fanout.out_of_order if row.fanout else None, "d"),
            ]
            for row in rows
        ],
    )
    return (
        f"**Scale in one process**: {sessions:,} concurrent authenticated sessions, the client "
        "in a second process (50 handshakes at a time, each session proves its token with one "
        f"echo); fan-out: one publisher, {sessions:,} subscribers, {FANOUT_WINDOW} messages in "
        f"flight, up to {messages:,} messages or {FANOUT_SECONDS:g} s; one round each, fresh "
        f"processes.\n\n{table}"
    )
