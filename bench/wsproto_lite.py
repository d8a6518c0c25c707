"""Just enough of RFC 6455 for a fast benchmark client: handshake, masked frames, parsing.

The client must cost far less per message than any server it measures, or every server
looks the same. A library client (``websockets``) spends about as much per message as the
raw ``websockets`` server; this one builds each connection's request frame once and only
parses the small, unmasked frames servers send back.
"""

import base64
import os
import struct

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

HEADER_END = b"\r\n\r\n"


class ProtocolError(Exception):
    """The server broke the protocol (or refused the handshake)."""


def handshake_request(host: str, port: int, target: str, origin: str | None = None) -> bytes:
    """The HTTP/1.1 upgrade request for ``ws://host:port/target``."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def check_handshake_response(head: bytes) -> None:
    """Accept a ``101 Switching Protocols`` response head; anything else is an error.

    Raises:
        ProtocolError: the status is not 101.
    """
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or parts[1] != "101":
        raise ProtocolError(f"handshake refused: {status_line!r}")


def mask_payload(payload: bytes, mask: bytes) -> bytes:
    """XOR `payload` with the 4-byte `mask`, as clients must (RFC 6455 section 5.3)."""
    if not payload:
        return b""
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    size = len(payload)
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return masked.to_bytes(size, "big")


def client_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final, masked client frame."""
    mask = mask if mask is not None else os.urandom(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return header + mask + mask_payload(payload, mask)


def close_frame(code: int = 1000) -> bytes:
    """A masked close frame carrying `code`."""
    return client_frame(OP_CLOSE, struct.pack("!H", code))


def parse_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Remove every complete frame from the front of `buffer`; return ``(opcode, payload)``s.

    Servers never mask and the benchmark's frames are never fragmented; a fragment or a
    masked frame is a protocol error. An incomplete frame stays in `buffer`.

    Raises:
        ProtocolError: a fragmented or masked server frame.
    """
    frames: list[tuple[int, bytes]] = []
    offset = 0
    end = len(buffer)
    while end - offset >= 2:
        first, second = buffer[offset], buffer[offset + 1]
        if not first & 0x80 or first & 0x0F == OP_CONT:
            raise ProtocolError("fragmented frames are not expected from the servers")
        if second & 0x80:
            raise ProtocolError("a server frame was masked")
        size = second & 0x7F
        start = offset + 2
        if size == 126:
            if end - start < 2:
                break
            (size,) = struct.unpack_from("!H", buffer, start)
            start += 2
        elif size == 127:
            if end - start < 8:
                break
            (size,) = struct.unpack_from("!Q", buffer, start)
            start += 8
        if end - start < size:
            break
        frames.append((first & 0x0F, bytes(buffer[start : start + size])))
        offset = start + size
    del buffer[:offset]
    return frames
