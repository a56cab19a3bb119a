"""A local OTLP/HTTP trace receiver for the tracing tests (test_tracing.py).

Listens on 127.0.0.1 (a free port) for `POST /v1/traces`, decodes each export with the
OpenTelemetry project's own classes (`opentelemetry-proto`) for `application/x-protobuf`, or
as OTLP/JSON for `application/json`, answers 200 with an empty export response, and keeps
every span it received, flattened to a `ReceivedSpan`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    parent_span_id: str  # "" for a root span
    kind: str  # "server", "internal", ...
    status_code: str  # "unset", "ok", "error"
    attributes: Dict[str, Any] = field(default_factory=dict)
    service_name: str = ""
    content_type: str = ""


def _proto_value(v: Any) -> Any:
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


def _json_value(v: Dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        return int(v["intValue"])
    return None


def _json_id(value: str) -> str:
    """OTLP/JSON ids are hex strings; some exporters send base64 (the protobuf JSON mapping)."""
    if not value:
        return ""
    try:
        bytes.fromhex(value)
        return value.lower()
    except ValueError:
        return base64.b64decode(value).hex()


_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS = {0: "unset", 1: "ok", 2: "error"}


def _enum(value: Any, names: Dict[int, str], prefix: str) -> str:
    if isinstance(value, str):  # the JSON mapping may spell enums by name
        return value.removeprefix(prefix).lower()
    return names.get(int(value), str(value))


class OTLPReceiver:
    def __init__(self) -> None:
        self.spans: List[ReceivedSpan] = []
        self.requests = 0
        self.errors: List[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                ctype = (self.headers.get("content-type") or "").split(";")[0].strip()
                try:
                    if self.path != "/v1/traces":
                        raise ValueError(f"unexpected path {self.path}")
                    spans = receiver._decode(body, ctype)
                except Exception as e:  # recorded, and the test fails on it
                    with receiver._lock:
                        receiver.errors.append(f"{self.path} {ctype}: {e!r}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.requests += 1
                    receiver.spans.extend(spans)
                answer = b"{}" if ctype == "application/json" else ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", ctype or "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "OTLPReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _decode(self, body: bytes, ctype: str) -> List[ReceivedSpan]:
        out: List[ReceivedSpan] = []
        if ctype == "application/json":
            doc = json.loads(body)
            for rs in doc.get("resourceSpans", []):
                resource = {a["key"]: _json_value(a["value"]) for a in rs.get("resource", {}).get("attributes", [])}
                for ss in rs.get("scopeSpans", []):
                    for s in ss.get("spans", []):
                        out.append(ReceivedSpan(
                            name=s["name"], trace_id=_json_id(s["traceId"]), span_id=_json_id(s["spanId"]),
                            parent_span_id=_json_id(s.get("parentSpanId", "")),
                            kind=_enum(s.get("kind", 0), _KINDS, "SPAN_KIND_"),
                            status_code=_enum(s.get("status", {}).get("code", 0), _STATUS, "STATUS_CODE_"),
                            attributes={a["key"]: _json_value(a["value"]) for a in s.get("attributes", [])},
                            service_name=resource.get("service.name", ""), content_type=ctype))
            return out
        if ctype != "application/x-protobuf":
            raise ValueError(f"unexpected content type {ctype!r}")
        request = ExportTraceServiceRequest.FromString(body)
        for rs in request.resource_spans:
            resource = {a.key: _proto_value(a.value) for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    out.append(ReceivedSpan(
                        name=s.name, trace_id=s.trace_id.hex(), span_id=s.span_id.hex(), parent_span_id=s.parent_span_id.hex(),
                        kind=_KINDS.get(s.kind, str(s.kind)), status_code=_STATUS.get(s.status.code, str(s.status.code)),
                        attributes={a.key: _proto_value(a.value) for a in s.attributes},
                        service_name=resource.get("service.name", ""), content_type=ctype))
        return out

    def wait_for(self, count: int, timeout: float = 15.0) -> List[ReceivedSpan]:
        """Waits until at least `count` spans arrived; returns all received so far."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                spans = list(self.spans)
            if len(spans) >= count or time.monotonic() >= deadline:
                return spans
            time.sleep(0.05)

    def snapshot(self) -> List[ReceivedSpan]:
        with self._lock:
            return list(self.spans)


assert Span.SpanKind.SPAN_KIND_SERVER == 2  # the numbering _KINDS assumes
