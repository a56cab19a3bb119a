"""Input generators of the hostile fuzzer (test_hostile_fuzz.py), one per class, all driven
by one `random.Random`, so a seed reproduces a run input for input.

Each generator returns a `Case`: the frames (or HTTP bytes) to send and what the server must
answer. The expectation of a JSON text is derived from the text itself with CPython's `json`
(the reference server's parser), not from the server under test:

  not UTF-8                         -> close 1007
  Python cannot parse it            -> error frame INVALID_JSON, connection continues
  a JSON value that is not an object-> error frame SESSION_ERROR, then close 1000
  {"type": "close"}                 -> close 1000, no frame
  any other object                  -> one structured frame (observation/state/mcp/error),
                                       connection continues
  nesting deeper than 512           -> one structured error frame (the server's limit),
                                       connection continues
"""

from __future__ import annotations

import json
import math
import random
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from hostile import (INVALID_CLOSE_CODES, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RESERVED_OPCODES,
                     VALID_CLOSE_CODES, build_frame, close_payload, fragments, text)

MAX_DEPTH = 512  # the server's JSON nesting limit (deeper: an error frame, never a crash)


@dataclass
class Case:
    cls: str
    frames: List[bytes] = field(default_factory=list)
    # "continue": one structured frame, connection stays open (error code in `codes` if set)
    # "close":    optionally frames with error codes in `codes`, then a close with a code in `close_codes`
    expect: str = "continue"
    codes: Tuple[str, ...] = ()
    close_codes: Tuple[int, ...] = ()
    pre_frames: int = 0  # "close": number of error frames before the close
    note: str = ""
    server: str = "main"  # which fuzz server: "main" (16 MiB limit) or "small" (65536)
    pong: Optional[bytes] = None  # a ping inside: its pong payload must come back


# ======================================================================================
# expectations from the text
# ======================================================================================


def _depth(v: Any) -> int:
    d, stack = 0, [(v, 1)]
    while stack:
        x, k = stack.pop()
        if isinstance(x, (dict, list)):
            d = max(d, k)
            stack.extend((y, k + 1) for y in (x.values() if isinstance(x, dict) else x))
    return d


def expect_text(cls: str, payload: bytes, frames: Optional[List[bytes]] = None, note: str = "") -> Case:
    frames = frames if frames is not None else [text(payload)]
    try:
        s = payload.decode("utf-8")
    except UnicodeDecodeError:
        return Case(cls, frames, "close", close_codes=(1007,), note=note or "invalid UTF-8")
    try:
        v = json.loads(s)
    except RecursionError:
        return Case(cls, frames, "continue", codes=("INVALID_JSON",), note=note or "deep")
    except ValueError:
        return Case(cls, frames, "continue", codes=("INVALID_JSON",), note=note or "not JSON")
    if _depth(v) > MAX_DEPTH:
        return Case(cls, frames, "continue", codes=("INVALID_JSON",), note=note or "deeper than 512")
    if not isinstance(v, dict):
        return Case(cls, frames, "close", codes=("SESSION_ERROR",), close_codes=(1000,), pre_frames=1,
                    note=note or "non-object")
    if v == {"type": "close"}:
        return Case(cls, frames, "close", close_codes=(1000,), note=note or "close message")
    return Case(cls, frames, "continue", note=note)


def dumps(v: Any) -> bytes:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode()


# ======================================================================================
# building blocks
# ======================================================================================

TYPES = ["reset", "step", "state", "close", "mcp", "", "STEP", "observation", "error", "steps", "reset\u0000",
         "ste\u00e9p", None, 1, True, [], {}]
ECHO_ACTIONS = [
    {"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": "hi"}},
    {"type": "call_tool", "tool_name": "echo_with_length", "arguments": {"message": "x" * 40}},
    {"type": "list_tools"},
    {"type": "call_tool", "tool_name": "nope", "arguments": {}},
]
MCP_REQUESTS = [
    {"jsonrpc": "2.0", "method": "tools/list", "id": 1},
    {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "echo_message", "arguments": {"message": "m"}}, "id": 2},
    {"jsonrpc": "1.0", "method": "tools/list", "id": 3},
    {"jsonrpc": "2.0", "method": "openenv/session/create", "params": {}, "id": 4},
]


