"""Faults the emulator injects: a failing or endless deployment, throttling, server
errors, slow answers and dropped connections.

Each fault targets one endpoint (by name) or all, and request faults target the
control plane (`/api/2.0/...`), queries (`/serving-endpoints/.../invocations`) or both.
Counted faults wear off after `count` matching requests; deployment faults stay until
cleared. The same dict form travels through the Python API, the admin route and the CLI.

A fault that names an `entity` acts only on queries answered by that served entity, whether
it was asked directly (`/served-models/{entity}/invocations`) or drawn by the traffic split:
`broken_entity` makes one entity answer with a server error, so a broken canary is testable.
`degrade` makes one entity fail a share of its queries (`error_rate`) and answer `seconds` slower,
but only while the traffic split gives it at least `from_percent` percent: a candidate that passes
its checks at 0% and fails once it takes real traffic, so a rollout that must roll back is testable.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

SCOPES = ("control", "query", "all")

THROTTLE = "throttle"
SERVER_ERRORS = "server_errors"
SLOW = "slow"
DROP = "drop"
FAIL_DEPLOYMENT = "fail_deployment"
NEVER_READY = "never_ready"
BROKEN_ENTITY = "broken_entity"
DEGRADE = "degrade"

REQUEST_KINDS = (THROTTLE, SERVER_ERRORS, SLOW, DROP)
DEPLOYMENT_KINDS = (FAIL_DEPLOYMENT, NEVER_READY)
ENTITY_KINDS = (BROKEN_ENTITY,)  # act on the queries one served entity answers
LOAD_KINDS = (DEGRADE,)  # act on one served entity's queries while it takes a share of the traffic
KINDS = REQUEST_KINDS + DEPLOYMENT_KINDS + ENTITY_KINDS + LOAD_KINDS


def cli_name(kind: str) -> str:
    """The one name of a kind on the command line, in `serve --fault NAME:...` and `emulator fault
    NAME`: the kind with dashes (`fail-deployment`), and `errors` for server errors."""
    return "errors" if kind == SERVER_ERRORS else kind.replace("_", "-")


CLI_NAMES = {kind: cli_name(kind) for kind in KINDS}
_BY_CLI_NAME = {name: kind for kind, name in CLI_NAMES.items()}

DEFAULT_BROKEN_ENTITY_MESSAGE = "The model server failed to answer the request (emulated broken entity)."
DEFAULT_DEGRADED_MESSAGE = "The model server failed under load (emulated degraded entity)."
DEFAULT_FAILURE_MESSAGE = (
    "Container build failed: could not resolve the model's Python environment (emulated deployment failure)."
)


_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    THROTTLE: ("count", "retry_after"),
    SERVER_ERRORS: ("count", "status"),
    SLOW: ("seconds", "count"),
    DROP: ("count",),
    FAIL_DEPLOYMENT: ("message",),
    NEVER_READY: (),
    BROKEN_ENTITY: ("entity", "count", "status", "message"),
    DEGRADE: ("entity", "error_rate", "seconds", "from_percent", "status", "message"),
}


# Upper bounds: beyond them a value is a typo (`1e308`), and asyncio cannot sleep that long anyway.
# A slow answer past an hour is no answer: every client has timed out long before.
MAX_SLOW_SECONDS = 3600.0
MAX_RETRY_AFTER_SECONDS = 3600
# Counts and statuses beyond a 32-bit integer are typos too (a billion requests is already many).
MAX_INT = 2**31 - 1


def check_seconds(value: Any, field: str, *, maximum: float, positive: bool = False) -> float:
    """A finite number of seconds in [0, maximum] (or (0, maximum]); `FaultSpecError` otherwise.
    `nan` and `inf` are refused: they would never end a wait, nor appear in valid JSON."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FaultSpecError(f"{field}: must be a finite number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise FaultSpecError(f"{field}: must be {'> 0' if positive else '>= 0'}, got {value!r}")
    if value > maximum:
        raise FaultSpecError(f"{field}: must be at most {maximum:g} seconds, got {value!r}")
    return float(value)


class FaultSpecError(ValueError):
    """A fault description that cannot be used; the message says which field is wrong."""


