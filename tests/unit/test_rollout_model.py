"""A declared rollout in pure Python: its checks name the field, the stack declares the starting split
and ignores each live route afterwards, and `ignore_changes` plans an update as Terraform does."""

from __future__ import annotations

import pytest

from servingstack import CustomModel, EndpointSpec, Gate, Rollout
from servingstack.errors import ValidationError
from servingstack.facts import ignore_changes
from servingstack.model.rollout import duration_seconds

ENTITIES = [CustomModel("ml.fraud.scorer", 3, name="v3"), CustomModel("ml.fraud.scorer", 4, name="v4")]


def spec(**props) -> EndpointSpec:
    return EndpointSpec(name="fraud", served_entities=ENTITIES, **props)


def problems(rollout: Rollout, **props) -> list[str]:
    return [str(p) for p in spec(rollout=rollout, **props).problems()]


def test_a_valid_rollout_starts_at_the_stable_entity_and_ignores_each_route():
    rollout = Rollout(stable="v3", candidate="v4", bake="10m", gates=[Gate.probes(), Gate.error_rate(max_rate=0.01)])
    endpoint = spec(rollout=rollout)
    assert endpoint.problems() == []
    assert endpoint.request()["config"]["traffic_config"] == {
        "routes": [
            {"served_model_name": "v3", "traffic_percentage": 100},
            {"served_model_name": "v4", "traffic_percentage": 0},
        ]
    }
    assert endpoint.ignore_changes() == [
        "config[0].traffic_config[0].routes[0]",
        "config[0].traffic_config[0].routes[1]",
    ]
    assert endpoint.metadata()["rollout"] == {
        "stable": "v3",
        "candidate": "v4",
        "steps": [5, 25, 50, 100],
        "bake_seconds": 600.0,
        "interval_seconds": 60.0,
        "gates": [
            {"kind": "probes", "queries": 1},
            {"kind": "error_rate", "min_requests": 100, "max_rate": 0.01, "max_increase": None, "include_4xx": False},
        ],
        "failure_limit": 2,
    }
    assert spec().ignore_changes() == []  # no rollout: Terraform owns the split as declared


def test_the_json_form_reads_back_to_the_same_rollout():
    rollout = Rollout(
        stable="v3",
        candidate="v4",
        steps=[10, 100],
        bake="90s",
        interval="15s",
        gates=[Gate.latency(max_ms=250, max_ratio=1.5, percentile=95, min_requests=20), Gate.probes(queries=3)],
        failure_limit=1,
    )
    again = Rollout.from_json(rollout.to_json())
    assert again.to_json() == rollout.to_json()
    assert (again.bake_seconds(), again.interval_seconds(), again.gate_list()[0].name) == (90.0, 15.0, "latency_p95")


def test_every_mistake_is_named_by_field_at_once():
    found = problems(
        Rollout(
            stable="v2",
            candidate="v2",
            steps=[25, 10, 101],
            bake="ten minutes",
            gates=[Gate.error_rate(), Gate.latency(max_ms=-1, percentile=100), "fast"],  # type: ignore[list-item]
            failure_limit=0,
        ),
        traffic={"v3": 90, "v4": 10},
    )
    assert found == [
        "rollout.stable: 'v2' is not a served entity of this endpoint (v3, v4)",
        "rollout.candidate: 'v2' is not a served entity of this endpoint (v3, v4)",
        "rollout.candidate: must differ from the stable entity",
        "rollout.steps[2]: must be a whole number from 1 to 100, got 101",
        "rollout.steps: must increase step by step, got [25, 10, 101]",
        "rollout.steps: must end at 100 (the candidate takes all traffic), got 101",
        "rollout.bake: 'ten minutes' is not a duration such as '10m', '90s' or 600",
        "rollout.gates[0]: needs max_rate (e.g. 0.01 for 1%) or max_increase over the stable's",
        "rollout.gates[1].max_ms: must be a number > 0, got -1",
        "rollout.gates[1].percentile: must be between 0 and 100, got 100",
        "rollout.gates[2]: must be a Gate (Gate.probes(), ...)",
        "rollout.failure_limit: must be a whole number >= 1, got 0",
        "traffic: a rollout owns the split: leave traffic unset (the stack declares the stable entity at 100%)",
    ]