def weird_value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth > 3 or r < 0.45:
        return rng.choice([None, True, False, 0, -1, 2 ** 63, -2 ** 64, 1.5, 1e308, -0.0, "", "x" * rng.randint(0, 300),
                           "\u2603", "\U0001F600", "\u0000", "\\", '"', "DOWN", "call_tool", "echo_message"])
    if r < 0.7:
        return [weird_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["type", "data", "action", "tool_name", "arguments", "message", "seed", "episode_id", "x", ""]):
            weird_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def envelope(rng: random.Random) -> Dict[str, Any]:
    t = rng.choice(["reset", "step", "step", "step", "state", "mcp"])
    if t == "reset":
        return {"type": "reset", "data": rng.choice([{}, {"seed": rng.randint(-5, 10 ** 6)}, {"episode_id": "e"}])}
    if t == "step":
        return {"type": "step", "data": json.loads(json.dumps(rng.choice(ECHO_ACTIONS)))}
    if t == "state":
        return {"type": "state"}
    return {"type": "mcp", "data": json.loads(json.dumps(rng.choice(MCP_REQUESTS)))}


def _mutate_bytes(rng: random.Random, b: bytes) -> bytes:
    b = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        i = rng.randrange(len(b) + 1)
        if op == 0 and b:  # delete a byte
            del b[min(i, len(b) - 1)]
        elif op == 1:  # insert a JSON-meaningful byte
            b[i:i] = rng.choice([b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b" ", b"0", b"-", b"e", b"\x00", b"\t"])
        elif op == 2 and b:  # flip a bit (ASCII only: UTF-8 faults are their own class)
            j = min(i, len(b) - 1)
            b[j] = (b[j] ^ (1 << rng.randrange(7))) & 0x7F
        elif op == 3:  # truncate
            del b[i:]
        elif op == 4 and b:  # duplicate a slice
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 12)]
        else:  # swap two bytes
            if len(b) > 1:
                j, k = rng.randrange(len(b)), rng.randrange(len(b))
                b[j], b[k] = b[k], b[j]
    return bytes(b)


# ======================================================================================
# JSON-level classes (the connection continues unless the text says otherwise)
# ======================================================================================


def gen_envelope(rng: random.Random) -> Case:
    """Mutated envelopes: structural edits of valid messages, and byte-level mutations."""
    env = envelope(rng)
    r = rng.random()
    if r < 0.5:
        k = rng.randrange(5)
        if k == 0:
            env[rng.choice(["data", "extra", "Type", "id", "session_id"])] = weird_value(rng)
        elif k == 1:
            env.pop(rng.choice(list(env)), None)
        elif k == 2:
            env["type"] = rng.choice(TYPES)
        elif k == 3 and isinstance(env.get("data"), dict):
            d = env["data"]
            d[rng.choice(list(d) + ["bogus", "action"])] = weird_value(rng)
        else:
            env = {"type": "step", "data": {"type": rng.choice(["call_tool", "list_tools", "CALL_TOOL", "", None, 7]),
                                            "tool_name": weird_value(rng), "arguments": weird_value(rng)}}
        return expect_text("envelope", dumps(env))
    return expect_text("envelope", _mutate_bytes(rng, dumps(env)))


def gen_wrong_types(rng: random.Random) -> Case:
    """Each known slot holding a value of the wrong JSON type."""
    slot = rng.randrange(6)
    v = rng.choice([None, 0, 1.5, True, "s", [], [1, "a"], {}, {"k": 1}])
    if slot == 0:
        msg = {"type": v}
    elif slot == 1:
        msg = {"type": "step", "data": v}
    elif slot == 2:
        msg = {"type": "reset", "data": v}
    elif slot == 3:
        msg = {"type": "step", "data": {"type": "call_tool", "tool_name": v, "arguments": {"message": "m"}}}
    elif slot == 4:
        msg = {"type": "step", "data": {"type": "call_tool", "tool_name": "echo_message", "arguments": {"message": v}}}
    else:
        msg = {"type": "mcp", "data": {"jsonrpc": v, "method": v, "id": v, "params": v}}
    return expect_text("wrong_types", dumps(msg))


