"""Every served entity, queried directly, and the declared expectations run on each.

`POST /serving-endpoints/{name}/served-models/{entity}/invocations` reaches one served entity
whatever its share of the traffic (Databricks docs, "Serve multiple models to a model serving
endpoint": "Query individual models behind an endpoint"). The SDK has no method for it, so it
goes through the SDK's `ApiClient` (`check.channel`), like the endpoint-level smoke query, with the
same retries.

A 90/10 canary whose candidate is broken fails the candidate's own query every time, not one
query in ten.

A route-optimized endpoint documents no per-entity route on its URL (`client.data_plane`, the one
place of that decision): an entity that takes all the traffic is queried through the endpoint's
URL, the others are skipped saying so, and the expectations run on the endpoint's URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from databricks.sdk.errors import DatabricksError

from servingstack.check import smoke
from servingstack.check.channel import QueryChannel
from servingstack.check.results import EntityResult, ExpectationResult, StepResult
from servingstack.client.answers import NotJsonAnswer, http_status
from servingstack.client.data_plane import QueryRoute
from servingstack.client.retry import Deadline, Interrupted, RetriesExhausted, call_with_retry, describe_error
from servingstack.model import expectations as expect_module

EXCERPT_CHARS = 300
# The label of expectations run on a route-optimized endpoint's own URL (no per-entity route there).
ENDPOINT_URL = "(endpoint URL)"
NO_ENTITY_ROUTE = (
    "route-optimized: no per-entity route is documented on its URL, so this entity is not queried on its own "
    "(the endpoint's query goes through its traffic split)"
)


@dataclass
class Reply:
    """One answer, or the error that came instead, with its HTTP status."""

    status: int
    body: Any
    served_by: str | None
    latency_ms: float


def send(channel: QueryChannel, route: QueryRoute, entity: str | None, body: dict[str, Any]) -> smoke.Answer:
    """To the entity's own route; with `entity` None, to the endpoint's (a route-optimized URL)."""
    return channel.send(route, body, entity if entity is not None and route.per_entity else None)


def live_entities(live: dict[str, Any]) -> list[tuple[str, int | None]]:
    """The served entities of the live config with their traffic share (None: no route)."""
    config = live.get("config") or {}
    routes = {
        (r.get("served_entity_name") or r.get("served_model_name")): r.get("traffic_percentage")
        for r in ((config.get("traffic_config") or {}).get("routes") or [])
    }
    names = [e.get("name") for e in config.get("served_entities") or config.get("served_models") or []]
    return [(name, routes.get(name, 0 if routes else None)) for name in names if name]


def query_entity(
    channel: QueryChannel,
    route: QueryRoute,
    result: EntityResult,
    task: str | None,
    body: dict[str, Any] | None,
    deadline: Deadline,
    stop: Any,
    clean: Callable[[str], str],
) -> None:
    """The smoke query of one entity: answered, latency, shape, and who answered."""
    if body is None:
        result.status, result.message = "skip", "no smoke query for this endpoint"
        return
    try:
        answer = call_with_retry(lambda: send(channel, route, result.name, body), deadline, stop=stop)
    except Interrupted:
        raise
    except Exception as error:  # noqa: BLE001 - every failure is a verdict with advice
        cause = error.last_error if isinstance(error, RetriesExhausted) else error
        hint = smoke.advice(cause)
        result.status = "fail"
        result.message = clean(f"query failed: {describe_error(error)}")
        result.details = [hint] if hint else []
        return
    result.latency_ms = round(answer.latency_ms, 2)
    result.served_by = answer.served_by
    problems = smoke.shape_problems(task, answer.body)
    if problems:
        result.status, result.shape = "fail", problems[0]
        result.message = f"unexpected answer for {task or 'a custom model'}: {problems[0]}"
        result.details = problems + [clean(f"answer: {str(answer.body)[:EXCERPT_CHARS]}")]
        return
    result.shape = "ok"
    if answer.served_by and answer.served_by != result.name:
        result.status = "fail"
        result.message = f"answered by {answer.served_by}, not {result.name} (served-model-name)"
        return
    result.status = "pass"
    via = "" if route.per_entity else " through the endpoint's route-optimized URL (all its traffic)"
    result.message = f"answered in {answer.latency_ms:.0f} ms{via}, shape ok"


def _reply(
    channel: QueryChannel, route: QueryRoute, entity: str, body: dict[str, Any], deadline: Deadline, stop: Any
) -> Reply:
    """Send once; an error answer is a reply too (its status may be what is expected)."""
    started = time.perf_counter()
    try:
        answer = call_with_retry(lambda: send(channel, route, entity, body), deadline, stop=stop)
    except Interrupted:
        raise
    except Exception as raw:  # noqa: BLE001
        error = raw.last_error if isinstance(raw, RetriesExhausted) else raw
        if isinstance(error, NotJsonAnswer) and error.status is not None:
            return Reply(error.status, {"message": str(error)}, None, (time.perf_counter() - started) * 1000)
        if not isinstance(error, DatabricksError):
            raise
        return Reply(
            http_status(error) or 0,
            {"error_code": error.error_code, "message": str(error)},
            None,
            (time.perf_counter() - started) * 1000,
        )
    return Reply(200, answer.body, answer.served_by, answer.latency_ms)


def run_expectation(
    channel: QueryChannel,
    route: QueryRoute,
    entity: str,
    declared: dict[str, Any],
    default_body: dict[str, Any] | None,
    queries: int,
    deadline: Deadline,
    stop: Any,
    clean: Callable[[str], str],
) -> ExpectationResult:
    """Send the expectation's request `queries` times to one entity and judge every answer."""
    expectation = expect_module.Expectation.from_json(declared)
    result = ExpectationResult(name=expectation.name, entity=entity)
    started = time.monotonic()
    body = dict(expectation.request) if expectation.request is not None else default_body
    if body is None:
        result.status, result.message = "skip", "no request: declare one on the expectation"
        return result
    checks = expectation.checks()
    unmet: dict[int, str] = {}
    latencies: list[float] = []
    try:
        for _ in range(queries):
            reply = _reply(channel, route, entity, body, deadline, stop)
            result.queries += 1
            if reply.status == 200:
                latencies.append(reply.latency_ms)
            for index, check in enumerate(checks):
                if index not in unmet:
                    verdict = expect_module.evaluate(check, reply.status, reply.body)
                    if verdict:
                        unmet[index] = verdict
    except Interrupted:
        raise
    except Exception as error:  # noqa: BLE001 - no answer at all (connection, timeout)
        result.status, result.seconds = "fail", time.monotonic() - started
        result.message = clean(f"no answer: {describe_error(error)}")
        return result
    result.p50_ms = smoke.percentile(latencies, 0.50)
    result.p95_ms = smoke.percentile(latencies, 0.95)
    for index, check in enumerate(checks):
        if check.kind in expect_module.LATENCY_KINDS:
            verdict = expect_module.evaluate_latency(check, result.p50_ms, result.p95_ms, result.queries)
            if verdict:
                unmet[index] = verdict
    result.seconds = time.monotonic() - started
    if unmet:
        result.status = "fail"
        result.details = [clean(f"{checks[i].describe()}: {unmet[i]}") for i in sorted(unmet)]
        result.message = result.details[0]
    else:
        result.status = "pass"
        result.message = (
            f"{len(checks)} check{'s' if len(checks) != 1 else ''} met over {result.queries} "
            f"quer{'y' if result.queries == 1 else 'ies'}"
        )
    return result


