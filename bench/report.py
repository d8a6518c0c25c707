"""The report: machine description, results table, goals with PASS/MISS, and the plot."""

import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.gen_speed import GenResults
from bench.servers import LABELS, SERVER_KEYS, Pinning
from bench.stats import Spread, markdown_table, median, paired_ratios, verdict
from bench.ws_bench import WsResults

# Issue 18: the handshake path (middleware, dependency, authorizer) at 90% of bare's rate.
CONNECT_GOAL = 0.90
PACKAGES = ("fastapi", "starlette", "uvicorn", "websockets", "pydantic", "uvloop", "httptools")


@dataclass(frozen=True)
class Settings:
    """The run's parameters, as the report states them."""

    conns: int
    msgs: int
    rounds: int
    handshakes: int
    log_level: str
    command: str


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_description(pinning: Pinning) -> str:
    """CPU, cores, OS, Python and the versions of the packages that matter."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return (
        f"{cpu_model()}, {os.cpu_count()} cores ({pinning.describe()}); "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        + ", ".join(versions)
    )


def ws_table(ws: WsResults) -> str:
    """Per-server medians: throughput, latency, handshake rate, idle memory, errors."""
    rows = []
    for key in SERVER_KEYS:
        if key not in ws.echo:
            continue
        runs = ws.echo[key]
        rows.append(
            [
                LABELS[key],
                median([r.msgs_per_s for r in runs]),
                median([r.p50_ms for r in runs]),
                median([r.p99_ms for r in runs]),
                median([r.server_cpu_us_per_msg for r in runs]),
                median(ws.handshakes_per_s[key]),
                ws.idle_kib_per_session(key),
                sum(r.errors for r in runs),
            ]
        )
    return markdown_table(
        [
            "server",
            "msgs/s",
            "p50 ms",
            "p99 ms",
            "server CPU us/msg",
            "connect+auth /s",
            f"KiB per idle session ({ws.idle_sessions:,})",
            "error replies",
        ],
        rows,
    )


def baseline_rows(ws: WsResults) -> list[list[object]]:
    """With ``--baseline``: the same ratios against the code before, measured side by side."""
    before = ws.echo.get("baseline")
    if not before:
        return []
    after = ws.echo["generated"]
    pairs = [
        (
            "throughput generated / baseline",
            paired_ratios([r.msgs_per_s for r in after], [r.msgs_per_s for r in before]),
        ),
        (
            "p99 latency generated / baseline",
            paired_ratios([r.p99_ms for r in after], [r.p99_ms for r in before]),
        ),
        (
            "connect+auth rate generated / baseline",
            paired_ratios(ws.handshakes_per_s["generated"], ws.handshakes_per_s["baseline"]),
        ),
    ]
    if ws.app_us.get("baseline") and ws.app_us.get("generated"):
        pairs.append(
            (
                "app layer alone: baseline's time per echo / generated's",
                paired_ratios(ws.app_us["baseline"], ws.app_us["generated"]),
            )
        )
    return [
        [name, Spread.of(ratios).format(), "(before/after, no goal)", "-"] for name, ratios in pairs
    ]


def goals_table(ws: WsResults | None, gen: GenResults | None) -> str:
    """Each ratio the issue sets a goal for, measured, with PASS/MISS."""
    rows: list[list[object]] = []
    if ws is not None:
        generated, bare, raw = (ws.echo[key] for key in ("generated", "bare", "raw"))
        throughput = Spread.of(
            paired_ratios([r.msgs_per_s for r in generated], [r.msgs_per_s for r in bare])
        )
        ceiling = Spread.of(
            paired_ratios([r.msgs_per_s for r in generated], [r.msgs_per_s for r in raw])
        )
        p99 = Spread.of(paired_ratios([r.p99_ms for r in generated], [r.p99_ms for r in bare]))
        cpu = Spread.of(
            paired_ratios(
                [r.server_cpu_us_per_msg for r in bare],
                [r.server_cpu_us_per_msg for r in generated],
            )
        )
        handshakes = Spread.of(
            paired_ratios(ws.handshakes_per_s["generated"], ws.handshakes_per_s["bare"])
        )
        per_session = ws.idle_kib_per_session("generated")
        added = per_session - ws.idle_kib_per_session("bare")
        app_rows: list[list[object]] = []
        if ws.app_us.get("generated") and ws.app_us.get("bare"):
            app = Spread.of(paired_ratios(ws.app_us["bare"], ws.app_us["generated"]))
            app_rows.append(
                [
                    "app layer alone, in process: bare's time per echo / generated's "
                    f"({median(ws.app_us['generated']):.2f} us vs "
                    f"{median(ws.app_us['bare']):.2f} us)",
                    app.format(),
                    "(no server, no network: what the template decides)",
                    "-",
                ]
            )
        rows += [
            [
                "throughput generated / bare",
                throughput.format(),
                ">= 0.95",
                verdict(throughput.median, 0.95, at_most=False),
            ],
            [
                "CPU efficiency generated / bare (bare's CPU per message / generated's)",
                cpu.format(),
                "(steadier view of the line above)",
                "-",
            ],
            *app_rows,
            ["throughput generated / raw websockets", ceiling.format(), "(no goal)", "-"],
            [
                "p99 latency generated / bare",
                p99.format(),
                "<= 1.10",
                verdict(p99.median, 1.10, at_most=True),
            ],
            [
                f"idle memory per session, generated ({ws.idle_sessions:,} sessions)",
                f"{per_session:.1f} KiB",
                "<= 20 KiB",
                verdict(per_session, 20, at_most=True),
            ],
            [
                "idle memory the template adds per session (generated - bare)",
                f"{added:+.1f} KiB",
                "(no goal)",
                "-",
            ],
            [
                "connect+auth rate generated / bare (issue 18)",
                handshakes.format(),
                f">= {CONNECT_GOAL:.2f}",
                verdict(handshakes.median, CONNECT_GOAL, at_most=False),
            ],
        ]
        rows += baseline_rows(ws)
    if gen is not None:
        help_s = median(gen.help_s)
        new_ratio = Spread.of(paired_ratios(gen.fastgen_new_s, gen.copier_copy_s))
        rows += [
            [
                f"`fastgen --help` wall time (median of {len(gen.help_s)})",
                f"{help_s:.3f} s",
                "< 0.3 s",
                verdict(help_s, 0.3, at_most=True),
            ],
            [
                f"`fastgen new` / `copier copy` ({median(gen.fastgen_new_s):.2f} s vs "
                f"{median(gen.copier_copy_s):.2f} s; first runs, where fastgen builds its "
                f"template cache if the template changed: {gen.first_new_s:.2f} s vs "
                f"{gen.first_copy_s:.2f} s)",
                new_ratio.format(),
                "<= 1.10",
                verdict(new_ratio.median, 1.10, at_most=True),
            ],
        ]
    return markdown_table(["goal", "measured", "target", "verdict"], rows)


def render(
    settings: Settings, pinning: Pinning, ws: WsResults | None, gen: GenResults | None
) -> str:
    """The whole markdown report."""
    parts = [
        "### fastgen benchmark",
        "",
        f"Machine: {machine_description(pinning)}.",
        "",
        f"Command: `{settings.command}`",
        "",
    ]
    if ws is not None:
        client_share = max(r.client_cpu_share for runs in ws.echo.values() for r in runs)
        parts += [
            f"WebSocket echo: {settings.conns} connections x {settings.msgs} messages each, "
            f"closed loop, {settings.rounds} alternating round(s) (medians; ratios are medians "
            "of per-round ratios, min-max in brackets); uvicorn `--ws websockets-sansio "
            f"--ws-per-message-deflate false --no-access-log --log-level {settings.log_level}`, "
            "the generated service with its own subclasses of the same protocols instead "
            "(`--ws`/`--http <package>.protocols:...`, as `python -m <package>` runs it); "
            f"{settings.handshakes:,} connect+auth+close per connect round. The client used "
            f"at most {client_share:.0%} of its core (below 100%: the servers, not the client, "
            "set the pace).",
            "",
            ws_table(ws),
            "",
        ]
    parts += [goals_table(ws, gen), ""]
    return "\n".join(parts)


def plot(ws: WsResults, path: Path, machine: str) -> None:
    """Throughput and p99 against connections for each server, as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for key in SERVER_KEYS:
        points = sorted(ws.sweep.get(key, {}).items())
        if not points:
            continue
        conns = [n for n, _ in points]
        left.plot(
            conns,
            [median([r.msgs_per_s for r in runs]) for _, runs in points],
            "o-",
            label=LABELS[key],
        )
        right.plot(
            conns, [median([r.p99_ms for r in runs]) for _, runs in points], "o-", label=LABELS[key]
        )
    ticks = sorted({n for by_conns in ws.sweep.values() for n in by_conns})
    for axis, title, unit in ((left, "Throughput", "messages/s"), (right, "p99 latency", "ms")):
        axis.set_xscale("log")
        axis.set_xticks(ticks, [str(n) for n in ticks])
        axis.minorticks_off()
        axis.set_xlabel("connections")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.set_ylim(bottom=0)
        axis.legend()
    fig.suptitle("JSON echo over WebSocket, closed loop (python -m bench)", fontsize=11)
    fig.text(0.5, 0.005, machine, ha="center", fontsize=7, wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"[bench] plot written to {path}", file=sys.stderr)
