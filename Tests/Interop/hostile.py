"""Machinery of the hostile-traffic suites (test_hostile_*.py): a raw-socket WebSocket client
that can put any byte on the wire, a raw HTTP/1.1 client, and readings of a server process
from /proc (RSS, open fds, threads, children).

Nothing here uses the `websockets` package: every frame is built by hand (FIN, RSV bits,
opcode, mask on or off, any length encoding), so every fault of RFC 6455 can be injected,
and every reply is read frame by frame, so a close frame, its code, and the TCP close after
it are seen as what they are.

Outcomes of one exchange are values, not exceptions:
  ("frame", obj)            one text message, parsed as JSON (obj is None if it is not JSON)
  ("binary", bytes)         one binary message (the server never sends one)
  ("close", code, reason, tcp_closed)
                            a close frame (code None for an empty payload); tcp_closed tells
                            whether the server then closed TCP within the bound
  ("drop", why)             TCP closed or reset without a close frame
  ("timeout", seconds)      nothing within the bound
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
RESERVED_OPCODES = (0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF)
# close codes a peer may not send (RFC 6455 §7.4): below 1000, 1004-1006, 1015, 1016-2999
# (unassigned IANA range, as autobahn treats it), 5000 and above
INVALID_CLOSE_CODES = (0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
VALID_CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999)

KNOWN_FRAME_TYPES = {"observation", "state", "mcp", "error"}
KNOWN_ERROR_CODES = {"INVALID_JSON", "UNKNOWN_TYPE", "VALIDATION_ERROR", "EXECUTION_ERROR", "CAPACITY_REACHED",
                     "FACTORY_ERROR", "SESSION_ERROR", "MESSAGE_TOO_LARGE"}


# ======================================================================================
# frames
# ======================================================================================


def build_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0, mask: bool = True,
                mask_key: Optional[bytes] = None, length: Optional[int] = None) -> bytes:
    """One WebSocket frame, byte for byte. `rsv` is the three RSV bits (0-7); `length`
    overrides the length field (the payload is still what is sent)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + xor_mask(payload, key)


