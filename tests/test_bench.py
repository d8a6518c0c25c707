"""The benchmark's parts: statistics, verdicts, tables, the client's framing, the app driver.

Nothing here is timed: the benchmark reports its goals, it never asserts them.
"""

import asyncio
import shutil
import struct

import pytest
from redis.utils import HIREDIS_AVAILABLE

from bench import app_cost, redis_parser
from bench import wsproto_lite as wsl
from bench.fanout import FanoutResults, fanout_section
from bench.report import goals_table
from bench.servers import TARGET
from bench.stats import Spread, markdown_table, median, paired_ratios, percentile, verdict
from bench.ws_bench import EchoRun, WsResults, rotated


def test_percentile_interpolates_like_numpy_linear():
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 99) == pytest.approx(3.97)


def test_percentile_ignores_input_order():
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0


def test_percentile_of_one_value_is_that_value():
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], 101), ([1.0], -1)])
def test_percentile_rejects_bad_input(values, q):
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, q)


def test_median_of_even_count_is_the_mean_of_the_middle_two():
    assert median([4.0, 1.0, 3.0, 2.0]) == pytest.approx(2.5)


def test_paired_ratios_are_round_by_round_and_skip_zero_denominators():
    assert paired_ratios([10.0, 9.0, 5.0], [10.0, 0.0, 10.0]) == [1.0, 0.5]


def test_paired_ratios_need_series_of_one_length():
    with pytest.raises(ValueError, match="zip"):
        paired_ratios([1.0], [1.0, 2.0])


def test_spread_formats_median_and_range():
    assert Spread.of([0.9, 1.0, 0.95]).format() == "0.95 (0.90-1.00)"
    assert Spread.of([1.0, 1.0]).format() == "1.00"


@pytest.mark.parametrize(
    ("measured", "target", "at_most", "expected"),
    [
        (0.96, 0.95, False, "PASS"),
        (0.95, 0.95, False, "PASS"),
        (0.94, 0.95, False, "MISS"),
        (1.10, 1.10, True, "PASS"),
        (1.11, 1.10, True, "MISS"),
    ],
)
def test_verdict(measured, target, at_most, expected):
    assert verdict(measured, target, at_most=at_most) == expected


def test_markdown_table_aligns_numbers_right_and_text_left():
    table = markdown_table(["server", "msgs/s"], [["bare", 12345.6], ["raw", 7.5]])
    assert table.splitlines() == [
        "| server | msgs/s |",
        "| ------ | -----: |",
        "| bare   | 12,346 |",
        "| raw    |   7.50 |",
    ]


def test_markdown_table_escapes_pipes():
    assert "a \\| b" in markdown_table(["x"], [["a | b"]])


def test_markdown_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="2 headers"):
        markdown_table(["a", "b"], [["only one"]])


def test_rounds_rotate_the_server_order():
    keys = ["generated", "bare", "raw"]
    assert [rotated(keys, r) for r in range(4)] == [
        ["generated", "bare", "raw"],
        ["bare", "raw", "generated"],
        ["raw", "generated", "bare"],
        ["generated", "bare", "raw"],
    ]


def unmask(frame: bytes) -> tuple[int, bytes]:
    """Decode one client frame (the server's view), for checking `client_frame`."""
    opcode, second = frame[0] & 0x0F, frame[1]
    assert frame[0] & 0x80
    assert second & 0x80
    size, offset = second & 0x7F, 2
    if size == 126:
        (size,) = struct.unpack_from("!H", frame, 2)
        offset = 4
    elif size == 127:
        (size,) = struct.unpack_from("!Q", frame, 2)
        offset = 10
    mask, payload = frame[offset : offset + 4], frame[offset + 4 :]
    assert len(payload) == size
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_client_frames_are_masked_and_round_trip(size):
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert unmask(wsl.client_frame(wsl.OP_TEXT, payload, b"\x01\x02\x03\x04")) == (
        wsl.OP_TEXT,
        payload,
    )


