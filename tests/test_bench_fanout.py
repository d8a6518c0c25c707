"""The fan-out benchmark against the peers: the client's checks, the ratios and verdicts.

Nothing here is timed; the peers' packages (the ``bench`` extra) are needed only by the
tests of the fixes, which skip without them.
"""

import asyncio
import importlib.util
import json
import subprocess
from xml.etree import ElementTree

import pytest

from bench import peer_fanout
from bench.cli import fanout_sizes, parse_fanout_args
from bench.fanout_client import DIALECTS, MARK, PROBE_SEQ, DeliveryTracker
from bench.peer_fanout import (
    FULL,
    QUICK,
    SERVER_NAMES,
    ModeResults,
    Run,
    best_peer_ratios,
    chart_groups,
    contenders,
    goal_rows,
    report,
)
from bench.scale import ScaleRow, scale_table
from bench.servers import BENCH_TOKEN, GENERATED_PACKAGE, server_specs
from bench.svg import bar_chart
from tests.conftest import unavailable


def tracker_with(sent: int, subscribers: int = 2) -> DeliveryTracker:
    tracker = DeliveryTracker(subscribers)
    for seq in range(1, sent + 1):
        tracker.sent(seq, 1000 + seq)
    return tracker


def test_in_order_deliveries_complete_messages_and_free_the_window():
    completed = []
    tracker = DeliveryTracker(2, lambda: completed.append(True))
    tracker.sent(1, 1001)
    tracker.sent(2, 1002)
    assert tracker.in_flight() == 2
    tracker.received(0, 1, 1001, 2001)
    tracker.received(1, 1, 1001, 3001)
    assert tracker.in_flight() == 1
    assert completed == [True]
    assert tracker.delivered == 2
    assert list(tracker.latencies_ns) == [1000, 2000]
    assert tracker.lost() == 2
    assert (tracker.out_of_order, tracker.corrupt, tracker.unknown) == (0, 0, 0)


def test_a_late_copy_is_delivered_out_of_order_and_a_repeat_is_not_delivered_again():
    tracker = tracker_with(3)
    tracker.received(0, 2, 1002, 5000)
    tracker.received(0, 1, 1001, 5000)  # older than the last one this subscriber got
    tracker.received(0, 2, 1002, 5000)  # a repeat
    tracker.received(1, 1, 1001, 5000)  # another subscriber has its own order
    assert tracker.out_of_order == 2
    assert tracker.delivered == 3
    assert tracker.lost() == 3 * 2 - 3
    assert tracker.completed == 1  # message 1 reached both subscribers, late or not


def test_a_gap_is_counted_as_lost_not_as_out_of_order():
    tracker = tracker_with(3, subscribers=1)
    tracker.received(0, 1, 1001, 5000)
    tracker.received(0, 3, 1003, 5000)
    assert tracker.out_of_order == 0
    assert tracker.lost() == 1


def test_a_wrong_timestamp_is_corrupt_and_an_unsent_number_unknown():
    tracker = tracker_with(1, subscribers=1)
    tracker.received(0, 1, 999, 5000)
    tracker.received(0, 7, 1007, 5000)
    assert tracker.corrupt == 1
    assert tracker.unknown == 1


def test_probes_are_not_counted():
    tracker = tracker_with(1, subscribers=1)
    tracker.received(0, PROBE_SEQ, 0, 5000)
    assert (tracker.delivered, tracker.unknown, tracker.out_of_order) == (0, 0, 0)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_carries_the_mark_where_the_checker_finds_it(dialect):
    frame = DIALECTS[dialect].frame(42, 123456789)
    match = MARK.search(frame.encode())
    assert match is not None
    assert (int(match[1]), int(match[2])) == (42, 123456789)


def test_the_generated_service_gets_a_valid_chat_frame():
    frame = json.loads(DIALECTS["generated"].frame(3, 99))
    assert frame == {"type": "chat", "room": "bench", "text": "@3/99@"}
    assert json.loads(DIALECTS["generated"].join) == {"type": "join", "room": "bench"}


def test_the_socketio_frame_is_an_engineio_message_with_a_socketio_event():
    frame = DIALECTS["socketio"].frame(1, 2)
    assert frame.startswith("42")  # Engine.IO MESSAGE, Socket.IO EVENT
    assert json.loads(frame[2:]) == ["chat", "@1/2@"]