@dataclass
class Fault:
    kind: str
    endpoint: str | None = None  # None: every endpoint
    scope: str = "all"  # request faults: "control" | "query" | "all"
    count: int | None = None  # requests left to affect; None: until cleared
    retry_after: int = 1  # throttle: Retry-After seconds
    status: int = 503  # server_errors: HTTP status
    seconds: float = 0.0  # slow: delay before answering
    message: str = DEFAULT_FAILURE_MESSAGE  # fail_deployment: why it failed; broken_entity: the error message
    entity: str | None = None  # only queries answered by this served entity (needs `endpoint`)
    error_rate: float = 0.0  # degrade: the share of its queries that fail
    from_percent: int = 1  # degrade: from this share of the traffic split on

    def matches(self, endpoint: str | None, scope: str, entity: str | None = None) -> bool:
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        if self.entity != entity:  # entity faults act in the query handler, once the entity is known
            return False
        return self.scope == "all" or self.scope == scope

    def to_dict(self) -> dict[str, Any]:
        """The fields that mean something for this kind of fault."""
        shown = ("kind", "endpoint") + (("scope",) if self.kind in REQUEST_KINDS else ()) + _KIND_FIELDS[self.kind]
        if self.entity is not None:
            shown += ("entity",)
        return {key: value for key, value in asdict(self).items() if key in shown}

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> Fault:
        """Build a fault from its dict form, checking every field."""
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault must be a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(spec) - known)
        if unknown:
            raise FaultSpecError(f"unknown fault field(s): {', '.join(unknown)}")
        raw_kind = str(spec.get("kind", ""))
        kind = _BY_CLI_NAME.get(raw_kind, raw_kind.replace("-", "_"))
        if kind not in KINDS:
            raise FaultSpecError(f"kind: must be one of {', '.join(CLI_NAMES.values())}, got {spec.get('kind')!r}")
        fault = cls(kind=kind)
        endpoint = spec.get("endpoint")
        if endpoint not in (None, "", "*"):
            if not isinstance(endpoint, str):
                raise FaultSpecError("endpoint: must be an endpoint name")
            fault.endpoint = endpoint
        scope = spec.get("scope", "all")
        if scope not in SCOPES:
            raise FaultSpecError(f"scope: must be one of {', '.join(SCOPES)}, got {scope!r}")
        fault.scope = scope
        fault.count = _optional_int(spec, "count", minimum=1)
        if kind in (THROTTLE, SERVER_ERRORS, DROP) and fault.count is None:
            raise FaultSpecError(f"count: {kind} needs a number of requests (>= 1)")
        if kind in DEPLOYMENT_KINDS and fault.count is not None:
            raise FaultSpecError(f"count: {kind} applies until cleared and takes no count")
        retry_after = _optional_int(spec, "retry_after", minimum=0)
        if retry_after is not None and retry_after > MAX_RETRY_AFTER_SECONDS:
            raise FaultSpecError(f"retry_after: must be at most {MAX_RETRY_AFTER_SECONDS} seconds, got {retry_after}")
        fault.retry_after = 1 if retry_after is None else retry_after
        status = _optional_int(spec, "status", minimum=500)
        if status is not None and status > 599:
            raise FaultSpecError(f"status: must be a 5xx status, got {status}")
        fault.status = 503 if status is None else status
        if kind == SLOW and "seconds" not in spec:
            raise FaultSpecError("seconds: slow needs a delay > 0")
        if kind == DEGRADE:
            _degrade_fields(fault, spec)
        fault.seconds = check_seconds(
            spec.get("seconds", 0.0), "seconds", maximum=MAX_SLOW_SECONDS, positive=kind == SLOW
        )
        message = spec.get("message")
        if message is not None:
            if not isinstance(message, str) or not message.strip():
                raise FaultSpecError("message: must be a non-empty string")
            fault.message = message
        _entity_fields(fault, spec)
        return fault


