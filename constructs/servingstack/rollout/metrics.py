"""Reading the endpoint's metrics: `GET /api/2.0/serving-endpoints/{name}/metrics` in the Prometheus
text format (SDK `export_metrics` asks with `Accept: text/plain`; OpenMetrics is read too).

What the product docs say ("Track and export serving endpoint health metrics to Prometheus and
Datadog"): `request_count_total`, `request_4xx_count_total`, `request_5xx_count_total` are gauges,
counted "within a minute" (so each sample is a window, not a running counter: never `rate()` them),
and `request_latency_ms` is a histogram in milliseconds. What they do not say, and this module does not
assume: whether series are labelled by served entity (a label named `entity_label`, default
`served_entity_name`, is used when present; otherwise the figures are the whole endpoint's), and
whether lines carry a timestamp (when they do, it tells which window a sample counts; epoch
milliseconds in the Prometheus format, seconds in OpenMetrics).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

DEFAULT_ENTITY_LABEL = "served_entity_name"
REQUESTS = "request_count_total"
ERRORS_4XX = "request_4xx_count_total"
ERRORS_5XX = "request_5xx_count_total"
LATENCY = "request_latency_ms"
_LINE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+(?P<stamp>-?[0-9.eE+]+))?\s*$"
)
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_SECONDS_BEFORE = 1e11  # a stamp below this is epoch seconds (OpenMetrics), above it milliseconds


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float
    stamp_ms: int | None


def parse(text: str) -> list[Sample]:
    """Every sample line; comments, blank lines and lines that do not parse are skipped."""
    samples = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        try:
            value = float(match["value"])
        except ValueError:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(match["labels"] or "")}
        stamp = None
        if match["stamp"]:
            raw = float(match["stamp"])
            stamp = int(raw * 1000) if raw < _SECONDS_BEFORE else int(raw)
        samples.append(Sample(match["name"], labels, value, stamp))
    return samples


@dataclass
class Figures:
    """One window of requests: counts and the latency histogram (cumulative buckets by upper bound)."""

    requests: float = 0.0
    errors_4xx: float = 0.0
    errors_5xx: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)

    def error_rate(self, include_4xx: bool = False) -> float | None:
        if self.requests <= 0:
            return None
        errors = self.errors_5xx + (self.errors_4xx if include_4xx else 0.0)
        return errors / self.requests

    def percentile(self, share: float) -> float | None:
        """The latency at `share` (0..1) from the histogram, interpolated within its bucket as
        Prometheus' `histogram_quantile` does; None without a histogram or requests."""
        if not self.buckets:
            return None
        bounds = sorted(self.buckets)
        total = self.buckets[bounds[-1]]
        if total <= 0:
            return None
        rank = share * total
        lower, below = 0.0, 0.0
        for bound in bounds:
            count = self.buckets[bound]
            if count >= rank:
                if math.isinf(bound):
                    return lower  # beyond the highest finite bucket: its bound is all that is known
                if count == below:
                    return bound
                return lower + (bound - lower) * (rank - below) / (count - below)
            lower, below = bound, count
        return lower


@dataclass
class Snapshot:
    """One read of the metrics: the endpoint's figures, and each entity's when the series say."""

    per_entity: bool
    stamp_ms: int | None
    endpoint: Figures
    entities: dict[str, Figures] = field(default_factory=dict)
    has_latency: bool = False


def snapshot(text: str, entity_label: str = DEFAULT_ENTITY_LABEL) -> Snapshot:
    samples = [s for s in parse(text) if s.name in (REQUESTS, ERRORS_4XX, ERRORS_5XX, f"{LATENCY}_bucket")]
    per_entity = any(entity_label in s.labels for s in samples)
    stamps = [s.stamp_ms for s in samples if s.stamp_ms is not None]
    result = Snapshot(per_entity=per_entity, stamp_ms=max(stamps) if stamps else None, endpoint=Figures())
    for sample in samples:
        targets = [result.endpoint]
        entity = sample.labels.get(entity_label)
        if entity is not None:
            targets.append(result.entities.setdefault(entity, Figures()))
        for figures in targets:
            _add(figures, sample)
        if sample.name == f"{LATENCY}_bucket":
            result.has_latency = True
    return result


def _add(figures: Figures, sample: Sample) -> None:
    if sample.name == REQUESTS:
        figures.requests += sample.value
    elif sample.name == ERRORS_4XX:
        figures.errors_4xx += sample.value
    elif sample.name == ERRORS_5XX:
        figures.errors_5xx += sample.value
    else:
        bound = sample.labels.get("le")
        try:
            upper = float(bound) if bound is not None else None
        except ValueError:
            upper = None
        if upper is not None:
            figures.buckets[upper] = figures.buckets.get(upper, 0.0) + sample.value


@dataclass
class Freshness:
    """Which samples count for a step: only windows wholly after its split went live.

    With stamps: the first stamp after the moment the step was seen live may mark a window that began
    before it; every later stamp marks one that began after it (whether a stamp is a window's start or
    end). Without stamps, a read counts once two windows have passed since then."""

    live_at_ms: int
    window_seconds: float
    first_after: int | None = None
    judged: set[int] = field(default_factory=set)
    last_read_ms: int | None = None

    def verdict(self, stamp_ms: int | None, now_ms: int) -> tuple[bool, bool]:
        """(fresh, new): the sample lies after the step went live, and was not judged before."""
        if stamp_ms is None:  # a new window once per window length
            fresh = now_ms >= self.live_at_ms + 2 * self.window_seconds * 1000
            new = fresh and (self.last_read_ms is None or now_ms >= self.last_read_ms + self.window_seconds * 1000)
            if new:
                self.last_read_ms = now_ms
            return fresh, new
        if stamp_ms <= self.live_at_ms:
            return False, False
        if self.first_after is None or stamp_ms < self.first_after:
            self.first_after = stamp_ms
        if stamp_ms == self.first_after:
            return False, False
        new = stamp_ms not in self.judged
        self.judged.add(stamp_ms)
        return True, new