def gen_huge_numbers(rng: random.Random) -> Case:
    n = rng.choice([
        "1" + "0" * rng.randint(20, 4000), "-" + "9" * rng.randint(20, 400), "1e" + str(rng.randint(300, 100000)),
        "-1e-" + str(rng.randint(300, 100000)), "0." + "0" * rng.randint(10, 2000) + "1", "18446744073709551616",
        "-9223372036854775809", "1" * rng.randint(1, 30) + "." + "1" * rng.randint(1, 30) + "e+" + str(rng.randint(0, 999)),
        "123456789012345678901234567890e-30", "-0", "0e0", "1E400", "4.9e-325",
    ])
    where = rng.randrange(4)
    if where == 0:
        s = '{"type":"reset","data":{"seed":%s}}' % n
    elif where == 1:
        s = '{"type":"step","data":{"type":"call_tool","tool_name":"echo_message","arguments":{"message":%s}}}' % n
    elif where == 2:
        s = '{"type":"mcp","data":{"jsonrpc":"2.0","method":"tools/list","id":%s}}' % n
    else:
        s = '{"type":"step","data":{"type":"call_tool","tool_name":"echo_with_length","arguments":{"message":"a","n":[%s,%s]}}}' % (n, n)
    return expect_text("huge_numbers", s.encode())


def gen_nan_inf(rng: random.Random) -> Case:
    lit = rng.choice(["NaN", "Infinity", "-Infinity", "nan", "inf", "-inf", "+Infinity", "NAN", "Infinit", "-NaN", "1e999"])
    where = rng.randrange(3)
    if where == 0:
        s = '{"type":"reset","data":{"seed":%s}}' % lit
    elif where == 1:
        s = '{"type":"step","data":{"type":"call_tool","tool_name":"echo_message","arguments":{"message":"m","x":%s}}}' % lit
    else:
        s = '{"type":"mcp","data":{"jsonrpc":"2.0","method":"tools/list","id":%s}}' % lit
    return expect_text("nan_inf", s.encode())


