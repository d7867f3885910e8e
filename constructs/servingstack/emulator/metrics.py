"""Counters: queries served per entity (exported as Prometheus text) and API calls received."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4"


@dataclass
class _Served:
    count: int = 0
    latency_ms_sum: float = 0.0


class QueryMetrics:
    """Queries really answered by a served entity, and how long they took."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: dict[tuple[str, str], _Served] = {}

    def record(self, endpoint: str, entity: str, latency_seconds: float) -> None:
        with self._lock:
            served = self._served.setdefault((endpoint, entity), _Served())
            served.count += 1
            served.latency_ms_sum += latency_seconds * 1000

    def forget(self, endpoint: str) -> None:
        with self._lock:
            for key in [k for k in self._served if k[0] == endpoint]:
                del self._served[key]

    def served(self, endpoint: str, entity: str | None = None) -> int:
        with self._lock:
            return sum(s.count for (e, n), s in self._served.items() if e == endpoint and entity in (None, n))

    def prometheus(self, endpoint: str, entities: list[str]) -> str:
        """The endpoint's metrics in the Prometheus text format (0.0.4): the given entities
        (zeros until they answer) and any other entity that answered before."""
        with self._lock:
            names = list(dict.fromkeys(entities + [n for (e, n) in self._served if e == endpoint]))
            rows = [(name, self._served.get((endpoint, name), _Served())) for name in names]
        lines = [
            "# HELP request_count_total Requests answered by the served entity.",
            "# TYPE request_count_total counter",
        ]
        lines += [f"request_count_total{_labels(endpoint, name)} {s.count}" for name, s in rows]
        lines += [
            "# HELP request_latency_ms Time to answer a request, in milliseconds.",
            "# TYPE request_latency_ms summary",
        ]
        for name, s in rows:
            lines.append(f"request_latency_ms_sum{_labels(endpoint, name)} {s.latency_ms_sum:.3f}")
            lines.append(f"request_latency_ms_count{_labels(endpoint, name)} {s.count}")
        return "\n".join(lines) + "\n"


def _labels(endpoint: str, entity: str) -> str:
    return f'{{endpoint_name="{_escape(endpoint)}",served_entity_name="{_escape(entity)}"}}'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class RequestLog:
    """How many requests the server received, by method and path (admin routes excluded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self._counts[(method, path)] += 1

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        method = method.upper() if method else None
        with self._lock:
            return sum(
                n
                for (m, p), n in self._counts.items()
                if (method is None or m == method) and (path_prefix is None or p.startswith(path_prefix))
            )

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