def test_best_peer_ratios_compare_with_the_best_peer_of_each_round():
    runs = {"generated": [30.0, 40.0], "a": [10.0, 20.0], "b": [15.0, 10.0], "raw": [99.0, 99.0]}
    assert best_peer_ratios(runs, ["a", "b"]) == [2.0, 2.0]


def test_best_peer_for_latency_is_the_lowest():
    runs = {"generated": [2.0, 3.0], "a": [4.0, 1.0], "b": [8.0, 6.0]}
    assert best_peer_ratios(runs, ["a", "b"], higher_is_better=False) == [0.5, 3.0]


def test_a_round_whose_best_peer_is_zero_is_skipped():
    assert best_peer_ratios({"generated": [5.0, 5.0], "a": [0.0, 1.0]}, ["a"]) == [5.0]


def run(rate: float, *, lost: int = 0, out_of_order: int = 0, p99: float = 1.0) -> Run:
    return Run(rate, 10.0, lost, out_of_order, p99 / 2, p99, 0.3)


def results(generated: Run, peer: Run, unpatched: Run) -> ModeResults:
    keys = ["generated", "socketio", "socketio (unpatched)", "raw"]
    runs = {"generated": [generated], "socketio": [peer], "socketio (unpatched)": [unpatched]}
    runs["raw"] = [run(1000.0)]
    return ModeResults(
        "redis",
        keys,
        {key: key for key in keys},
        windows={32: runs},
        latency={key: list(value) for key, value in runs.items()},
    )


def test_goals_pass_when_generated_leads_by_half_and_loses_nothing():
    rows = goal_rows(results(run(300.0, p99=1.0), run(200.0, p99=2.0), run(900.0, p99=0.1)))
    verdicts = {row[0]: (row[1], row[3]) for row in rows}
    # The unpatched peer is faster here but is not a contender for "best peer".
    assert verdicts["redis, 32 in flight: delivered msg/s generated ÷ best peer"] == (
        "1.50",
        "PASS",
    )
    assert verdicts["redis, 32 in flight: generated ÷ raw websockets ceiling"] == ("0.30", "-")
    assert verdicts["redis: generated, messages lost or out of order"] == ("0", "PASS")
    assert verdicts["redis: p99 latency generated ÷ best peer (fixed rate)"] == ("0.50", "PASS")


def test_goals_miss_on_a_small_lead_a_lost_message_or_a_slower_p99():
    rows = goal_rows(results(run(290.0, lost=1, p99=3.0), run(200.0, p99=2.0), run(1.0)))
    assert [row[3] for row in rows] == ["MISS", "-", "MISS", "MISS"]
    assert rows[2][1] == "2"  # one lost in the window run, one in the latency run


def test_the_report_names_unpatched_rows_and_the_goals():
    text = report([results(run(300.0), run(200.0), run(1.0, lost=5))], QUICK)
    assert "socketio (unpatched)" in text
    assert "| redis: generated, messages lost or out of order" in text
    assert "PASS" in text


def test_contenders_skip_missing_peers_and_add_unpatched_runs_only_in_redis_mode(tmp_path):
    memory = [c.key for c in contenders("memory", tmp_path, None, "warning", ["channels"])]
    assert memory == ["generated", "socketio", "broadcaster", "raw"]
    redis = contenders("redis", tmp_path, "redis://127.0.0.1:1/0", "warning", [])
    assert [c.key for c in redis] == [
        "generated",
        "socketio",
        "socketio (unpatched)",
        "channels",
        "broadcaster",
        "broadcaster (unpatched)",
        "raw",
    ]
    by_key = {c.key: c for c in redis}
    assert by_key["generated"].processes == 2
    assert by_key["raw"].processes == 1
    assert by_key["broadcaster (unpatched)"].spec.env["BENCH_UNPATCHED"] == "1"
    assert "BENCH_UNPATCHED" not in by_key["broadcaster"].spec.env
    assert not by_key["broadcaster (unpatched)"].peer
    assert by_key["broadcaster"].peer