def gen_deep(rng: random.Random) -> Case:
    """Nesting around and far beyond the server's limit of 512 (up to 100,000 levels)."""
    r = rng.random()
    depth = rng.randint(500, 530) if r < 0.6 else rng.randint(513, 3000) if r < 0.97 else rng.choice([10_000, 100_000])
    kind = rng.randrange(4)
    if kind == 0:
        inner = b"[" * depth + b"]" * depth
    elif kind == 1:
        inner = b'{"a":' * depth + b"1" + b"}" * depth
    elif kind == 2:
        inner = b"[" * depth  # never closed
    else:
        inner = b'[{"a":' * (depth // 2) + b"0" + b"}]" * (depth // 2)
    s = b'{"type":"step","data":{"type":"call_tool","tool_name":"echo_message","arguments":{"message":' + inner + b"}}}"
    if rng.random() < 0.2:
        s = inner  # at top level
    return expect_text("deep_nesting", s)


def gen_duplicate_keys(rng: random.Random) -> Case:
    dup = rng.randrange(4)
    if dup == 0:
        s = '{"type":"step","type":"reset","data":{}}'
    elif dup == 1:
        s = '{"type":"step","data":{"type":"list_tools"},"data":{"type":"call_tool","tool_name":"echo_message","arguments":{"message":"d"}}}'
    elif dup == 2:
        n = rng.randint(2, 2000)
        s = '{"type":"step","data":{"type":"call_tool","tool_name":"echo_message","arguments":{' + ",".join(
            '"message":"%d"' % i for i in range(n)) + "}}}"
    else:
        s = '{"type":"reset","data":{"seed":1,"seed":"x","seed":null}}'
    return expect_text("duplicate_keys", s.encode())


def gen_many_keys(rng: random.Random) -> Case:
    # (20,000 and 200,000 keys are sent once each, after the run: see test_hostile_fuzz.py)
    n = rng.choice([100] * 4 + [1000] * 5 + [5000])
    where = rng.randrange(3)
    keys = ",".join('"k%05x":%d' % (i, i) for i in range(n))
    if where == 0:
        s = '{"type":"step","data":{"type":"call_tool","tool_name":"echo_message","arguments":{"message":"m",' + keys + "}}}"
    elif where == 1:
        s = '{"type":"reset","data":{' + keys + "}}"
    else:
        s = '{"type":"step","data":{"type":"list_tools",' + keys + "}}"
    return Case("many_keys", [text(s)], "continue", note=f"{n} keys")  # valid by construction


def gen_fragmented(rng: random.Random) -> Case:
    """A valid (or mutated) message split over 2-8 frames, sometimes with pings between."""
    payload = dumps(envelope(rng)) if rng.random() < 0.8 else _mutate_bytes(rng, dumps(envelope(rng)))
    ping = rng.random() < 0.3
    frames = fragments(payload, rng.randint(2, 8), rng, ping_between=ping)
    c = expect_text("fragmented", payload, frames)
    if ping:
        c.pong = b"p0"
    return c


def gen_ping(rng: random.Random) -> Case:
    """A ping between messages: a pong with the same payload, then the message's reply."""
    p = bytes(rng.randrange(256) for _ in range(rng.randint(0, 125)))
    c = expect_text("ping", dumps(envelope(rng)), [build_frame(OP_PING, p), text(dumps({"type": "state"}))])
    c.pong = p
    return c


# ======================================================================================
# classes that end the connection
# ======================================================================================


def _bad_utf8(rng: random.Random) -> bytes:
    return rng.choice([b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80",
                       b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xfe\xfe", b"\xf8\x88\x80\x80\x80"])


def gen_invalid_utf8(rng: random.Random) -> Case:
    base = dumps(envelope(rng))
    i = rng.randrange(len(base) + 1)
    payload = base[:i] + _bad_utf8(rng) + base[i:]
    if rng.random() < 0.4:  # split so that a fragment boundary may fall inside a sequence
        return Case("invalid_utf8", fragments(payload, rng.randint(2, 5), rng), "close", close_codes=(1007,),
                    note="fragmented invalid UTF-8")
    return Case("invalid_utf8", [text(payload)], "close", close_codes=(1007,), note="invalid UTF-8")


def gen_binary(rng: random.Random) -> Case:
    payload = dumps(envelope(rng)) if rng.random() < 0.5 else bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    frames = [build_frame(OP_BINARY, payload)] if rng.random() < 0.7 else fragments(payload, 3, rng, opcode=OP_BINARY)
    return Case("binary", frames, "close", codes=("SESSION_ERROR",), close_codes=(1000,), pre_frames=1)


def gen_protocol(rng: random.Random) -> Case:
    """Frame-level faults: unmasked frames, RSV bits, reserved opcodes, bad control frames,
    bad continuations, bad close frames."""
    msg = dumps({"type": "state"})
    k = rng.randrange(11)
    if k == 0:
        return Case("unmasked", [text(msg, mask=False)], "close", close_codes=(1002,))
    if k == 1:
        op = rng.choice([OP_TEXT, OP_PING, OP_BINARY])
        return Case("rsv_bits", [build_frame(op, msg if op != OP_PING else b"", rsv=rng.randint(1, 7))], "close",
                    close_codes=(1002,), note=f"opcode {op} rsv")
    if k == 2:
        op = rng.choice(RESERVED_OPCODES)
        return Case("reserved_opcode", [build_frame(op, msg[: rng.randint(0, len(msg))])], "close", close_codes=(1002,),
                    note=f"opcode {op:#x}")
    if k == 3:
        op = rng.choice([OP_PING, OP_PONG, OP_CLOSE])
        return Case("control_oversize", [build_frame(op, b"\x03\xe8" + b"x" * rng.randint(124, 400))], "close",
                    close_codes=(1002,), note=f"opcode {op:#x} payload > 125")
    if k == 4:
        op = rng.choice([OP_PING, OP_PONG, OP_CLOSE])
        return Case("control_fragmented", [build_frame(op, b"\x03\xe8", fin=False)], "close", close_codes=(1002,),
                    note=f"opcode {op:#x} FIN=0")
    if k == 5:
        return Case("bad_continuation", [build_frame(OP_CONT, msg, fin=rng.random() < 0.5)], "close",
                    close_codes=(1002,), note="continuation without a message")
    if k == 6:
        first = build_frame(rng.choice([OP_TEXT, OP_BINARY]), msg[:5], fin=False)
        return Case("bad_continuation", [first, build_frame(rng.choice([OP_TEXT, OP_BINARY]), msg)], "close",
                    close_codes=(1002,), note="new message inside a fragmented one")
    if k == 7:
        return Case("close_frame", [build_frame(OP_CLOSE, b"\x03")], "close", close_codes=(1002,), note="1-byte close")
    if k == 8:
        code = rng.choice(INVALID_CLOSE_CODES)
        return Case("close_frame", [build_frame(OP_CLOSE, close_payload(code))], "close", close_codes=(1002,),
                    note=f"invalid close code {code}")
    if k == 9:
        return Case("close_frame", [build_frame(OP_CLOSE, close_payload(1000, b"bye" + _bad_utf8(rng)))], "close",
                    close_codes=(1007,), note="invalid UTF-8 close reason")
    code = rng.choice(VALID_CLOSE_CODES)
    reason = rng.choice([b"", b"bye", "\u00e9t\u00e9".encode(), b"r" * 123])
    return Case("close_frame", [build_frame(OP_CLOSE, close_payload(code, reason))], "close",
                close_codes=(code, 1000), note=f"valid close {code}")


def gen_oversize(rng: random.Random, limit: int) -> Case:
    """Against the small-limit server: between 1x and 2x the limit one MESSAGE_TOO_LARGE frame
    then close 1000; beyond 2x (also as fragments, or only announced in a frame header) 1009."""
    k = rng.randrange(4)
    if k == 0:
        n = rng.randint(limit + 1, 2 * limit)
        payload = b'{"type":"reset","data":{"pad":"' + b"x" * (n - 32) + b'"}}'
        return Case("oversize", [text(payload)], "close", codes=("MESSAGE_TOO_LARGE",), close_codes=(1000,),
                    pre_frames=1, server="small", note=f"{len(payload)} bytes")
    if k == 1:
        n = rng.randint(2 * limit + 1, 3 * limit)
        return Case("oversize", [text(b"x" * n)], "close", close_codes=(1009,), server="small", note=f"{n} bytes")
    if k == 2:
        n = rng.randint(2 * limit + 1, 3 * limit)
        return Case("oversize", fragments(b"x" * n, rng.randint(3, 10), rng), "close", close_codes=(1009,),
                    server="small", note=f"{n} bytes in fragments")
    n = rng.choice([2 ** 31, 2 ** 40, 2 ** 63 - 1, 2 ** 63 + 5])
    return Case("oversize", [build_frame(OP_TEXT, b"x" * 64, length=n)], "close", close_codes=(1009, 1002),
                server="small", note=f"header announces {n} bytes")


# ======================================================================================
# HTTP classes
# ======================================================================================


@dataclass
class HTTPCase:
    cls: str
    data: bytes
    path: str
    # "json4xx": a 4xx with a JSON body (or, for /mcp, 200 with a JSON-RPC error), connection usable
    # "framing": a 4xx (JSON or empty body) then close, or a clean close
    expect: str
    half_close: bool = False  # shut our write side after sending
    note: str = ""


def _req(path: str, body: bytes, headers: List[Tuple[str, str]] = (), ctype: Optional[str] = "application/json") -> bytes:
    h = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"]
    if ctype:
        h.append(f"Content-Type: {ctype}")
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        h.append(f"Content-Length: {len(body)}")
    h += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def gen_http_body(rng: random.Random) -> HTTPCase:
    """Malformed (or mutated) JSON bodies to POST /reset, /step and /mcp."""
    path = rng.choice(["/reset", "/step", "/mcp"])
    if path == "/mcp":
        good = dumps(rng.choice(MCP_REQUESTS))
    elif path == "/step":
        good = dumps({"action": rng.choice(ECHO_ACTIONS)})
    else:
        good = dumps({"seed": 1})
    k = rng.randrange(6)
    if k == 0:
        body = _mutate_bytes(rng, good)
    elif k == 1:
        body = rng.choice([b"", b"null", b"[]", b"1", b'"s"', b"{", b"}", b"NaN", b"\xff\xfe", b"{\"a\":}", b" "])
    elif k == 2:
        body = b"[" * rng.choice([513, 513, 5000, 50_000]) + b"]" * rng.choice([0, 513])
    elif k == 3:
        body = good[:-1] + b',"x":' + rng.choice([b"1e99999", b"NaN", b"-Infinity", b"9" * 500]) + b"}"
    elif k == 4:
        body = good[:3] + _bad_utf8(rng) + good[3:]
    else:
        body = dumps(weird_value(rng))
    return HTTPCase("http_body", _req(path, body, ctype=rng.choice(["application/json"] * 4 + [None, "text/plain"])), path,
                    "json4xx")


def gen_http_framing(rng: random.Random) -> HTTPCase:
    """Broken chunked bodies, bad Content-Length, garbage request lines."""
    path = rng.choice(["/reset", "/step", "/mcp"])
    body = b'{"seed":1}' if path == "/reset" else b'{"jsonrpc":"2.0","method":"tools/list","id":1}'
    k = rng.randrange(9)
    if k == 0:  # chunk size not hex
        data = _req(path, b"zz\r\n" + body + b"\r\n0\r\n\r\n", [("Transfer-Encoding", "chunked")])
        return HTTPCase("http_chunked", data, path, "framing", note="chunk size not hex")
    if k == 1:  # chunk shorter than announced, then the terminator
        data = _req(path, b"%x\r\n" % (len(body) + 20) + body + b"\r\n0\r\n\r\n", [("Transfer-Encoding", "chunked")])
        return HTTPCase("http_chunked", data, path, "framing", half_close=True, note="chunk shorter than its size")
    if k == 2:  # missing CRLF after the chunk data
        data = _req(path, b"%x\r\n" % len(body) + body + b"XX0\r\n\r\n", [("Transfer-Encoding", "chunked")])
        return HTTPCase("http_chunked", data, path, "framing", note="no CRLF after chunk data")
    if k == 3:  # both transfer-encoding and content-length (request smuggling shape)
        data = _req(path, b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
                    [("Transfer-Encoding", "chunked"), ("Content-Length", "3")])
        return HTTPCase("http_chunked", data, path, "framing", note="TE and CL")
    if k == 4:
        cl = rng.choice(["-1", "abc", "1.5", "99999999999999999999999", " ", "0x10", "+5"])
        return HTTPCase("http_content_length", _req(path, body, [("Content-Length", cl)]), path, "framing",
                        note=f"Content-Length {cl!r}")
    if k == 5:
        return HTTPCase("http_content_length", _req(path, body, [("Content-Length", str(len(body))),
                                                                  ("Content-Length", str(len(body) + 1))]),
                        path, "framing", half_close=True, note="two different Content-Lengths")
    if k == 6:  # longer than sent, then we half-close
        return HTTPCase("http_content_length", _req(path, body, [("Content-Length", str(len(body) + rng.randint(1, 500)))]),
                        path, "framing", half_close=True, note="Content-Length beyond the body, then EOF")
    if k == 7:  # announced far beyond the limit
        return HTTPCase("http_content_length", _req(path, body, [("Content-Length", str(rng.choice([2 ** 31, 10 ** 12])))]),
                        path, "framing", half_close=True, note="huge Content-Length")
    garbage = rng.choice([b"GARBAGE\r\n\r\n", b"POST /reset HTTP/9.9\r\n\r\n", b"POST  HTTP/1.1\r\n\r\n",
                          b"POST /reset HTTP/1.1\r\nBad Header\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                          b"POST /reset HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"a" * 100_000 + b"\r\n\r\n"])
    return HTTPCase("http_request_line", garbage, path, "framing", note=repr(garbage[:30]))


# class name -> (generator, weight); weights are per mille of the run's inputs
WS_CLASSES: Dict[str, Tuple[Callable[[random.Random], Case], float]] = {
    "envelope": (gen_envelope, 334),
    "wrong_types": (gen_wrong_types, 110),
    "huge_numbers": (gen_huge_numbers, 70),
    "nan_inf": (gen_nan_inf, 50),
    "deep_nesting": (gen_deep, 25),
    "duplicate_keys": (gen_duplicate_keys, 50),
    "many_keys": (gen_many_keys, 2),
    "fragmented": (gen_fragmented, 80),
    "ping": (gen_ping, 30),
    "invalid_utf8": (gen_invalid_utf8, 15),
    "binary": (gen_binary, 8),
    "protocol": (gen_protocol, 60),
}
OVERSIZE_WEIGHT = 3
HTTP_CLASSES = {"http_body": (gen_http_body, 150), "http_framing": (gen_http_framing, 13)}
