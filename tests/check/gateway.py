"""A reverse proxy on 127.0.0.1 in front of the emulator, standing in for what can sit between a
checker and a workspace: a gateway that answers some requests itself (a 502 HTML page, a plain-text
503, a 200 login page) and one that answers a byte at a time (slow-loris, headers and body)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the checker at its deadline) is not a failure here


@dataclass
class Injected:
    """The gateway's own answer to the next `count` requests whose path contains `path`."""

    count: int
    status: int
    body: str
    content_type: str
    path: str
    reason: str | None = None


class Gateway:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.injected: list[Injected] = []
        self.slow_paths: list[str] = []  # paths (prefixes) answered byte by byte
        self.byte_seconds = 0.2
        self.seen: list[str] = []
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                gateway.seen.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                own = gateway._take(self.path)
                if own is not None:
                    self._answer(own.status, own.reason, own.content_type, own.body.encode())
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = requests.request(
                    self.command, gateway.upstream + self.path, data=body, headers=headers, timeout=30
                )
                self._answer(
                    answer.status_code, answer.reason, answer.headers.get("Content-Type", ""), answer.content, answer
                )

            def _answer(self, status: int, reason: str | None, content_type: str, body: bytes, upstream=None) -> None:
                head = f"HTTP/1.0 {status} {reason or ''}\r\nContent-Type: {content_type}\r\n"
                if upstream is not None and upstream.headers.get("served-model-name"):
                    head += f"served-model-name: {upstream.headers['served-model-name']}\r\n"
                head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                raw = head.encode() + body
                if any(self.path.startswith(p) for p in gateway.slow_paths):
                    for byte in raw:  # slow-loris: every read gets a byte, no read ever times out
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(gateway.byte_seconds)
                else:
                    self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _take(self, path: str) -> Injected | None:
        with self._lock:
            for injected in self.injected:
                if injected.path in path and injected.count > 0:
                    injected.count -= 1
                    return injected
        return None

    def inject(
        self, count: int, status: int, body: str, content_type: str, path: str, reason: str | None = None
    ) -> None:
        with self._lock:
            self.injected.append(Injected(count, status, body, content_type, path, reason))

    def left(self) -> int:
        with self._lock:
            return sum(i.count for i in self.injected)

    def __enter__(self) -> Gateway:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
