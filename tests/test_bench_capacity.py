"""``python -m bench capacity`` (issue 28): its pure parts, and one ``--quick`` run end to end.

Nothing here asserts a measured figure against a goal: the benchmark reports its goals,
it never enforces them. The end-to-end run checks that every part measured something.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import capacity_procs as procs
from bench.capacity import (
    FULL,
    QUICK,
    OneProcess,
    Round,
    env_file_keys,
    parse_args,
    write_env,
)
from bench.capacity_client import close_code, session_target, source_address
from bench.capacity_report import Measured, capacity_report, gc_summary, goal_rows
from bench.servers import REPO_ROOT
from tests.conftest import unavailable

STAT = (
    "4242 (python -m (odd) name) S 17 4242 4242 0 -1 4194560 2890 0 0 0 "
    "120 35 0 0 20 0 3 0 1000 200000000 9000 18446744073709551615"
)


def test_parse_stat_reads_ppid_and_cpu_past_a_name_with_spaces_and_parentheses() -> None:
    assert procs.parse_stat(STAT) == procs.ProcStat(ppid=17, cpu_ticks=155)


def test_parse_stat_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="stat"):
        procs.parse_stat("no parenthesis here")


def test_parse_vmrss_reads_kib_and_rejects_a_status_without_it() -> None:
    assert procs.parse_vmrss_kib("Name:\tpython\nVmRSS:\t  123456 kB\nThreads:\t3\n") == 123456
    with pytest.raises(ValueError, match="VmRSS"):
        procs.parse_vmrss_kib("Name:\tzombie\nState:\tZ\n")


def test_parse_schedstat_is_the_first_field_in_ns() -> None:
    assert procs.parse_schedstat_ns("1877383 4041678 3\n") == 1877383


def test_this_process_is_in_its_own_tree_with_a_child_it_started() -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            tree = procs.process_tree(child.pid)
            assert tree[0] == child.pid
            assert child.pid in procs.process_tree(
                procs.parse_stat(Path(f"/proc/{child.pid}/stat").read_text()).ppid
            )
            assert procs.rss_kib([child.pid]) > 0
            assert procs.cpu_seconds([child.pid]) > 0
        finally:
            child.kill()
    assert procs.rss_kib([child.pid]) == 0  # gone: counts nothing


def test_redis_info_parses_commandstats_and_plain_numbers() -> None:
    info = procs.parse_info(
        "# Stats\r\ntotal_net_input_bytes:1000\r\nrole:master\r\n"
        "# Commandstats\r\ncmdstat_evalsha:calls=30,usec=900,usec_per_call=30.00\r\n"
        "cmdstat_client|list:calls=2,usec=4\r\n"
    )
    assert info["total_net_input_bytes"] == 1000.0
    assert "role" not in info
    assert info["evalsha"] == {"calls": 30.0, "usec": 900.0, "usec_per_call": 30.0}
    assert procs.number(info, "total_net_input_bytes") == 1000.0
    assert procs.number(info, "evalsha") == 0.0


def test_command_rates_are_call_deltas_per_second_busiest_first() -> None:
    before = {"evalsha": {"calls": 10.0}, "ping": {"calls": 5.0}}
    after = {"evalsha": {"calls": 50.0}, "ping": {"calls": 5.0}, "zadd": {"calls": 80.0}}
    assert procs.command_rates(before, after, 10.0) == {"zadd": 8.0, "evalsha": 4.0}


@pytest.mark.parametrize(
    ("sessions", "processes", "expected"),
    [(10, 3, [(0, 4), (4, 3), (7, 3)]), (2, 3, [(0, 1), (1, 1), (2, 0)]), (6, 1, [(0, 6)])],
)
def test_slices_split_sessions_evenly_and_in_order(
    sessions: int, processes: int, expected: list[tuple[int, int]]
) -> None:
    assert procs.slices(sessions, processes) == expected


def test_source_addresses_change_every_block_and_stay_in_loopback() -> None:
    assert source_address(0) == "127.0.1.1"
    assert source_address(9_999) == "127.0.1.1"
    assert source_address(10_000) == "127.0.1.2"
    assert source_address(100_000) == "127.0.1.11"
    assert source_address(300, per_address=100) == "127.0.1.4"
    assert source_address(254 * 10_000) == "127.0.1.255"
    assert source_address(255 * 10_000) == "127.0.2.0"


@pytest.mark.parametrize("index", [-1, 17_000_000 * 10_000])
def test_source_address_refuses_what_loopback_cannot_hold(index: int) -> None:
    with pytest.raises(ValueError, match="session"):
        source_address(index)


def test_close_codes_come_from_the_close_frames_hex() -> None:
    assert close_code("03f4") == 1012
    assert close_code("03e9") == 1001
    assert close_code("no code") is None
    assert close_code("zzzz") is None


def test_every_session_is_a_user_of_its_own_in_the_env_file(tmp_path: Path) -> None:
    write_env(tmp_path, 3, parse_args(["--set", "HEARTBEAT_INTERVAL=5"]).settings)
    text = (tmp_path / ".env").read_text()
    assert 'AUTH_TOKENS={"t0":"u0","t1":"u1","t2":"u2"}' in text
    assert "MAX_CONNECTIONS=19500" in text
    assert "PRESENCE_EVENTS=false" in text
    assert "HEARTBEAT_INTERVAL=5\n" in text
    assert session_target(2) == "/ws/chat?token=t2"
    # What the file sets, the caller's environment must not override.
    assert {"AUTH_TOKENS", "MAX_CONNECTIONS", "HEARTBEAT_INTERVAL"} <= env_file_keys(tmp_path)


def test_set_refuses_what_is_not_key_value() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--set", "NOVALUE"])


def test_presets_and_options() -> None:
    assert parse_args([]).sizes == FULL
    assert parse_args(["--quick"]).sizes == QUICK
    sizes = parse_args(["--sessions", "40000", "--machine-sessions", "60000"]).sizes
    # No load process holds more than 17,500 sessions: the file limit is 20,000.
    assert sizes.load_processes == 3
    assert sizes.machine_processes == 7  # at least one per worker
    assert sizes.ref_sessions == 40000 * FULL.ref_sessions // FULL.sessions


GC_REPORT = {
    "generations": {
        "0": {"count": 3, "max_ms": 0.5},
        "1": {"count": 0, "max_ms": 0.0},
        "2": {"count": 1, "max_ms": 41.25},
    },
    "tracked_objects": 123456,
    "threshold": [700, 10, 10],
}


def measured() -> Measured:
    gc_report = GC_REPORT
    one = OneProcess(
        service=[Round(10.0, 24.0), Round(11.0, 24.2)],
        bare=[Round(10.0, 30.0), Round(10.0, 31.0)],
        house={
            "rooms_kib_per_session": 1.5,
            "rss_kib": 600 * 1024,
            "idle_core_share": 0.12,
            "fanout_s": 0.2,
            "fanout_us": 4.0,
            "ref_fanout_s": 0.1,
            "ref_fanout_us": 5.0,
            "stream_none": {"p99_ms": 2.0},
            "stream_full": {"p99_ms": 5.0},
            "gc_ramp": gc_report,
            "gc_fanout": gc_report,
            "gc_stream": gc_report,
            "join_retries": 0,
        },
    )
    machine = {
        "opened": 1000,
        "admitted": 1000,
        "refused": 0,
        "refusals": {},
        "connect_s": 2.0,
        "join_s": 3.0,
        "join_retries": 7,
        "idle_machine_share": 0.3,
        "redis_calls_per_s": {"evalsha": 200.0},
        "redis_in_bytes_per_s": 2048.0,
        "rss_kib": 200 * 1024,
        "redis_rss_kib": 10 * 1024,
        "fanout_s": 0.05,
        "fanout_per_s": 20000.0,
        "fanout_us": 30.0,
        "shutdown": {
            "limit_s": 10.0,
            "exited": True,
            "seconds": 2.5,
            "last_close_s": 2.4,
            "codes": {"1012": 999, "None": 1},
            "closed_well": 999,
        },
    }
    return Measured(QUICK, {"MAX_CONNECTIONS": "19500"}, True, one, machine)


def test_goal_rows_give_each_goal_its_verdict() -> None:
    rows = {row[0].split(",")[0].split(" at ")[0]: row for row in goal_rows(measured())}
    rss = rows["RSS per session"]
    assert rss[2] == "0.79 (24.1 vs 30.5 KiB)"
    assert rss[3] == "PASS"
    assert rows["connect+auth rate to 500 ÷ bare (median of 2)"][2:] == ["0.95", "PASS"]
    assert rows["idle CPU holding 500 sessions"][3] == "MISS"
    assert rows["one message to 500: CPU per delivery ÷"][3] == "PASS"
    assert rows["echo p99"][2].startswith("2.50")
    assert rows["echo p99"][3] == "MISS"
    assert rows["idle CPU"][3] == "MISS"  # the machine's 30% of 25%
    assert rows["shutdown"][3] == "MISS"  # one session never had its close


def test_gc_summary_lists_the_generations_that_collected() -> None:
    assert gc_summary(GC_REPORT) == ("gen0: 3 times, max 0.5 ms, gen2: 1 times, max 41.2 ms")


def test_the_report_states_mode_settings_and_both_tables() -> None:
    report = capacity_report(measured())
    assert report.startswith("**Capacity** (quick")
    assert "MAX_CONNECTIONS=19500" in report
    assert "| verdict |" in report.replace("  ", "")
    assert "evalsha 200.0" in report
    assert "20,000 (last delivery after 50 ms" in report


# A minute of benchmark: CI's full run, not the contributor loop.
@pytest.mark.e2e
@pytest.mark.full
def test_quick_run_measures_both_parts(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed", required_by="FASTGEN_REQUIRE_PROJECT_TESTS")
    out = tmp_path / "capacity.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "capacity", "--quick", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = out.read_text()
    verdicts = re.findall(r"\| (?:PASS|MISS) +\|$", report, re.MULTILINE)
    assert len(verdicts) == 7, report  # every goal of issue 28 got a verdict
    assert "machine: sessions opened / admitted (authenticated and joined) | 1,000 / 1,000" in (
        " ".join(report.split())
    )


def test_the_report_counts_refused_sessions_with_their_causes() -> None:
    run = measured()
    assert run.machine is not None
    run.machine.update(opened=997, admitted=997, refused=3, refusals={"1013 at capacity": 3})
    report = " ".join(capacity_report(run).split())
    assert "997 / 997 of 1,000; 3 refused, the commonest causes: {'1013 at capacity': 3}" in report