def test_fanout_sizes_take_the_preset_and_the_command_line():
    assert fanout_sizes(parse_fanout_args([])) == FULL
    sizes = fanout_sizes(parse_fanout_args(["--quick", "--windows", "8,128", "--rounds", "2"]))
    assert sizes.windows == (8, 128)
    assert sizes.rounds == 2
    assert sizes.subscribers == QUICK.subscribers


def test_fanout_refuses_an_unknown_mode():
    with pytest.raises(SystemExit):
        parse_fanout_args(["--modes", "memory,kafka"])


def test_fanout_runs_only_the_servers_named_and_the_baseline_when_given(tmp_path):
    assert parse_fanout_args([]).servers == list(SERVER_NAMES)
    assert parse_fanout_args(["--servers", "broadcaster,raw"]).servers == ["broadcaster", "raw"]
    args = parse_fanout_args(["--servers", "broadcaster", "--baseline", str(tmp_path)])
    assert args.servers == ["broadcaster", "baseline"]
    assert args.baseline == tmp_path
    with pytest.raises(SystemExit):
        parse_fanout_args(["--servers", "generated,nginx"])


def test_the_baseline_runs_beside_the_generated_service_from_its_own_folder(tmp_path):
    baseline = tmp_path / "baseline"
    cast = contenders("redis", tmp_path, "redis://127.0.0.1:1/0", "warning", [], baseline)
    assert [c.key for c in cast][:2] == ["generated", "baseline"]
    by_key = {c.key: c for c in cast}
    assert by_key["baseline"].spec.cwd == baseline
    assert by_key["baseline"].spec.env == by_key["generated"].spec.env
    assert by_key["baseline"].spec.argv == by_key["generated"].spec.argv
    assert by_key["baseline"].processes == 2
    assert not by_key["baseline"].peer
    assert {c.spec.key for c in cast} <= set(SERVER_NAMES)


def test_the_generated_service_runs_as_its_entry_point_runs_it_in_every_benchmark(tmp_path):
    echo = server_specs(tmp_path, "warning", {})["generated"]
    fanout = next(c.spec for c in contenders("memory", tmp_path, None, "warning", []))
    for spec in (echo, fanout):
        argv = list(spec.argv)
        ws, http = argv[argv.index("--ws") + 1], argv[argv.index("--http") + 1]
        assert ws == f"{GENERATED_PACKAGE}.engine.protocols:SendTimeoutWebSocketProtocol"
        assert http == f"{GENERATED_PACKAGE}.engine.protocols:HandshakeTimeoutHTTPProtocol"
        assert json.loads(spec.env["AUTH_TOKENS"]) == {BENCH_TOKEN: "bench-user"}
        assert spec.port_flag == "--port"
        assert spec.asgi_app == f"{GENERATED_PACKAGE}.main:app"  # what app_cost imports
    assert echo.env == fanout.env
    # The peers keep stock uvicorn.
    peers = [c.spec for c in contenders("memory", tmp_path, None, "warning", []) if c.peer]
    assert peers
    assert all("websockets-sansio" in spec.argv for spec in peers)


