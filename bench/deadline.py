"""How long `run_check` takes against a host that cannot be checked, against its `--timeout`.

Four hosts made on this machine: a closed port (connection refused), a listening socket that
never accepts nor answers (no answer), a server that answers every request one byte every
0.2 s (slow-loris: each socket read gets a byte, so no per-read timeout ever fires), and a name
under `.invalid` (cannot resolve). For each timeout, RUNS in-process runs; prints the median and
the maximum, and the message.

    .venv/bin/python bench/deadline.py
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "constructs"))

from servingstack.check import SetupError, run_check  # noqa: E402

RUNS = 3
TIMEOUTS = (3.0, 10.0)
STACK = {
    "resource": {
        "databricks_model_serving": {
            "chat": {
                "name": "bench-chat",
                "config": {
                    "served_entities": [
                        {"name": "llm", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}
                    ]
                },
            }
        }
    }
}


class _ByteAtATime(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        answer = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        try:
            for byte in answer:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the checker gave up: what this host is for

    def log_message(self, *args: object) -> None:
        pass


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def main() -> None:
    stack = Path(tempfile.mkdtemp()) / "stacks" / "bench"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(STACK))
    slow = _Quiet(("127.0.0.1", 0), _ByteAtATime)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    with socket.socket() as silent, socket.socket() as closed:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
        closed.close()
        hosts = {
            "connection refused": f"http://127.0.0.1:{refused_port}",
            "no answer": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "a byte at a time": f"http://127.0.0.1:{slow.server_address[1]}",
            "cannot resolve": "https://servingstack-bench.invalid",
        }
        print("| --timeout | host | median s | max s | message |")
        print("|---:|---|---:|---:|---|")
        for timeout in TIMEOUTS:
            for kind, host in hosts.items():
                seconds, message = [], ""
                for _ in range(RUNS):
                    started = time.monotonic()
                    try:
                        run_check(stack, host=host, token="bench-token-1234", timeout=timeout, progress="none")
                    except SetupError as error:
                        message = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", str(error)).split(": nothing")[0]
                        message = message.split(": the connection")[0].split(": it accepts")[0]
                    seconds.append(time.monotonic() - started)
                print(f"| {timeout:g} | {kind} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | {message} |")


if __name__ == "__main__":
    main()
