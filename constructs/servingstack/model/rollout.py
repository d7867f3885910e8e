"""A declared progressive rollout: the candidate takes the traffic from the stable entity step by step,
each step proven by gates before the next, and `servingstack rollout` moves it back by itself when they fail.

    ServingEndpoint(..., served_entities=[CustomModel("ml.fraud.scorer", 3, name="v3"),
                                          CustomModel("ml.fraud.scorer", 4, name="v4")],
                    rollout=Rollout(stable="v3", candidate="v4", steps=[5, 25, 50, 100], bake="10m",
                                    gates=[Gate.probes(), Gate.error_rate(max_rate=0.01, max_increase=0.005),
                                           Gate.latency(max_ratio=1.5, percentile=99)],
                                    failure_limit=2))

The stack then declares the split the endpoint starts from (stable 100%, candidate 0%, every other
entity 0%) and leaves the traffic to the rollout between applies (`lifecycle.ignore_changes` on each
route; see `facts.ignore_changes`). Plain Python, validated before any jsii call, written into the
stack beside the endpoint's metadata as JSON (`to_json`), which the rollout command reads back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servingstack.errors import Problem
from servingstack.model.typecheck import typed

GATE_KINDS = ("probes", "error_rate", "latency")
DEFAULT_STEPS = (5, 25, 50, 100)
DEFAULT_BAKE = "10m"
MAX_DEFAULT_INTERVAL_SECONDS = 60.0
# Go's time.ParseDuration units, as Terraform durations are written ("10m", "1h30m", "90s", "1.5h").
_DURATION = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

Duration = str | int | float


def duration_seconds(value: Any) -> float | None:
    """Seconds of a duration written `"10m"`, `"1h30m"`, `"90s"`, `"500ms"`, or as a number of seconds;
    None when it is neither (or not positive and finite)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.match(value.strip()):
        seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(value.strip()))
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@typed
@dataclass(frozen=True)
class Gate:
    """One thing a step must prove while it bakes, evaluated at every interval. Build with
    `Gate.probes()`, `Gate.error_rate(...)` or `Gate.latency(...)`.

    - `probes`: the candidate's own smoke query and the endpoint's declared expectations that apply to
      it, sent to its own route (`/served-models/<candidate>/invocations`), each `queries` times.
    - `error_rate`: the candidate's share of failed requests (5xx; with `include_4xx` also 4xx) in the
      endpoint's metrics: at most `max_rate` (0.01 is 1%), and at most `max_increase` above the stable
      entity's. Inconclusive below `min_requests` requests of the candidate in a sample.
    - `latency`: the candidate's `percentile` latency from the endpoint's latency histogram: at most
      `max_ms`, and at most `max_ratio` times the stable entity's. Inconclusive below `min_requests`.
    """

    kind: str
    max_rate: float | None = None
    max_increase: float | None = None
    max_ms: float | None = None
    max_ratio: float | None = None
    percentile: float = 99.0
    min_requests: int = 100
    queries: int = 1
    include_4xx: bool = False

    @classmethod
    def probes(cls, queries: int = 1) -> Gate:
        """The candidate answers its own smoke query and meets the declared expectations, on its own route."""
        return cls("probes", queries=queries, min_requests=0)

    @classmethod
    def error_rate(
        cls,
        *,
        max_rate: float | None = None,
        max_increase: float | None = None,
        min_requests: int = 100,
        include_4xx: bool = False,
    ) -> Gate:
        """At most `max_rate` of the candidate's requests fail, and at most `max_increase` more than the stable's."""
        return cls(
            "error_rate",
            max_rate=max_rate,
            max_increase=max_increase,
            min_requests=min_requests,
            include_4xx=include_4xx,
        )

    @classmethod
    def latency(
        cls,
        *,
        max_ms: float | None = None,
        max_ratio: float | None = None,
        percentile: float = 99.0,
        min_requests: int = 100,
    ) -> Gate:
        """The candidate's `percentile` latency at most `max_ms`, and at most `max_ratio` times the stable's."""
        return cls("latency", max_ms=max_ms, max_ratio=max_ratio, percentile=percentile, min_requests=min_requests)

    @property
    def name(self) -> str:
        """How reports name the gate: `probes`, `error_rate`, `latency_p99`."""
        if self.kind == "latency":
            return f"latency_p{self.percentile:g}"
        return self.kind

    def describe(self) -> str:
        if self.kind == "probes":
            return f"the candidate's own queries and expectations ({self.queries} per expectation)"
        limits = []
        if self.kind == "error_rate":
            what = "5xx and 4xx" if self.include_4xx else "5xx"
            if self.max_rate is not None:
                limits.append(f"<= {self.max_rate:.2%}")
            if self.max_increase is not None:
                limits.append(f"<= stable + {self.max_increase:.2%}")
            return f"error rate ({what}) {' and '.join(limits)}, from {self.min_requests} requests"
        if self.max_ms is not None:
            limits.append(f"<= {self.max_ms:g} ms")
        if self.max_ratio is not None:
            limits.append(f"<= {self.max_ratio:g} x stable")
        return f"p{self.percentile:g} latency {' and '.join(limits)}, from {self.min_requests} requests"

    def problems(self, where: str) -> list[Problem]:
        if self.kind not in GATE_KINDS:
            return [
                Problem(where, f"{self.kind!r} is not a gate: use Gate.probes(), .error_rate(...) or .latency(...)")
            ]
        problems: list[Problem] = []
        if isinstance(self.min_requests, bool) or not isinstance(self.min_requests, int) or self.min_requests < 0:
            problems.append(Problem(f"{where}.min_requests", f"must be a whole number >= 0, got {self.min_requests!r}"))
        if self.kind == "probes":
            if isinstance(self.queries, bool) or not isinstance(self.queries, int) or self.queries < 1:
                problems.append(Problem(f"{where}.queries", f"must be a whole number >= 1, got {self.queries!r}"))
        elif self.kind == "error_rate":
            if self.max_rate is None and self.max_increase is None:
                problems.append(Problem(where, "needs max_rate (e.g. 0.01 for 1%) or max_increase over the stable's"))
            for field in ("max_rate", "max_increase"):
                value = getattr(self, field)
                if value is not None and not (_number(value) and 0 <= value <= 1):
                    problems.append(
                        Problem(f"{where}.{field}", f"must be a share from 0 to 1 (0.01 is 1%), got {value!r}")
                    )
        else:
            if self.max_ms is None and self.max_ratio is None:
                problems.append(Problem(where, "needs max_ms or max_ratio (times the stable's latency)"))
            for field in ("max_ms", "max_ratio"):
                value = getattr(self, field)
                if value is not None and not (_number(value) and value > 0):
                    problems.append(Problem(f"{where}.{field}", f"must be a number > 0, got {value!r}"))
            if not (_number(self.percentile) and 0 < self.percentile < 100):
                problems.append(Problem(f"{where}.percentile", f"must be between 0 and 100, got {self.percentile!r}"))
        return problems

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind == "probes":
            data["queries"] = self.queries
            return data
        data["min_requests"] = self.min_requests
        if self.kind == "error_rate":
            data.update(max_rate=self.max_rate, max_increase=self.max_increase, include_4xx=self.include_4xx)
        else:
            data.update(max_ms=self.max_ms, max_ratio=self.max_ratio, percentile=self.percentile)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Gate:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "kind"}
        if data.get("kind") == "probes":
            known.setdefault("min_requests", 0)
        return cls(str(data.get("kind")), **known)


