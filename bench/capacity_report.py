"""The capacity benchmark's report: issue 28's goals as a PASS/MISS table, then the figures.

Pure: it formats what `bench.capacity` and `bench.capacity_machine` measured.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.stats import markdown_table, median, verdict

if TYPE_CHECKING:
    from bench.capacity import OneProcess, Sizes

RSS_GOAL = 0.80
CONNECT_GOAL = 0.90
IDLE_PROCESS_GOAL = 0.10
IDLE_MACHINE_GOAL = 0.25
P99_GOAL = 2.0
STREAM = "100 msg/s"


@dataclass
class Measured:
    """Everything one run measured (a part not run stays None)."""

    sizes: "Sizes"
    settings: dict[str, str]
    quick: bool
    one: "OneProcess | None" = None
    machine: dict[str, Any] | None = field(default=None)


def gc_summary(report: dict[str, Any]) -> str:
    """``gen2: 3 times, max 41.2 ms (CPU 40.1)`` etc. for the generations that collected."""
    parts = []
    for generation, stats in report["generations"].items():
        if stats["count"]:
            part = f"gen{generation}: {stats['count']} times, max {stats['max_ms']:.1f} ms"
            if "max_cpu_ms" in stats:
                part += f" (CPU {stats['max_cpu_ms']:.1f})"
            parts.append(part)
    return ", ".join(parts) or "no collection"


def goal_rows(measured: Measured) -> list[list[object]]:
    """One row per goal of issue 28: figure, goal, measured, verdict."""
    sizes = measured.sizes
    rows: list[list[object]] = []
    n = f"{sizes.sessions:,}"
    one = measured.one
    if one is not None and one.service and one.bare:
        service_kib = median([r.kib_per_session for r in one.service])
        bare_kib = median([r.kib_per_session for r in one.bare])
        ratio = service_kib / bare_kib
        rows.append(
            [
                f"RSS per session at {n}, service ÷ bare",
                f"≤ {RSS_GOAL:.2f}",
                f"{ratio:.2f} ({service_kib:.1f} vs {bare_kib:.1f} KiB)",
                verdict(ratio, RSS_GOAL, at_most=True),
            ]
        )
        rates = [b.connect_s / s.connect_s for s, b in zip(one.service, one.bare, strict=True)]
        rate = median(rates)
        rows.append(
            [
                f"connect+auth rate to {n} ÷ bare (median of {len(rates)})",
                f"≥ {CONNECT_GOAL:.2f}",
                f"{rate:.2f}",
                verdict(rate, CONNECT_GOAL, at_most=False),
            ]
        )
    house = one.house if one is not None else {}
    if "idle_core_share" in house:
        share = house["idle_core_share"]
        rows.append(
            [
                f"idle CPU holding {n} sessions",
                f"≤ {IDLE_PROCESS_GOAL:.0%} of a core",
                f"{share:.1%}",
                verdict(share, IDLE_PROCESS_GOAL, at_most=True),
            ]
        )
        ratio = house["fanout_us"] / house["ref_fanout_us"]
        rows.append(
            [
                f"one message to {n}: CPU per delivery ÷ at {sizes.ref_sessions:,}",
                "≤ 1.00",
                f"{ratio:.2f} ({house['fanout_us']:.2f} vs {house['ref_fanout_us']:.2f} us); "
                f"last delivery {house['fanout_s'] * 1000:.0f} ms "
                f"({house['ref_fanout_s'] * 1000:.0f} ms)",
                verdict(ratio, 1.0, at_most=True),
            ]
        )
        p99 = house["stream_full"]["p99_ms"] / house["stream_none"]["p99_ms"]
        rows.append(
            [
                f"echo p99 at {STREAM}, {n} idle ÷ none",
                f"≤ {P99_GOAL:.1f}",
                f"{p99:.2f} ({house['stream_full']['p99_ms']:.2f} vs "
                f"{house['stream_none']['p99_ms']:.2f} ms); GC in the stream: "
                f"{gc_summary(house['gc_stream'])}",
                verdict(p99, P99_GOAL, at_most=True),
            ]
        )
    machine = measured.machine
    if machine is not None:
        m = f"{machine['admitted']:,} over {sizes.workers} workers"
        share = machine["idle_machine_share"]
        rows.append(
            [
                f"idle CPU, {m}",
                f"≤ {IDLE_MACHINE_GOAL:.0%} of the machine",
                f"{share:.1%}",
                verdict(share, IDLE_MACHINE_GOAL, at_most=True),
            ]
        )
        down = machine["shutdown"]
        ok = down["exited"] and down["closed_well"] >= machine["opened"]
        took = "did not exit" if down["seconds"] is None else f"{down['seconds']:.1f} s"
        rows.append(
            [
                f"shutdown, {m} (SIGTERM → every close → exit)",
                f"≤ SHUTDOWN_TIMEOUT ({down['limit_s']:g} s), every close 1001/1012",
                f"{took} (last close after {down['last_close_s']:.1f} s); closes {down['codes']}",
                "PASS" if ok and down["seconds"] <= down["limit_s"] else "MISS",
            ]
        )
    return rows


def figures(measured: Measured) -> list[list[object]]:
    """The figures the issue asks to report, beside the goals."""
    rows: list[list[object]] = []
    one, sizes = measured.one, measured.sizes
    if one is not None and one.service:
        rows.append(
            [
                "one process: time to open every session (service, per round)",
                ", ".join(f"{r.connect_s:.1f} s" for r in one.service),
            ]
        )
        rows.append(
            ["one process: the same, bare", ", ".join(f"{r.connect_s:.1f} s" for r in one.bare)]
        )
    house = one.house if one is not None else {}
    if "rooms_kib_per_session" in house:
        rows.append(
            [
                "what room membership adds per session (1 of 1,000 rooms + shared + ref)",
                f"{house['rooms_kib_per_session']:.2f} KiB",
            ]
        )
        rows.append(
            [
                f"service RSS holding {sizes.sessions:,} in rooms",
                f"{house['rss_kib'] / 1024:.0f} MiB",
            ]
        )
        rows.append(["GC pauses while the sessions open and join", gc_summary(house["gc_ramp"])])
        rows.append(["GC pauses during the fan-outs", gc_summary(house["gc_fanout"])])
        gc_now = house["gc_stream"]
        rows.append(
            [
                "objects the collector tracks at the full house",
                f"{gc_now['tracked_objects']:,} (thresholds {gc_now['threshold']})",
            ]
        )
    machine = measured.machine
    if machine is not None:
        rows.append(
            [
                "machine: sessions opened / admitted (authenticated and joined)",
                f"{machine['opened']:,} / {machine['admitted']:,} of {sizes.machine_sessions:,}"
                + (
                    f"; {machine['refused']:,} refused, the commonest causes: {machine['refusals']}"
                    if machine["refused"]
                    else ""
                ),
            ]
        )
        rows.append(["machine: time to open them", f"{machine['connect_s']:.1f} s"])
        rows.append(
            [
                "machine: time to join the rooms; joins refused with 50010 and sent again",
                f"{machine['join_s']:.1f} s; {machine['join_retries']:,}",
            ]
        )
        rows.append(
            [
                "machine: fan-out to every session, deliveries/s",
                f"{machine['fanout_per_s']:,.0f} (last delivery after "
                f"{machine['fanout_s'] * 1000:.0f} ms, {machine['fanout_us']:.2f} us CPU each, "
                "workers + Redis)",
            ]
        )
        calls = ", ".join(
            f"{name} {rate:,.1f}" for name, rate in machine["redis_calls_per_s"].items()
        )
        rows.append(["machine: Redis calls/s while idle (presence refresh)", calls or "none"])
        rows.append(
            [
                "machine: Redis input while idle",
                f"{machine['redis_in_bytes_per_s'] / 1024:,.1f} KiB/s",
            ]
        )
        rows.append(
            [
                "machine: total RSS (supervisor + workers; Redis)",
                f"{machine['rss_kib'] / 1024:,.0f} MiB; {machine['redis_rss_kib'] / 1024:,.0f} MiB",
            ]
        )
    return rows


def capacity_report(measured: Measured) -> str:
    """The markdown report: sizes and settings, the goals table, the figures."""
    sizes = measured.sizes
    mode = "quick (small sizes: the goals are set for the full ones)" if measured.quick else "full"
    settings = ", ".join(f"{name}={value}" for name, value in measured.settings.items())
    head = (
        f"**Capacity** ({mode}): one process, {sizes.sessions:,} sessions (memory broker, "
        f"{sizes.rounds} alternating service/bare rounds, {sizes.load_processes} load processes); "
        f"machine, {sizes.machine_sessions:,} sessions over {sizes.workers} workers (Redis broker, "
        f"{sizes.machine_processes} load processes). Each session is a user of its own, "
        "authenticated by a static token, in one of 1,000 rooms and a shared room. "
        f"Service settings: {settings}."
    )
    goals = markdown_table(["figure", "goal", "measured", "verdict"], goal_rows(measured))
    more = markdown_table(["figure", "measured"], figures(measured))
    return f"{head}\n\n{goals}\n\n{more}"
