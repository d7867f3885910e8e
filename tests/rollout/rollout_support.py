"""The stacks and the emulator the rollout suite drives: one endpoint, `v3` stable and `v4` the candidate,
with short bakes and a metrics window of 0.3 s so a whole rollout takes seconds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servingstack.deploy.apply import apply_stack
from servingstack.emulator import Emulator
from servingstack.facts.stackfile import load_stack
from servingstack.rollout import RolloutOptions, RolloutReport, run_rollout

TOKEN = "rollout-test-token-7c1e"
ENDPOINT = "dev-fraud-scoring"
WINDOW = 0.3
STEPS = [20, 50, 100]
SAMPLE = {"dataframe_split": {"columns": ["amount"], "data": [[125.5]]}}


def build(
    app: Any,
    *,
    env: str = "1",
    rollout: bool = True,
    entities: tuple[str, ...] = ("v3", "v4"),
    host: str | None = None,
) -> None:
    from servingstack import (
        CustomModel,
        Expect,
        Expectation,
        Gate,
        Rollout,
        ServingEndpoint,
        ServingStack,
    )

    stack = ServingStack(app, "dev", environment="dev", host=host)
    versions = {"v3": 3, "v4": 4, "v5": 5}
    ServingEndpoint(
        stack,
        "fraud",
        name="fraud-scoring",
        served_entities=[
            CustomModel("ml.fraud.scorer", versions[name], name=name, environment_vars={"MODE": env})
            for name in entities
        ],
        sample_request=SAMPLE,
        expectations=[Expectation("scores the row", expect=[Expect.status(200), Expect.predictions(1)])],
        traffic=None if rollout else {name: 100 if name == entities[0] else 0 for name in entities},
        rollout=Rollout(
            stable=entities[0],
            candidate=entities[1],
            steps=STEPS,
            bake="1.2s",
            interval="0.3s",
            gates=[
                Gate.probes(),
                Gate.error_rate(max_rate=0.05, max_increase=0.03, min_requests=10),
                Gate.latency(max_ms=150, min_requests=10),
            ],
            failure_limit=2,
        )
        if rollout
        else None,
    )


def synthesize(outdir: Path, **variant: Any) -> Path:
    from servingstack.cdk import engine as _cdk

    app = _cdk.App(outdir=str(outdir))
    build(app, **variant)
    app.synth()
    return outdir / "stacks" / "dev"


def emulator(per_entity: bool = False, update_seconds: float = 0.3) -> Emulator:
    return Emulator(
        token=TOKEN,
        deploy_seconds=0.2,
        update_seconds=update_seconds,
        seed=5,
        metrics_window_seconds=WINDOW,
        metrics_per_entity=per_entity,
    )


def deploy(emu: Emulator, stack_dir: Path, per_second: float = 300) -> None:
    result = apply_stack(load_stack(stack_dir), emu.client(), echo=lambda line: None)
    assert not result.failed, result.lines()
    emu.simulate_traffic(ENDPOINT, per_second)


def options(**changes: Any) -> RolloutOptions:
    return RolloutOptions(metrics_window=WINDOW, restore_seconds=15, rollback_seconds=15, **changes)


def rollout(emu: Emulator, stack_dir: Path, echo: Callable[[str], None] | None = None) -> RolloutReport:
    return run_rollout(stack_dir, ENDPOINT, host=emu.url, token=TOKEN, options=options(), echo=echo or (lambda _: None))


def live_split(emu: Emulator) -> dict[str, int]:
    live = emu.client().serving_endpoints.get(ENDPOINT)
    assert live.config is not None and live.config.traffic_config is not None
    return {r.served_entity_name or "": r.traffic_percentage or 0 for r in live.config.traffic_config.routes or []}


def set_split(emu: Emulator, percent: int) -> None:
    """Move the live split by hand (as a run that stopped there would have left it) and wait for it."""
    from databricks.sdk.service.serving import Route, ServedEntityInput, TrafficConfig

    w = emu.client()
    live = w.serving_endpoints.get(ENDPOINT)
    assert live.config is not None
    entities = [ServedEntityInput.from_dict(e.as_dict()) for e in live.config.served_entities or []]
    for entity in entities:
        entity.workload_size = entity.workload_size or "Small"
    w.serving_endpoints.update_config(
        ENDPOINT,
        served_entities=entities,
        traffic_config=TrafficConfig(
            routes=[
                Route(served_model_name="v3", traffic_percentage=100 - percent),
                Route(served_model_name="v4", traffic_percentage=percent),
            ]
        ),
    )
    wait_until(lambda: live_split(emu) == {"v3": 100 - percent, "v4": percent} and not updating(emu))


def updating(emu: Emulator) -> bool:
    state = emu.client().serving_endpoints.get(ENDPOINT).state
    return state is not None and state.config_update is not None and state.config_update.value == "IN_PROGRESS"


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def next_window() -> None:
    time.sleep(WINDOW - math.fmod(time.time(), WINDOW) + 0.02)