def test_the_baseline_is_the_committed_template_never_the_uncommitted_changes(
    tmp_path, monkeypatch
):
    checkout = tmp_path / "checkout"
    checkout.mkdir()

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    git("init", "-q")
    (checkout / "copier.yml").write_text("_subdirectory: template\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    (checkout / "copier.yml").write_text("_subdirectory: template  # not committed\n")
    asked: dict[str, object] = {}

    def generate_once(dest, data=(), src=None, vcs_ref=None):
        asked.update(dest=dest, data=list(data), src=src, vcs_ref=vcs_ref)
        return dest

    monkeypatch.setattr(peer_fanout, "generate_once", generate_once)
    peer_fanout.baseline_service(tmp_path / "work", checkout, "redis")
    # copier given "HEAD" of a dirty local checkout would fold the uncommitted change in.
    assert asked["vcs_ref"] == git("rev-parse", "HEAD")
    assert asked["src"] == str(checkout)
    assert asked["data"] == ["broadcast=redis"]


def test_the_goals_compare_generated_with_the_baseline_side_by_side():
    mode = results(run(300.0), run(200.0), run(1.0))
    mode.keys.insert(1, "baseline")
    mode.labels["baseline"] = "generated service, baseline"
    mode.windows[32]["baseline"] = [run(250.0)]
    mode.latency["baseline"] = [run(250.0)]
    rows = {row[0]: row for row in goal_rows(mode)}
    assert rows["redis, 32 in flight: generated ÷ baseline (side by side)"][1].startswith("1.2")


class YieldingBackend:
    """A broadcaster backend whose subscribe yields to the loop, as the Redis one does."""

    def __init__(self) -> None:
        self.subscribed: list[str] = []

    async def subscribe(self, channel: str) -> None:
        await asyncio.sleep(0)
        self.subscribed.append(channel)

    async def unsubscribe(self, channel: str) -> None:
        self.subscribed.remove(channel)


async def subscribe_together(broadcast_class: type) -> tuple[int, int]:
    """Two subscribers arrive together: how many the broadcast knows, how many fail to leave."""
    broadcast = broadcast_class(backend=YieldingBackend())
    entered = asyncio.Event()
    release = asyncio.Event()
    inside = 0

    async def member() -> None:
        nonlocal inside
        async with broadcast.subscribe("room"):
            inside += 1
            if inside == 2:
                entered.set()
            await release.wait()

    tasks = [asyncio.create_task(member()) for _ in range(2)]
    await asyncio.wait_for(entered.wait(), 5)
    known = len(broadcast._subscribers["room"])
    release.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    return known, sum(isinstance(outcome, Exception) for outcome in outcomes)


def require_peers() -> None:
    """Skip without the ``bench`` extra; fail instead in CI (after it installs the extra)."""
    for module in ("broadcaster", "socketio"):
        if importlib.util.find_spec(module) is None:
            unavailable(
                f"{module} is not installed: pip install -e '.[bench]'",
                required_by="FASTGEN_REQUIRE_BENCH",
            )


def test_broadcaster_as_released_drops_a_subscriber_that_arrives_with_another():
    require_peers()
    import broadcaster

    # The dropped one never gets a message, and leaving raises KeyError.
    assert asyncio.run(subscribe_together(broadcaster.Broadcast)) == (1, 1)


def test_the_fixed_broadcast_keeps_both_subscribers():
    require_peers()
    from bench.peers.fixes import FixedBroadcast

    assert asyncio.run(subscribe_together(FixedBroadcast)) == (2, 0)


def test_the_bar_chart_is_svg_with_one_bar_per_value_on_one_scale():
    svg = bar_chart("t", [("memory", [("a", 100.0), ("b", 50.0)]), ("redis", [("a", 25.0)])], "/s")
    root = ElementTree.fromstring(svg)
    bars = [el for el in root if el.tag.endswith("rect")][1:]  # the first is the background
    widths = [float(bar.get("width")) for bar in bars]
    assert widths[0] == 2 * widths[1] == 4 * widths[2]
    assert bars[0].get("fill") == bars[2].get("fill") != bars[1].get("fill")  # "a" keeps its colour


def test_the_bar_chart_refuses_no_bars_and_negative_values():
    with pytest.raises(ValueError, match="at least one"):
        bar_chart("t", [], "/s")
    with pytest.raises(ValueError, match="negative"):
        bar_chart("t", [("g", [("a", -1.0)])], "/s")


def test_chart_groups_take_each_servers_median_per_mode_and_window():
    data = results(run(300.0), run(200.0), run(1.0))
    data.windows[32]["generated"].append(run(100.0))
    data.windows[32]["generated"].append(run(500.0))
    groups = chart_groups([data])
    assert groups[0][0] == "redis, 32 in flight"
    assert dict(groups[0][1])["generated"] == 300.0


def test_scale_table_gives_rates_and_dashes_for_what_a_server_was_not_measured_on():
    rows = [
        ScaleRow("generated", 10.0, 35.25, run(60000.0)),
        ScaleRow("bare", 5.0, 30.0),
        ScaleRow("ceiling", fanout=run(80000.0, lost=2)),
    ]
    lines = scale_table(rows, 1000, 50).splitlines()
    cells = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in lines
        if line.startswith("| ")
    }
    assert cells["generated"] == ["10.0", "100", "35.2", "60,000", "10.00", "0", "0"]
    assert cells["bare"] == ["5.0", "200", "30.0", "-", "-", "-", "-"]
    assert cells["ceiling"][:3] == ["-", "-", "-"]
    assert cells["ceiling"][-2:] == ["2", "0"]
