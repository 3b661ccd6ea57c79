"""A loopback OpenAI-compatible chat-completions server that answers any spanfact request.

It stands in for a remote model whose only cost is latency: every POST /v1/chat/completions
sleeps `delay_s`, then returns a ChatCompletion whose content satisfies the JSON schema the request
asks for. The schema is read from the request, never from the prompt text, so a change of prompt
wording does not break it:

- `response_format = {"type": "json_schema", "json_schema": {"schema": ...}}` (OpenAI form),
- `response_format = {"type": "json_object", "schema": ...}` (llama.cpp form),
- `{"type": "json_object"}` with the schema written as JSON in a message (plain JSON mode).

A schema with `labels` (the anchored strategy: an object keyed by mention id, each value an
enum of metric names) gets one label per id, each `killed` when its schema allows it; a schema with
`claims` (the whole strategy) gets `{"claims": []}`. Anything else is answered with HTTP 400.

    with StubServer(delay_s=0.2) as base_url:   # e.g. http://127.0.0.1:40123/v1
        os.environ["OPENAI_BASE_URL"] = base_url
        ...

    python -m bench.stub_server --port 8089 --delay 0.2
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast

DEFAULT_DELAY_S = 0.2
DEFAULT_PORT = 8089
PREFERRED_METRIC = "killed"


class StubError(ValueError):
    """The request asks for something the stub cannot answer; sent back as HTTP 400."""


# --- answers -------------------------------------------------------------------------------------


def _resolve(node: Any, root: dict[str, Any]) -> Any:
    """Follow local `$ref`s ("#/$defs/Name") to the schema they name."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#/") or seen > 32:
            raise StubError(f"cannot follow $ref {ref!r}")
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        seen += 1
    return node


def _choices(node: Any, root: dict[str, Any]) -> list[Any] | None:
    """The values a schema allows, when it lists them (const, enum, or a union of those)."""
    node = _resolve(node, root)
    if not isinstance(node, dict):
        return None
    if "const" in node:
        return [node["const"]]
    if isinstance(node.get("enum"), list):
        return list(node["enum"])
    alternatives = [*node.get("anyOf", []), *node.get("oneOf", [])]
    if not alternatives:
        return None
    found: list[Any] = []
    for alternative in alternatives:
        values = _choices(alternative, root)
        if values is None:
            return None
        found += values
    return found


def _labels(labels_schema: Any, root: dict[str, Any]) -> dict[str, str]:
    node = _resolve(labels_schema, root)
    props = node.get("properties") if isinstance(node, dict) else None
    if not props:
        raise StubError("`labels` names no mention ids")
    out = {}
    for key, item in props.items():
        metrics = _choices(item, root)
        if metrics is None or PREFERRED_METRIC in metrics:
            metric = PREFERRED_METRIC
        else:
            metric = next((m for m in metrics if m != "none"), metrics[0])
        out[key] = metric
    return out


def answer_for(schema: dict[str, Any]) -> dict[str, Any]:
    """An answer that satisfies a spanfact response schema."""
    props = schema.get("properties")
    if not isinstance(props, dict):
        raise StubError("the response schema has no properties")
    if "labels" in props:
        return {"labels": _labels(props["labels"], schema)}
    if "claims" in props:
        return {"claims": []}
    raise StubError(f"no stub answer for a schema with properties {sorted(props)}")