@typed
@dataclass(frozen=True)
class Rollout:
    """A progressive rollout from `stable` to `candidate` (served entity names of the endpoint).

    - `steps`: the candidate's traffic percentages, increasing, ending at 100; default 5, 25, 50, 100.
    - `bake`: how long each step must hold with its gates passing; `"10m"`, `"90s"`, `"1h"` or seconds;
      default 10 minutes. A gate that could not judge yet (too few requests) extends the bake, up to
      twice its length; without proof by then, the rollout rolls back.
    - `interval`: how often the gates are evaluated while a step bakes; default a quarter of the bake,
      at most one minute.
    - `gates`: default `[Gate.probes()]`; add `Gate.error_rate(...)` and `Gate.latency(...)` for the
      endpoint's metrics.
    - `failure_limit`: failed gate evaluations (over the whole rollout) that roll it back; default 2.
    """

    stable: str
    candidate: str
    steps: Sequence[int] = DEFAULT_STEPS
    bake: Duration = DEFAULT_BAKE
    interval: Duration | None = None
    gates: Sequence[Gate] = (Gate.probes(),)
    failure_limit: int = 2

    def bake_seconds(self) -> float:
        return duration_seconds(self.bake) or 0.0

    def interval_seconds(self) -> float:
        if self.interval is not None:
            return duration_seconds(self.interval) or 0.0
        return min(MAX_DEFAULT_INTERVAL_SECONDS, self.bake_seconds() / 4)

    def gate_list(self) -> list[Gate]:
        return list(self.gates) if isinstance(self.gates, (list, tuple)) else [self.gates]  # type: ignore[list-item]

    def step_list(self) -> list[int]:
        return list(self.steps) if isinstance(self.steps, (list, tuple)) else []

    def problems(self, entity_names: Sequence[str]) -> list[Problem]:
        """Every problem, named `rollout.<field>`, for an endpoint serving `entity_names`."""
        problems: list[Problem] = []
        names = ", ".join(entity_names) or "none"
        for field in ("stable", "candidate"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(f"rollout.{field}", "must be the name of a served entity"))
            elif value not in entity_names:
                problems.append(
                    Problem(f"rollout.{field}", f"{value!r} is not a served entity of this endpoint ({names})")
                )
        if isinstance(self.stable, str) and self.stable and self.stable == self.candidate:
            problems.append(Problem("rollout.candidate", "must differ from the stable entity"))
        problems += _step_problems(self.steps)
        bake = duration_seconds(self.bake)
        if bake is None:
            problems.append(Problem("rollout.bake", f"{self.bake!r} is not a duration such as '10m', '90s' or 600"))
        if self.interval is not None:
            interval = duration_seconds(self.interval)
            if interval is None:
                problems.append(
                    Problem("rollout.interval", f"{self.interval!r} is not a duration such as '1m', '15s' or 30")
                )
            elif bake is not None and interval > bake:
                problems.append(Problem("rollout.interval", "must not be longer than the bake"))
        gates = self.gate_list()
        if not gates:
            problems.append(Problem("rollout.gates", "needs at least one Gate"))
        for index, gate in enumerate(gates):
            if not isinstance(gate, Gate):
                problems.append(Problem(f"rollout.gates[{index}]", "must be a Gate (Gate.probes(), ...)"))
            else:
                problems += gate.problems(f"rollout.gates[{index}]")
        limit = self.failure_limit
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            problems.append(Problem("rollout.failure_limit", f"must be a whole number >= 1, got {limit!r}"))
        return problems

    def split(self, percent: int, entity_names: Sequence[str]) -> dict[str, int]:
        """The traffic split with the candidate at `percent`, in the order the routes are declared:
        the stable entity first, every other entity (at 0%) as served, the candidate last."""
        others = [n for n in entity_names if n not in (self.stable, self.candidate)]
        return {self.stable: 100 - percent, **{name: 0 for name in others}, self.candidate: percent}

    def to_json(self) -> dict[str, Any]:
        return {
            "stable": self.stable,
            "candidate": self.candidate,
            "steps": list(self.step_list()),
            "bake_seconds": self.bake_seconds(),
            "interval_seconds": self.interval_seconds(),
            "gates": [g.to_json() for g in self.gate_list()],
            "failure_limit": self.failure_limit,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rollout:
        return cls(
            stable=str(data.get("stable", "")),
            candidate=str(data.get("candidate", "")),
            steps=[int(s) for s in data.get("steps") or []],
            bake=float(data.get("bake_seconds") or 0) or DEFAULT_BAKE,
            interval=data.get("interval_seconds"),
            gates=[Gate.from_json(g) for g in data.get("gates") or []],
            failure_limit=int(data.get("failure_limit", 2)),
        )


def _step_problems(steps: Any) -> list[Problem]:
    if not isinstance(steps, (list, tuple)) or not steps:
        return [Problem("rollout.steps", "must be a non-empty list of percentages, e.g. [5, 25, 50, 100]")]
    problems = []
    for index, step in enumerate(steps):
        # TF traffic_percentage: "an integer between 0 and 100 inclusive"; a step of 0 moves nothing.
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 100:
            problems.append(Problem(f"rollout.steps[{index}]", f"must be a whole number from 1 to 100, got {step!r}"))
    whole = [s for s in steps if isinstance(s, int) and not isinstance(s, bool)]
    if len(whole) == len(steps):
        if any(b <= a for a, b in zip(whole, whole[1:])):
            problems.append(Problem("rollout.steps", f"must increase step by step, got {list(whole)}"))
        if whole[-1] != 100:
            problems.append(
                Problem("rollout.steps", f"must end at 100 (the candidate takes all traffic), got {whole[-1]}")
            )
    return problems


def rollout_problems(rollout: Any, entity_names: Sequence[str], traffic: Any) -> list[Problem]:
    """The `rollout` prop of an endpoint serving `entity_names`, declared with `traffic`."""
    if rollout is None:
        return []
    if not isinstance(rollout, Rollout):
        return [Problem("rollout", "must be a Rollout(stable=..., candidate=..., ...)")]
    problems = rollout.problems(entity_names)
    if traffic is not None:
        problems.append(
            Problem(
                "traffic",
                "a rollout owns the split: leave traffic unset (the stack declares the stable entity at 100%)",
            )
        )
    return problems
