#!/usr/bin/env python3
"""A local OpenAI-compatible chat-completions server whose "model" is a few rules.

It speaks the real protocol (POST /v1/chat/completions with `tools` and `tool_calls`,
GET /v1/models, OpenAI-style errors), so an agent harness can be exercised end to end
without a GPU or network. The rules, applied to the last message:

* a user message: call a tool. With a `step` tool taking `answer`, answer the question
  found in the message (sums, differences, products, quotients, square roots; otherwise
  "I don't know"); else call the first tool with a string parameter, passing the user's
  first line;
* a tool answer: reply with text quoting it and call no tool (the turn ends).

With `"logprobs": true` the choice carries `logprobs.content` (one entry per
whitespace-separated token), with `"return_token_ids": true` (vLLM's extension) it carries
`token_ids` and the reply `prompt_token_ids`. Deterministic: the same request gets the
same reply.

    python3 rule_model_server.py --port 0     # prints "listening on http://127.0.0.1:PORT"
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "rule-agent"


def token_ids(text: str) -> list[int]:
    return [zlib.crc32(token.encode()) % 32000 for token in text.split()]


def solve(text: str) -> str:
    """Answers the arithmetic questions of the qa environment; "I don't know" otherwise."""
    question = text
    match = re.search(r'"question"\s*:\s*"([^"]*)"', text)
    if match:
        question = match.group(1)
    binary = re.search(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×÷])\s*(-?\d+(?:\.\d+)?)", question)
    if binary:
        a, op, b = float(binary.group(1)), binary.group(2), float(binary.group(3))
        value = {"+": a + b, "-": a - b, "*": a * b, "x": a * b, "×": a * b,
                 "/": a / b if b else math.nan, "÷": a / b if b else math.nan}[op]
        return f"{value:g}"
    root = re.search(r"square root of (\d+)", question)
    if root:
        return f"{math.sqrt(float(root.group(1))):g}"
    return "I don't know"


def string_parameter(tool: dict) -> str | None:
    properties = (tool.get("function", {}).get("parameters") or {}).get("properties") or {}
    for name, schema in properties.items():
        if isinstance(schema, dict) and schema.get("type") == "string":
            return name
    return None


def reply(request: dict, counter: int) -> dict:
    messages = request["messages"]
    tools = request.get("tools") or []
    last = messages[-1] if messages else {"role": "user", "content": ""}
    content: str | None
    tool_calls = []
    if last.get("role") == "tool":
        content = f"The tool answered: {last.get('content', '')}"
    else:
        text = last.get("content") or ""
        names = {t.get("function", {}).get("name"): t for t in tools}
        if "step" in names and "answer" in ((names["step"]["function"].get("parameters") or {}).get("properties") or {}):
            call = ("step", {"answer": solve(text)})
        else:
            call = next(((t["function"]["name"], {p: text.splitlines()[0] if text else ""})
                         for t in tools if (p := string_parameter(t))), None)
        if call is None:
            content = "I have no tool to use."
        else:
            content = None
            tool_calls.append({"id": f"call_{counter}", "type": "function",
                               "function": {"name": call[0], "arguments": json.dumps(call[1])}})
    generated = content if content is not None else " ".join(c["function"]["arguments"] for c in tool_calls)
    message = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
    if request.get("logprobs"):
        choice["logprobs"] = {"content": [
            {"token": token, "logprob": -0.01 * (i % 7), "bytes": list(token.encode()), "top_logprobs": []}
            for i, token in enumerate(generated.split())]}
    prompt_text = " ".join(str(m.get("content") or "") for m in messages)
    body = {"id": f"chatcmpl-{counter}", "object": "chat.completion", "created": 0, "model": request.get("model", MODEL),
            "choices": [choice],
            "usage": {"prompt_tokens": len(prompt_text.split()), "completion_tokens": len(generated.split()),
                      "total_tokens": len(prompt_text.split()) + len(generated.split())}}
    if request.get("return_token_ids"):
        choice["token_ids"] = token_ids(generated)
        body["prompt_token_ids"] = token_ids(prompt_text)
    return body


class Handler(BaseHTTPRequestHandler):
    counter = 0

    def log_message(self, *args) -> None:  # quiet
        pass

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status: int, message: str) -> None:
        self.send_json(status, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}})

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "openenv"}]})
        else:
            self.error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self.error(404, f"no route {self.path}")
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        except json.JSONDecodeError as e:
            return self.error(400, f"invalid JSON body: {e}")
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list) or not request.get("model"):
            return self.error(400, "'model' and a list of 'messages' are required")
        if request.get("stream"):
            return self.error(400, "stream is not supported by this server")
        Handler.counter += 1
        self.send_json(200, reply(request, Handler.counter))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