def applies_to(declared: dict[str, Any], entity: str) -> bool:
    entities = declared.get("entities")
    return entities is None or entity in entities


def check_entity(
    channel: QueryChannel,
    route: QueryRoute,
    entity: EntityResult,
    task: str | None,
    body: dict[str, Any] | None,
    expectations: list[dict[str, Any]],
    queries: int,
    deadline: Deadline,
    stop: Any,
    clean: Callable[[str], str],
) -> list[ExpectationResult]:
    """One entity's step: its smoke query (filling `entity`), then every expectation that applies to it."""
    query_entity(channel, route, entity, task, body, deadline, stop, clean)
    return [
        run_expectation(channel, route, entity.name, declared, body, queries, deadline, stop, clean)
        for declared in expectations
        if applies_to(declared, entity.name)
    ]


def takes_all_traffic(entity: EntityResult, count: int) -> bool:
    """Whether every query of the endpoint reaches this entity (its own route is not needed)."""
    return entity.traffic_percent == 100 or (count == 1 and entity.traffic_percent in (None, 100))


def check_endpoint_url(
    channel: QueryChannel,
    route: QueryRoute,
    body: dict[str, Any] | None,
    expectations: list[dict[str, Any]],
    queries: int,
    deadline: Deadline,
    stop: Any,
    clean: Callable[[str], str],
) -> list[ExpectationResult]:
    """A route-optimized endpoint split between entities: its expectations on the endpoint's own URL.
    One limited to some entities cannot be sent to them there: it is skipped, saying why."""
    results = []
    for declared in expectations:
        if declared.get("entities") is not None:
            skipped = ExpectationResult(name=str(declared.get("name")), entity=ENDPOINT_URL)
            skipped.status, skipped.message = "skip", f"limited to {', '.join(declared['entities'])}: {NO_ENTITY_ROUTE}"
            results.append(skipped)
        else:
            results.append(
                run_expectation(channel, route, ENDPOINT_URL, declared, body, queries, deadline, stop, clean)
            )
    return results