def server_frame(opcode: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes([0x80 | opcode, size]) + payload
    if size < 1 << 16:
        return bytes([0x80 | opcode, 126]) + struct.pack("!H", size) + payload
    return bytes([0x80 | opcode, 127]) + struct.pack("!Q", size) + payload


def test_parse_frames_keeps_an_incomplete_frame_for_later():
    big = b"x" * 300
    data = server_frame(wsl.OP_TEXT, b'{"type":"echo"}') + server_frame(wsl.OP_PING, big)
    buffer = bytearray(data[:-10])
    assert wsl.parse_frames(buffer) == [(wsl.OP_TEXT, b'{"type":"echo"}')]
    buffer += data[-10:]
    assert wsl.parse_frames(buffer) == [(wsl.OP_PING, big)]
    assert buffer == bytearray()


def test_parse_frames_reads_64_bit_lengths():
    payload = b"y" * 70000
    assert wsl.parse_frames(bytearray(server_frame(wsl.OP_BINARY, payload))) == [
        (wsl.OP_BINARY, payload)
    ]


@pytest.mark.parametrize(
    "frame",
    [
        bytes([0x01, 0x01]) + b"a",  # FIN bit clear: a fragment
        bytes([0x81, 0x81]) + b"\x00\x00\x00\x00a",  # masked by the server
    ],
)
def test_parse_frames_refuses_what_servers_must_not_send(frame):
    with pytest.raises(wsl.ProtocolError):
        wsl.parse_frames(bytearray(frame))


def test_handshake_response_must_switch_protocols():
    wsl.check_handshake_response(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket")
    with pytest.raises(wsl.ProtocolError, match="403"):
        wsl.check_handshake_response(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0")


def test_handshake_request_names_target_and_origin():
    request = wsl.handshake_request("127.0.0.1", 8000, "/ws/chat?token=t", "http://a.test")
    head = request.decode()
    assert head.startswith("GET /ws/chat?token=t HTTP/1.1\r\n")
    assert "Host: 127.0.0.1:8000\r\n" in head
    assert "Origin: http://a.test\r\n" in head
    assert head.endswith("\r\n\r\n")


def test_app_cost_times_the_bare_endpoint_in_process():
    timings = asyncio.run(app_cost.measure("bench.bare_app:app", TARGET, 200, 2))
    assert len(timings) == 2
    assert all(0 < t < 100_000 for t in timings)


async def _wrong_reply_app(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    await send({"type": "websocket.send", "text": '{"type": "echo", "data": "something else"}'})


async def _closing_app(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1008})


@pytest.mark.parametrize(
    ("app", "error"),
    [(_wrong_reply_app, "not the expected reply"), (_closing_app, "closed the session")],
)
def test_app_cost_refuses_an_app_that_does_not_echo(app, error):
    with pytest.raises(RuntimeError, match=error):
        asyncio.run(app_cost.time_echoes(app, TARGET, 10))


def test_app_cost_times_handshakes_of_the_bare_endpoint_in_process():
    timings = asyncio.run(app_cost.measure("bench.bare_app:app", TARGET, 50, 2, connects=True))
    assert len(timings) == 2
    assert all(0 < t < 100_000 for t in timings)


async def _refusing_app(scope, receive, send):
    await receive()
    await send({"type": "websocket.close", "code": 1008})


@pytest.mark.parametrize(
    ("app", "error"),
    [
        (_wrong_reply_app, "not the expected reply"),
        (_closing_app, "refused the handshake"),
        (_refusing_app, "refused the handshake"),
    ],
)
def test_app_cost_connects_refuses_an_app_that_does_not_echo(app, error):
    with pytest.raises(RuntimeError, match=error):
        asyncio.run(app_cost.time_connects(app, TARGET, 3))


def test_fanout_section_reports_the_history_ratio_round_by_round():
    results = FanoutResults(
        "memory",
        members=10,
        messages=100,
        deliveries_per_s={"history on": [90.0, 80.0], "history off": [100.0, 100.0]},
        us_per_message={"history on": [11.0, 12.0], "history off": [10.0, 10.0]},
    )
    assert results.ratios() == [0.9, 0.8]
    section = fanout_section(results)
    assert "History on / off throughput (memory): 0.85 (0.80-0.90)" in section
    assert "PASS" in section


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (apt)")
def test_redis_parser_times_every_message_a_real_redis_holds(capsys):
    assert redis_parser.main(["--messages", "50", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| redis-py |"))
    assert float(row.split("|")[2]) > 0  # a real CPU time per message
    assert ("| hiredis |" in out) == HIREDIS_AVAILABLE
    assert ("hiredis is not installed" in out) != HIREDIS_AVAILABLE


def test_redis_parser_reports_each_parser_and_the_missing_one():
    text = redis_parser.report({"redis-py": [3.0, 1.0, 2.0]}, 10, 3)
    assert "| redis-py | 2.0 | 1.0-3.0 |" in text
    assert "pip install hiredis" in text
    assert "pip install" not in redis_parser.report({"redis-py": [1.0], "hiredis": [0.5]}, 10, 1)


def table_rows(table: str) -> list[list[str]]:
    """The cells of a markdown table's rows, stripped of their padding."""
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]


def echo_runs(msgs_per_s: list[float], p99_ms: list[float]) -> list[EchoRun]:
    return [EchoRun(m, 1.0, p, 0, 10.0, 0.5) for m, p in zip(msgs_per_s, p99_ms, strict=True)]


def test_goals_compare_with_the_baseline_round_by_round_when_it_ran():
    ws = WsResults(idle_sessions=10)
    ws.echo = {
        "generated": echo_runs([110, 90], [2.0, 4.0]),
        "baseline": echo_runs([100, 100], [2.0, 2.0]),
        "bare": echo_runs([100, 100], [2.0, 2.0]),
        "raw": echo_runs([200, 200], [1.0, 1.0]),
    }
    ws.handshakes_per_s = {"generated": [50, 60], "baseline": [100, 60], "bare": [50, 50]}
    rows = {cells[0]: cells[1] for cells in table_rows(goals_table(ws, None))}
    assert rows["throughput generated / baseline"] == "1.00 (0.90-1.10)"
    assert rows["p99 latency generated / baseline"] == "1.50 (1.00-2.00)"
    assert rows["connect+auth rate generated / baseline"] == "0.75 (0.50-1.00)"
    del ws.echo["baseline"]
    assert "baseline" not in goals_table(ws, None)
