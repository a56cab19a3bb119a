/// A deliberately misbehaving MCP server on stdio, as a Python script: it answers the
/// handshake and lists its tools properly, and each tool misbehaves in its own way.
/// (`deaf` stops reading its input altogether.) The first argument picks a start-up mode: `exit-at-once`, `mute` (never answers
/// `initialize`) or `noisy-start` (prints a banner on stdout before speaking MCP).
enum FakeMCPServer {
    static let source = #"""
import json, subprocess, sys, time

mode = sys.argv[1] if len(sys.argv) > 1 else ""
if mode == "exit-at-once":
    sys.stderr.write("fake: refusing to start\n")
    sys.exit(4)
if mode == "noisy-start":
    print("Fake MCP server 0.1 starting...", flush=True)

def tool(name, properties=None, required=()):
    return {"name": name, "description": "fake " + name,
            "inputSchema": {"type": "object", "properties": properties or {}, "required": list(required)}}

TOOLS = [tool("echo", {"text": {"type": "string"}}, ["text"]), tool("garbage"), tool("hang"), tool("crash"),
         tool("spawn_child"), tool("chatty"), tool("rich"), tool("fail"), tool("reject"), tool("ping_back"),
         tool("deaf"), tool("step")]

def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()

def text(mid, value):
    send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": value}], "isError": False}})

for line in sys.stdin:
    message = json.loads(line)
    mid, method = message.get("id"), message.get("method")
    if method is None or mid is None:
        continue
    if method == "initialize":
        if mode != "mute":
            send({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                                         "serverInfo": {"name": "fake", "version": "0.1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": mid, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        name, args = message["params"]["name"], message["params"].get("arguments") or {}
        if name == "echo":
            text(mid, args["text"])
        elif name == "garbage":
            print("Traceback (most recent call last): this is not JSON-RPC", flush=True)
        elif name == "hang":
            pass
        elif name == "deaf":
            time.sleep(3600)
        elif name == "crash":
            sys.stderr.write("fake: crashing on purpose\n")
            sys.exit(3)
        elif name == "spawn_child":
            child = subprocess.Popen(["sleep", "300"])
            text(mid, str(child.pid))
        elif name == "chatty":
            sys.stderr.write("x" * 1_000_000 + "\n" + "noise\n" * 20000)
            sys.stderr.flush()
            text(mid, "done")
        elif name == "rich":
            send({"jsonrpc": "2.0", "id": mid, "result": {
                "content": [{"type": "text", "text": "a picture"}, {"type": "image", "data": "aGk=", "mimeType": "image/png"}],
                "structuredContent": {"n": 1}, "isError": False}})
        elif name == "fail":
            send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": "the tool failed"}], "isError": True}})
        elif name == "reject":
            send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32602, "message": "value out of range"}})
        elif name == "ping_back":
            send({"jsonrpc": "2.0", "id": "server-1", "method": "ping"})
            reply = json.loads(sys.stdin.readline())
            text(mid, "pong" if reply.get("id") == "server-1" and reply.get("result") == {} else "bad: " + json.dumps(reply))
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "Method not found"}})
"""#
}