# The endpoint's `entities` and `expectations` steps, from the lines of its entities ---------------


def entities_step(entities: list[EntityResult]) -> StepResult:
    if not entities:
        return StepResult("skip", "the live config lists no served entities")
    failed = [e for e in entities if e.status == "fail"]
    if failed:
        first = failed[0]
        details = [f"{e.name}: {e.message}" for e in failed] + [d for e in failed for d in e.details]
        return StepResult(
            "fail", f"served entity {first.name} ({first.traffic_percent or 0}% of traffic): {first.message}", details
        )
    answered = [e for e in entities if e.status == "pass"]
    if not answered:
        return StepResult("skip", entities[0].message)
    return StepResult("pass", f"{len(answered)}/{len(entities)} served entities answered directly")


def in_declared_order(
    runs: list[ExpectationResult], declared: list[dict[str, Any]], entities: list[EntityResult]
) -> list[ExpectationResult]:
    """Expectation by expectation as declared, then entity by entity as served."""
    order = {e.get("name"): i for i, e in enumerate(declared)}
    names = {e.name: i for i, e in enumerate(entities)}
    return sorted(runs, key=lambda r: (order.get(r.name, 0), names.get(r.entity, 0)))


def expectations_step(declared: list[dict[str, Any]], runs: list[ExpectationResult], entities: int) -> StepResult:
    if not declared:
        return StepResult("skip", "none declared")
    unmet = [r for r in runs if r.status == "fail"]
    if unmet:
        return StepResult(
            "fail",
            f"'{unmet[0].name}' on {unmet[0].entity}: {unmet[0].message}",
            [f"'{r.name}' on {r.entity}: {line}" for r in unmet for line in (r.details or [r.message])],
        )
    met = sum(1 for r in runs if r.status == "pass")
    if not met:
        return StepResult("skip", "no expectation could run (no request to send)")
    return StepResult(
        "pass",
        f"{met} expectation run{'s' if met != 1 else ''} met on "
        f"{entities} served entit{'y' if entities == 1 else 'ies'}",
    )