def test_an_interval_longer_than_the_bake_and_a_missing_step_list_are_refused():
    assert problems(Rollout(stable="v3", candidate="v4", steps=[], bake="1m", interval="2m")) == [
        "rollout.steps: must be a non-empty list of percentages, e.g. [5, 25, 50, 100]",
        "rollout.interval: must not be longer than the bake",
    ]


def test_a_misspelt_argument_is_refused_with_the_close_match():
    with pytest.raises(ValidationError, match="faliure_limit: is not an argument of Rollout; did you mean"):
        Rollout(stable="v3", candidate="v4", faliure_limit=2)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "written, seconds",
    [("10m", 600.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("90s", 90.0), ("500ms", 0.5), (30, 30.0), (0.25, 0.25)],
)
def test_durations(written, seconds):
    assert duration_seconds(written) == seconds


@pytest.mark.parametrize("written", ["10 minutes", "", "-5s", 0, -1, float("inf"), True, None])
def test_durations_refused(written):
    assert duration_seconds(written) is None


def test_other_entities_stay_at_zero_between_stable_and_candidate():
    rollout = Rollout(stable="a", candidate="c")
    assert list(rollout.split(25, ["c", "b", "a"]).items()) == [("a", 75), ("b", 0), ("c", 25)]


# Terraform's plan of an update under ignore_changes ------------------------------------------------

ROUTES = ignore_changes.traffic_route_paths(2)


def _request(*routes: tuple[str, int], env: str = "1") -> dict:
    return {
        "name": "fraud",
        "config": {
            "served_entities": [{"name": n, "environment_vars": {"V": env}} for n, _ in routes],
            "traffic_config": {"routes": [{"served_model_name": n, "traffic_percentage": p} for n, p in routes]},
        },
    }


def test_mid_rollout_the_live_split_is_planned_and_the_rest_as_declared():
    declared = _request(("v3", 100), ("v4", 0), env="2")
    prior = _request(("v3", 75), ("v4", 25))
    plan = ignore_changes.planned(declared, prior, ROUTES)
    assert plan["config"]["traffic_config"] == prior["config"]["traffic_config"]
    assert plan["config"]["served_entities"] == declared["config"]["served_entities"]
    assert declared["config"]["traffic_config"]["routes"][0]["traffic_percentage"] == 100  # not changed in place


def test_a_new_entity_gets_its_declared_route_and_the_live_ones_stay():
    plan = ignore_changes.planned(_request(("v3", 100), ("v4", 0)), _request(("v3", 100)), ROUTES)
    assert plan["config"]["traffic_config"]["routes"] == [
        {"served_model_name": "v3", "traffic_percentage": 100},
        {"served_model_name": "v4", "traffic_percentage": 0},
    ]


def test_live_routes_in_another_order_are_kept_whole_never_paired_by_position():
    plan = ignore_changes.planned(_request(("v3", 100), ("v4", 0)), _request(("v4", 25), ("v3", 75)), ROUTES)
    assert plan["config"]["traffic_config"]["routes"] == [
        {"served_model_name": "v4", "traffic_percentage": 25},
        {"served_model_name": "v3", "traffic_percentage": 75},
    ]


def test_all_plans_the_prior_and_a_whole_block_covers_its_routes():
    prior = _request(("v3", 75), ("v4", 25))
    assert ignore_changes.planned(_request(("v3", 100)), prior, ["all"]) == prior
    assert ignore_changes.planned(_request(("v3", 100)), None, ROUTES) == _request(("v3", 100))
    assert ignore_changes.covers(ROUTES, "config[0].traffic_config")
    assert ignore_changes.covers(["config[0].traffic_config"], "config[0].traffic_config")
    assert not ignore_changes.covers(["tags"], "config[0].traffic_config")
    whole = ignore_changes.planned(_request(("v3", 100), ("v4", 0)), prior, ["config[0].traffic_config"])
    assert whole["config"]["traffic_config"] == prior["config"]["traffic_config"]