def _schema_in_text(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` that looks like a JSON schema (plain JSON mode)."""
    decoder = json.JSONDecoder()
    at = text.find("{")
    while at >= 0:
        try:
            value, _ = decoder.raw_decode(text, at)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            return value
        at = text.find("{", at + 1)
    return None


def requested_schema(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema a chat-completions request asks the answer to satisfy."""
    rf = body.get("response_format")
    if isinstance(rf, dict):
        wrapped = rf.get("json_schema")
        if isinstance(wrapped, dict) and isinstance(wrapped.get("schema"), dict):
            return cast(dict[str, Any], wrapped["schema"])
        if isinstance(rf.get("schema"), dict):
            return cast(dict[str, Any], rf["schema"])
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            schema = _schema_in_text(content)
            if schema is not None:
                return schema
    raise StubError("the request carries no JSON schema (response_format or message)")


def completion(body: dict[str, Any], content: str, number: int) -> dict[str, Any]:
    """A ChatCompletion as an OpenAI-compatible server returns it, with rough token counts."""
    prompt_chars = sum(
        len(str(m.get("content", ""))) for m in body.get("messages") or [] if isinstance(m, dict)
    )
    prompt_tokens = max(1, prompt_chars // 4)
    completion_tokens = max(1, len(content) // 4)
    return {
        "id": f"chatcmpl-stub-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or "stub"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


# --- server --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scripted:
    """What the stub does with one request, for tests that need more than the default answer.

    A status other than 200 is sent as an error with `headers` (e.g. 429 with Retry-After);
    `content` replaces the schema-filling answer (e.g. the claims a `whole` request is to get).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content: str | None = None


# Called with the request body; returns the answer's content, or None for the default answer.
Responder = Callable[[dict[str, Any]], str | None]


@dataclass
class StubStats:
    requests: int = 0
    errors: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog (5) can overflow when 16 clients connect at once, and a dropped
    # connection attempt costs the client a retransmit of a second: a stall that would look like
    # the pipeline's fault.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        delay_s: float,
        script: Sequence[Scripted] = (),
        responder: Responder | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.delay_s = delay_s
        self.script = list(script)  # consumed one entry per request, then default answers
        self.responder = responder
        self.stats = StubStats()
        self.stats_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is exercised
    timeout = 30  # idle keep-alive connections are closed after this many seconds

    @property
    def stub(self) -> _Server:
        return cast(_Server, self.server)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the figures

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        with self.stub.stats_lock:
            self.stub.stats.errors += 1
        payload = {"error": {"message": message, "type": "invalid_request_error"}}
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.rstrip("/")
        if path in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
        elif path == "/stats":
            with self.stub.stats_lock:
                self._send_json(200, asdict(self.stub.stats))
        else:
            self._error(404, f"no route GET {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") == "/stats/reset":
            with self.stub.stats_lock:
                self.stub.stats = StubStats()
            self._send_json(200, {})
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route POST {self.path}")
            return
        stats, lock = self.stub.stats, self.stub.stats_lock
        with lock:
            stats.requests += 1
            number = stats.requests
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            scripted = self.stub.script.pop(0) if self.stub.script else Scripted()
        try:
            if scripted.status != 200:
                self._error(scripted.status, "scripted error", scripted.headers)
                return
            try:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise StubError("the request body is not a JSON object")
                responder = self.stub.responder
                content = scripted.content or (responder(body) if responder else None)
                if content is None:
                    content = json.dumps(answer_for(requested_schema(body)))
            except (ValueError, KeyError, TypeError) as exc:  # StubError, bad JSON, bad $ref
                self._error(400, f"{type(exc).__name__}: {exc}")
                return
            if self.stub.delay_s > 0:
                time.sleep(self.stub.delay_s)
            self._send_json(200, completion(body, content, number))
        finally:
            with lock:
                stats.in_flight -= 1


class _Running:
    """As a context manager: `start()` on entry, giving the base URL; `stop()` on exit."""

    def start(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class StubServer(_Running):
    """The stub in a background thread; as a context manager it gives its base URL."""

    def __init__(
        self,
        *,
        delay_s: float = DEFAULT_DELAY_S,
        host: str = "127.0.0.1",
        port: int = 0,
        script: Sequence[Scripted] = (),
        responder: Responder | None = None,
    ) -> None:
        self._server = _Server((host, port), delay_s, script, responder)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}/v1"

    @property
    def stats(self) -> StubStats:
        with self._server.stats_lock:
            s = self._server.stats
            return StubStats(s.requests, s.errors, s.in_flight, s.max_in_flight)

    def reset_stats(self) -> None:
        with self._server.stats_lock:
            self._server.stats = StubStats()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the standalone command)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def start(self) -> str:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # `stop` waits up to this long
                name="stub-server",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()


class StubProcess(_Running):
    """The stub in a child process; as a context manager it gives its base URL.

    Benchmarks use this one: in-process, the stub's request handling would take the GIL from the
    pipeline's worker threads and count as the pipeline's own cost.
    """

    def __init__(
        self, *, delay_s: float = DEFAULT_DELAY_S, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.delay_s = delay_s
        self.host = host
        self.port = port
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def _get(self, path: str, *, post: bool = False) -> dict[str, Any]:
        root = self.base_url.removesuffix("/v1")
        request = urllib.request.Request(root + path, data=b"{}" if post else None)
        with urllib.request.urlopen(request, timeout=10) as response:
            return cast(dict[str, Any], json.loads(response.read()))

    @property
    def stats(self) -> StubStats:
        return StubStats(**self._get("/stats"))

    def reset_stats(self) -> None:
        self._get("/stats/reset", post=True)

    def start(self) -> str:
        if self._proc is not None:
            return self.base_url
        command = [
            sys.executable,
            "-m",
            "bench.stub_server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--delay",
            str(self.delay_s),
        ]
        root = Path(__file__).resolve().parent.parent
        self._proc = subprocess.Popen(
            command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline()  # "stub serving on http://HOST:PORT/v1 ..."
        found = re.search(r"http://\S+/v1", first)
        if found is None:
            self.stop()
            raise RuntimeError(f"the stub process did not start: {first!r}")
        self.base_url = found.group(0)
        return self.base_url

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()  # SIGTERM: SIGINT is ignored by children of non-interactive shells
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stub_server", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=DEFAULT_DELAY_S, help="seconds per answer")
    args = parser.parse_args(argv)
    stub = StubServer(delay_s=args.delay, host=args.host, port=args.port)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as Ctrl-C does, stats printed
    print(f"stub serving on {stub.base_url} (delay {args.delay * 1000:.0f} ms); Ctrl-C stops it")
    print(f"  OPENAI_BASE_URL={stub.base_url} spanfact run ... --model openai:stub")
    sys.stdout.flush()
    try:
        stub.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        s = stub.stats
        print(f"\n{s.requests} requests, {s.errors} errors, at most {s.max_in_flight} in flight")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