def _degrade_fields(fault: Fault, spec: dict[str, Any]) -> None:
    rate = spec.get("error_rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not (0 <= rate <= 1):
        raise FaultSpecError(f"error_rate: must be a share from 0 to 1 (0.3 is 30%), got {rate!r}")
    fault.error_rate = float(rate)
    share = _optional_int(spec, "from_percent", minimum=0)
    if share is not None and share > 100:
        raise FaultSpecError(f"from_percent: must be a traffic percentage from 0 to 100, got {share}")
    fault.from_percent = 1 if share is None else share
    if not fault.error_rate and not spec.get("seconds"):
        raise FaultSpecError("degrade needs error_rate > 0, seconds > 0 or both")
    if fault.count is not None:
        raise FaultSpecError("count: degrade applies until cleared and takes no count")


def _entity_fields(fault: Fault, spec: dict[str, Any]) -> None:
    """`entity`: a served entity of one endpoint; broken_entity and degrade need it, request faults may take it."""
    entity = spec.get("entity")
    if entity in (None, ""):
        if fault.kind in ENTITY_KINDS + LOAD_KINDS:
            raise FaultSpecError(f"entity: {fault.kind} needs the served entity's name")
        return
    if not isinstance(entity, str):
        raise FaultSpecError("entity: must be a served entity name")
    if fault.kind in DEPLOYMENT_KINDS:
        raise FaultSpecError(f"entity: {fault.kind} applies to a whole endpoint, not one entity")
    if fault.endpoint is None:
        raise FaultSpecError("endpoint: a fault on one served entity needs the endpoint's name")
    fault.entity = entity
    fault.scope = "query"  # only queries have an answering entity
    if fault.kind in (BROKEN_ENTITY, DEGRADE):
        if "status" not in spec:
            fault.status = 500
        if "message" not in spec:
            fault.message = DEFAULT_BROKEN_ENTITY_MESSAGE if fault.kind == BROKEN_ENTITY else DEFAULT_DEGRADED_MESSAGE


def _optional_int(spec: dict[str, Any], key: str, *, minimum: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INT:
        raise FaultSpecError(f"{key}: must be an integer from {minimum} to {MAX_INT}, got {value!r}")
    return value


def parse_spec(text: str) -> Fault:
    """Parse the command-line form `KIND[:key=value,...]`, e.g. `throttle:count=3,scope=query`."""
    kind, _, rest = text.partition(":")
    spec: dict[str, Any] = {"kind": kind.strip()}
    last_key = None
    for item in rest.split(","):
        key, sep, value = item.partition("=")
        if not sep:
            if last_key == "message":  # a message may contain commas
                spec["message"] += "," + item
                continue
            if not item.strip():
                continue
            raise FaultSpecError(f"{item.strip()!r}: expected key=value")
        last_key = key.strip().replace("-", "_")
        spec[last_key] = value.strip() if last_key == "message" else _scalar(value.strip())
    return Fault.from_dict(spec)


def _scalar(value: str) -> Any:
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    return value


@dataclass(frozen=True)
class RequestFaults:
    """What to do to one request: wait `delay` seconds, then maybe answer with `action` instead."""

    delay: float = 0.0
    action: Fault | None = None


NO_FAULTS = RequestFaults()


class FaultBook:
    """The active faults. Thread-safe: tests add faults while the server thread reads them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    def __bool__(self) -> bool:
        return bool(self._faults)

    def take(self, endpoint: str | None, scope: str, entity: str | None = None) -> RequestFaults:
        """Consume the request faults matching one request (first added wins). Without `entity`,
        the faults on a whole endpoint; with it, those on the served entity answering a query."""
        if not self._faults:  # the common case, without taking the lock
            return NO_FAULTS
        delay = 0.0
        action = None
        with self._lock:
            for fault in list(self._faults):
                if fault.kind not in REQUEST_KINDS + ENTITY_KINDS or not fault.matches(endpoint, scope, entity):
                    continue
                if fault.kind == SLOW:
                    if delay:
                        continue
                    delay = fault.seconds
                elif action is None:
                    action = fault
                else:
                    continue
                self._use(fault)
        return RequestFaults(delay, action) if (delay or action) else NO_FAULTS

    def _use(self, fault: Fault) -> None:
        if fault.count is None:
            return
        fault.count -= 1
        if fault.count <= 0:
            self._faults.remove(fault)

    def degradation(self, endpoint: str, entity: str) -> Fault | None:
        """The `degrade` fault on one served entity, if any (the first added)."""
        if not self._faults:
            return None
        with self._lock:
            return next(
                (f for f in self._faults if f.kind in LOAD_KINDS and f.endpoint == endpoint and f.entity == entity),
                None,
            )

    def deployment_fault(self, endpoint: str) -> Fault | None:
        """The deployment fault for an endpoint, if any: never_ready wins over fail_deployment."""
        if not self._faults:
            return None
        with self._lock:
            matching = [f for f in self._faults if f.kind in DEPLOYMENT_KINDS and f.endpoint in (None, endpoint)]
        for kind in (NEVER_READY, FAIL_DEPLOYMENT):
            for fault in matching:
                if fault.kind == kind:
                    return fault
        return None
