"""The endpoint metrics the service exports, and the API calls the emulator received.

`GET /api/2.0/serving-endpoints/{name}/metrics` (SDK `export_metrics`: "Retrieves the metrics associated
with the provided serving endpoint in either Prometheus or OpenMetrics exposition format") answers in the
Prometheus text format. The names and types are the product docs' ("Track and export serving endpoint
health metrics to Prometheus and Datadog", Datadog section): `request_count_total`,
`request_4xx_count_total` and `request_5xx_count_total` are gauges despite their suffix, the number of
requests "within a minute" (the docs' definitions; Datadog's integration: "Number of requests during the
last minute"), and `request_latency_ms` is a histogram in milliseconds. So every value here is the last
completed window (a minute, or `window_seconds` for tests), stamped with the window's end in epoch
milliseconds (third-party scrapes show minute-aligned epoch-ms stamps; UNCONFIRMED in Databricks' docs).

UNCONFIRMED: whether the service labels series by served entity. No Databricks source names such a
label (Datadog's monitors group by endpoint only), so by default the series are the endpoint's alone;
`per_entity=True` adds a `served_entity_name` label (a name of our choosing) for a service that has one.
Histogram bucket bounds: third-party scrapes show 5 ms to 600000 ms and +Inf (exact list UNCONFIRMED).
CPU, memory and concurrency gauges are not emulated.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4"
DEFAULT_WINDOW_SECONDS = 60.0
ENTITY_LABEL = "served_entity_name"
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000)
_KEPT_WINDOWS = 3


@dataclass
class _Window:
    requests: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    latency_ms_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))

    def add(self, status: int, latency_ms: float) -> None:
        self.requests += 1
        if 400 <= status < 500:
            self.errors_4xx += 1
        elif status >= 500:
            self.errors_5xx += 1
        self.latency_ms_sum += latency_ms
        index = next((i for i, bound in enumerate(LATENCY_BUCKETS_MS) if latency_ms <= bound), len(LATENCY_BUCKETS_MS))
        self.buckets[index] += 1

    def merge(self, other: _Window) -> None:
        self.requests += other.requests
        self.errors_4xx += other.errors_4xx
        self.errors_5xx += other.errors_5xx
        self.latency_ms_sum += other.latency_ms_sum
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets)]


class QueryMetrics:
    """Requests per endpoint and served entity, in windows of `window_seconds`; and queries answered."""

    def __init__(
        self,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        per_entity: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (math.isfinite(window_seconds) and window_seconds > 0):
            raise ValueError("the metrics window must be a positive number of seconds")
        self.window_seconds = float(window_seconds)
        self.per_entity = per_entity
        self._clock = clock
        self._lock = threading.Lock()
        # (endpoint, entity or None) -> window index -> counts
        self._windows: dict[tuple[str, str | None], dict[int, _Window]] = {}
        self._answered: Counter[tuple[str, str]] = Counter()

    def _index(self, at: float) -> int:
        return math.floor(at / self.window_seconds)

    def record(self, endpoint: str, entity: str | None, status: int, latency_seconds: float) -> None:
        """One request to the endpoint, answered by `entity` (None: no entity got it) with `status`."""
        index = self._index(self._clock())
        with self._lock:
            windows = self._windows.setdefault((endpoint, entity), {})
            windows.setdefault(index, _Window()).add(status, latency_seconds * 1000)
            for old in [i for i in windows if i < index - _KEPT_WINDOWS]:
                del windows[old]
            if entity is not None and status < 400:
                self._answered[(endpoint, entity)] += 1

    def forget(self, endpoint: str) -> None:
        with self._lock:
            for key in [k for k in self._windows if k[0] == endpoint]:
                del self._windows[key]
            for key in [k for k in self._answered if k[0] == endpoint]:
                del self._answered[key]

    def served(self, endpoint: str, entity: str | None = None) -> int:
        """Queries answered (not failed) by the endpoint's entities, or one entity, since it was created."""
        with self._lock:
            return sum(n for (e, name), n in self._answered.items() if e == endpoint and entity in (None, name))

    def prometheus(self, endpoint: str, entities: list[str]) -> str:
        """The endpoint's last completed window in the Prometheus text format (0.0.4): one series for
        the endpoint, or (per entity) one per entity of `entities` and any other that had requests."""
        index = self._index(self._clock()) - 1
        stamp = int(round((index + 1) * self.window_seconds * 1000))
        with self._lock:
            rows = {
                entity: windows.get(index, _Window())
                for (name, entity), windows in self._windows.items()
                if name == endpoint
            }
        series: list[tuple[str, _Window]] = []
        if self.per_entity:
            names = list(dict.fromkeys(entities + [e for e in rows if e is not None]))
            series = [(f'{ENTITY_LABEL}="{_escape(name)}"', rows.get(name, _Window())) for name in names]
        else:
            total = _Window()
            for window in rows.values():
                total.merge(window)
            series = [("", total)]
        return _render(series, stamp, self.window_seconds)


def _render(series: list[tuple[str, _Window]], stamp: int, window_seconds: float) -> str:
    during = "the last minute" if window_seconds == 60 else f"the last completed window of {window_seconds:g} s"
    lines: list[str] = []
    for metric, what, value in (
        ("request_count_total", "Number of requests", lambda w: w.requests),
        ("request_4xx_count_total", "Number of 4xx errors", lambda w: w.errors_4xx),
        ("request_5xx_count_total", "Number of 5xx errors", lambda w: w.errors_5xx),
    ):
        lines += [f"# HELP {metric} {what} during {during}.", f"# TYPE {metric} gauge"]
        lines += [f"{metric}{_braces(labels)} {value(window)} {stamp}" for labels, window in series]
    lines += [
        f"# HELP request_latency_ms Request latency in milliseconds during {during}.",
        "# TYPE request_latency_ms histogram",
    ]
    for labels, window in series:
        running = 0
        for bound, count in zip([*map(str, LATENCY_BUCKETS_MS), "+Inf"], window.buckets):
            running += count
            le = f'le="{bound}"'
            lines.append(f"request_latency_ms_bucket{_braces(labels, le)} {running} {stamp}")
        lines.append(f"request_latency_ms_sum{_braces(labels)} {window.latency_ms_sum:.3f} {stamp}")
        lines.append(f"request_latency_ms_count{_braces(labels)} {window.requests} {stamp}")
    return "\n".join(lines) + "\n"


def _braces(*labels: str) -> str:
    shown = ",".join(label for label in labels if label)
    return f"{{{shown}}}" if shown else ""


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