def xor_mask(data: bytes, key: bytes) -> bytes:
    if not data:
        return b""
    n = len(data)
    k = int.from_bytes((key * ((n + 3) // 4))[:n], "big")
    return (int.from_bytes(data, "big") ^ k).to_bytes(n, "big")


def text(payload: bytes | str, **kw: Any) -> bytes:
    return build_frame(OP_TEXT, payload.encode() if isinstance(payload, str) else payload, **kw)


def close_payload(code: Optional[int], reason: bytes = b"") -> bytes:
    return b"" if code is None else struct.pack("!H", code) + reason


def fragments(payload: bytes, parts: int, rng: random.Random, *, opcode: int = OP_TEXT,
              ping_between: bool = False) -> List[bytes]:
    """`payload` as one fragmented message of `parts` frames (empty fragments allowed), with
    optional pings between the fragments (allowed by RFC 6455 §5.4)."""
    cuts = sorted(rng.randint(0, len(payload)) for _ in range(parts - 1))
    pieces = [payload[a:b] for a, b in zip([0] + cuts, cuts + [len(payload)])]
    out: List[bytes] = []
    for i, piece in enumerate(pieces):
        out.append(build_frame(opcode if i == 0 else OP_CONT, piece, fin=i == len(pieces) - 1))
        if ping_between and i < len(pieces) - 1:
            out.append(build_frame(OP_PING, b"p%d" % i))
    return out


# ======================================================================================
# raw WebSocket client
# ======================================================================================


def recv_more(sock: socket.socket, buf: bytearray, deadline: float) -> None:
    """Appends what `sock` has to `buf`, waiting until `deadline` at most (socket.timeout then);
    EOFError once the peer closed TCP."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("deadline")
    sock.settimeout(left)
    chunk = sock.recv(1 << 20)
    if not chunk:
        raise EOFError("TCP closed")
    buf += chunk


class RawWS:
    """A WebSocket client over a plain socket. Answers server pings with pongs while
    reading (unless `answer_pings` is False); remembers the pongs it received."""

    def __init__(self, host: str, port: int, path: str = "/ws", *, timeout: float = 5.0,
                 answer_pings: bool = True, rcvbuf: Optional[int] = None, source: Optional[str] = None):
        self.host, self.port, self.path = host, port, path
        self.timeout = timeout
        self.answer_pings = answer_pings
        self.buf = bytearray()
        self.pongs: List[bytes] = []
        self.closed_by_peer = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source:
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.connect((host, port))
        self._handshake()

    def _handshake(self) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise HandshakeError(lines[0])
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        if headers.get("sec-websocket-accept") != accept:
            raise HandshakeError(f"bad Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}")

    # --- bytes ---------------------------------------------------------------------
    def _fill(self, deadline: float) -> None:
        recv_more(self.sock, self.buf, deadline)

    def send_raw(self, data: bytes) -> None:
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def send_text(self, payload: bytes | str, **kw: Any) -> None:
        self.send_raw(text(payload, **kw))

    def send_json(self, obj: Any) -> None:
        self.send_text(json.dumps(obj, separators=(",", ":")))

    # --- frames --------------------------------------------------------------------
    def read_frame(self, deadline: float) -> Tuple[bool, int, int, bytes]:
        """(fin, rsv, opcode, payload) of the next frame from the server."""
        while len(self.buf) < 2:
            self._fill(deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        off = 2
        if n == 126:
            while len(self.buf) < 4:
                self._fill(deadline)
            n = struct.unpack_from("!H", self.buf, 2)[0]
            off = 4
        elif n == 127:
            while len(self.buf) < 10:
                self._fill(deadline)
            n = struct.unpack_from("!Q", self.buf, 2)[0]
            off = 10
        if b1 & 0x80:
            raise ProtocolViolation("the server sent a masked frame")
        while len(self.buf) < off + n:
            self._fill(deadline)
        payload = bytes(self.buf[off:off + n])
        del self.buf[:off + n]
        return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, payload

    def next_message(self, timeout: Optional[float] = None, *, parse: bool = True) -> tuple:
        """The next outcome (see the module docstring). Pings are answered, pongs recorded."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        parts: List[bytes] = []
        msg_op = None
        try:
            while True:
                fin, rsv, op, payload = self.read_frame(deadline)
                if op == OP_PING:
                    if self.answer_pings:
                        self.send_raw(build_frame(OP_PONG, payload))
                    continue
                if op == OP_PONG:
                    self.pongs.append(payload)
                    continue
                if op == OP_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    return ("close", code, payload[2:], self._finish_close(payload, deadline))
                if op in (OP_TEXT, OP_BINARY):
                    msg_op = op
                    parts = [payload]
                elif op == OP_CONT:
                    parts.append(payload)
                else:
                    raise ProtocolViolation(f"server sent opcode {op:#x}")
                if fin:
                    data = b"".join(parts)
                    if msg_op == OP_BINARY:
                        return ("binary", data)
                    if not parse:
                        return ("frame", data)
                    try:
                        return ("frame", json.loads(data))
                    except ValueError:
                        return ("frame", None)
        except (socket.timeout, TimeoutError):
            return ("timeout", round(time.monotonic() - deadline + (self.timeout if timeout is None else timeout), 3))
        except EOFError:
            self.closed_by_peer = True
            return ("drop", "TCP closed without a close frame")
        except ConnectionResetError:
            self.closed_by_peer = True
            return ("drop", "TCP reset without a close frame")
        except OSError as e:
            self.closed_by_peer = True
            return ("drop", f"{type(e).__name__}: {e}")

    def _finish_close(self, payload: bytes, deadline: float) -> bool:
        """After the server's close frame: answer it, then wait for TCP to close."""
        try:
            self.send_raw(build_frame(OP_CLOSE, payload[:2]))
        except OSError:
            pass
        deadline = max(deadline, time.monotonic() + 1.0)
        try:
            while True:
                self._fill(deadline)
                self.buf.clear()  # anything after a close frame is ignored
        except EOFError:
            self.closed_by_peer = True
            return True
        except ConnectionResetError:
            self.closed_by_peer = True
            return True
        except (socket.timeout, TimeoutError, OSError):
            return False

    def request(self, obj: Any, timeout: Optional[float] = None) -> tuple:
        self.send_json(obj)
        return self.next_message(timeout)

    def close(self, code: int = 1000) -> Optional[tuple]:
        """Close handshake from our side; returns the server's answer (or None)."""
        out = None
        try:
            self.send_raw(build_frame(OP_CLOSE, struct.pack("!H", code)))
            while True:
                out = self.next_message(2.0)
                if out[0] != "frame":
                    break
        except OSError:
            pass
        self.sock.close()
        return out

    def abort(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), no close frame."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()

    def shutdown_quietly(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class HandshakeError(Exception):
    pass


class ProtocolViolation(Exception):
    pass


def ws_ok_frame(out: tuple) -> bool:
    """A structured frame: JSON {"type": known, "data": {...}}, errors with a known code."""
    if out[0] != "frame" or not isinstance(out[1], dict):
        return False
    f = out[1]
    if f.get("type") not in KNOWN_FRAME_TYPES or set(f) != {"type", "data"}:
        return False
    if f["type"] == "error":
        d = f["data"]
        return isinstance(d, dict) and d.get("code") in KNOWN_ERROR_CODES and isinstance(d.get("message"), str)
    return True


def error_code(out: tuple) -> Optional[str]:
    if out[0] == "frame" and isinstance(out[1], dict) and out[1].get("type") == "error" and isinstance(out[1].get("data"), dict):
        return out[1]["data"].get("code")
    return None


def describe(out: tuple, limit: int = 160) -> str:
    if out[0] == "frame":
        if isinstance(out[1], (bytes, bytearray)):
            return "frame " + out[1][:limit].decode("utf-8", "replace")
        return "frame " + json.dumps(out[1])[:limit]
    if out[0] == "close":
        return f"close {out[1]} reason={out[2][:40]!r} tcp_closed={out[3]}"
    return " ".join(str(x) for x in out)[:limit]


# ======================================================================================
# raw HTTP/1.1 client
# ======================================================================================


@dataclass
class HTTPReply:
    status: int
    headers: Dict[str, str]
    body: bytes
    closes: bool  # the server said connection: close

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class RawHTTP:
    """HTTP/1.1 over a plain socket, keep-alive. `send` puts raw bytes on the wire;
    `read_reply` parses one response (content-length or chunked)."""

    def __init__(self, host: str, port: int, timeout: float = 5.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _fill(self, deadline: float) -> None:
        recv_more(self.sock, self.buf, deadline)

    def send(self, data: bytes) -> None:
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def request_bytes(self, method: str, path: str, body: Optional[bytes], headers: Sequence[Tuple[str, str]] = (),
                      content_type: Optional[str] = "application/json") -> bytes:
        h = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if content_type and body is not None:
            h.append(f"Content-Type: {content_type}")
        if body is not None and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
            h.append(f"Content-Length: {len(body)}")
        h += [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(h) + "\r\n\r\n").encode() + (body or b"")

    def read_reply(self, timeout: Optional[float] = None) -> tuple:
        """("reply", HTTPReply) | ("drop", why) | ("timeout", s)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while b"\r\n\r\n" not in self.buf:
                self._fill(deadline)
            i = self.buf.index(b"\r\n\r\n")
            head = bytes(self.buf[:i]).decode("latin-1").split("\r\n")
            del self.buf[:i + 4]
            status = int(head[0].split()[1])
            headers = {}
            for line in head[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = bytearray()
                while True:
                    while b"\r\n" not in self.buf:
                        self._fill(deadline)
                    j = self.buf.index(b"\r\n")
                    size = int(bytes(self.buf[:j]).split(b";")[0], 16)
                    del self.buf[:j + 2]
                    while len(self.buf) < size + 2:
                        self._fill(deadline)
                    body += self.buf[:size]
                    del self.buf[:size + 2]
                    if size == 0:
                        break
            else:
                n = int(headers.get("content-length", "0"))
                while len(self.buf) < n:
                    self._fill(deadline)
                body = bytes(self.buf[:n])
                del self.buf[:n]
            return ("reply", HTTPReply(status, headers, bytes(body), headers.get("connection", "").lower() == "close"))
        except (socket.timeout, TimeoutError):
            return ("timeout", timeout or self.timeout)
        except EOFError:
            return ("drop", "TCP closed before a (complete) response")
        except (ConnectionResetError, BrokenPipeError) as e:
            return ("drop", f"{type(e).__name__}")
        except (ValueError, IndexError) as e:
            return ("garbled", f"unparseable response: {e}")

    def wait_closed(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
                self.buf.clear()
        except (EOFError, ConnectionResetError):
            return True
        except (socket.timeout, TimeoutError, OSError):
            return False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ======================================================================================
# the server process, seen from /proc
# ======================================================================================


@dataclass
class ProcStats:
    rss_kb: int
    threads: int
    fds: int
    children: List[int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"rss={self.rss_kb / 1024:.1f}MB threads={self.threads} fds={self.fds} children={len(self.children)}"


def proc_stats(pid: int) -> ProcStats:
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    children: List[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    children += [int(c) for c in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return ProcStats(int(status["VmRSS"].split()[0]), int(status["Threads"]), len(os.listdir(f"/proc/{pid}/fd")), children)


def active_sessions(server: Any) -> int:
    """The server's own count (GET /ready: active_sessions)."""
    r = server.http.get(server.base + "/ready", timeout=5)
    return int(r.json()["active_sessions"])


def settle(server: Any, baseline: ProcStats, *, sessions: int = 0, timeout: float = 15.0,
           rss_slack_mb: float = 30.0) -> Tuple[ProcStats, int, List[str]]:
    """Wait (bounded) until sessions, fds, threads and RSS are back near `baseline`;
    return the last reading, the session count, and what is still off (empty when settled).
    Slack: fds exactly back, threads at most the baseline (NIO's and the runtime's pools
    are fixed-size), no child processes, RSS within +rss_slack_mb."""
    deadline = time.monotonic() + timeout
    while True:
        now = proc_stats(server.proc.pid)
        off = []
        try:
            n = active_sessions(server)
        except Exception as e:  # a server too busy to answer /ready within 5 s
            n = -1
            off.append(f"GET /ready unanswered ({type(e).__name__})")
        if n != sessions and n != -1:
            off.append(f"active_sessions {n} (expected {sessions})")
        if now.fds != baseline.fds:
            off.append(f"fds {now.fds} (baseline {baseline.fds})")
        if now.threads > baseline.threads:
            off.append(f"threads {now.threads} (baseline {baseline.threads})")
        if len(now.children) > len(baseline.children):
            off.append(f"children {now.children} (baseline {baseline.children})")
        if now.rss_kb > baseline.rss_kb + rss_slack_mb * 1024:
            off.append(f"rss {now.rss_kb / 1024:.1f}MB (baseline {baseline.rss_kb / 1024:.1f}MB, slack {rss_slack_mb:g}MB)")
        if not off or time.monotonic() >= deadline:
            return now, n, off
        time.sleep(0.25)


# ======================================================================================
# payloads
# ======================================================================================


def many_keys_action(n: int, tool: str = "echo_message") -> bytes:
    """A /ws step whose echo call carries `n` extra argument keys (200,000 keys: ~2.2 MB)."""
    keys = ",".join('"k%05x":1' % i for i in range(n))
    return (b'{"type":"step","data":{"type":"call_tool","tool_name":"' + tool.encode()
            + b'","arguments":{"message":"big",' + keys.encode() + b"}}}")


def env_int(name: str, default: int) -> int:
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


def env_float(name: str, default: float) -> float:
    v = os.environ.get(name)
    return float(v) if v not in (None, "") else default


class Reporter:
    """`say(text)`: a line on the terminal even when pytest captures output (the suites'
    numbers belong in the CI log whether or not the test passes), and in the captured
    output shown with a failure."""

    def __init__(self, config: Any):
        self.config = config

    def __call__(self, line: str) -> None:
        line = line.strip("\n")
        print(line)
        tr = self.config.pluginmanager.getplugin("terminalreporter")
        cap = self.config.pluginmanager.getplugin("capturemanager")
        if tr is None or cap is None or self.config.getoption("capture") == "no":
            return
        with cap.global_and_fixture_disabled():
            tr.write_line("  " + line)
