"""A declared rollout, synthesized on the engine under test and read back as the tools read it: the
resource starts at the stable entity's 100%, ignores each live route afterwards, and the stack carries
the rollout for `servingstack rollout`."""

from __future__ import annotations

import json

import pytest

from servingstack import CustomModel, Gate, Rollout, ServingEndpoint, ValidationError
from servingstack.facts.stackfile import load_stack


def _fraud(stack, **props):
    return ServingEndpoint(
        stack,
        "fraud",
        name="fraud-scoring",
        served_entities=[
            CustomModel("ml.fraud.scorer", 3, name="v3"),
            CustomModel("ml.fraud.scorer", 4, name="v4"),
            CustomModel("ml.fraud.scorer", 2, name="shadow"),
        ],
        **props,
    )


def test_the_resource_starts_stable_and_leaves_each_route_to_the_rollout(one_stack, tmp_path):
    rollout = Rollout(stable="v3", candidate="v4", steps=[10, 100], bake="5m", gates=[Gate.probes(queries=2)])
    doc = one_stack(lambda s: _fraud(s, rollout=rollout))
    body = doc["resource"]["databricks_model_serving"]["fraud"]
    assert body["config"]["traffic_config"] == {
        "routes": [
            {"served_model_name": "v3", "traffic_percentage": 100},
            {"served_model_name": "shadow", "traffic_percentage": 0},
            {"served_model_name": "v4", "traffic_percentage": 0},
        ]
    }
    assert body["lifecycle"] == {
        "ignore_changes": [
            "config[0].traffic_config[0].routes[0]",
            "config[0].traffic_config[0].routes[1]",
            "config[0].traffic_config[0].routes[2]",
        ]
    }
    # What the tools read back from the stack directory.
    stack_dir = tmp_path / "dev"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text(json.dumps(doc))
    (declared,) = load_stack(stack_dir).endpoints
    assert declared.ignore_changes == body["lifecycle"]["ignore_changes"]
    assert declared.rollout is not None and Rollout.from_json(declared.rollout).to_json() == rollout.to_json()
    assert "lifecycle" not in declared.request


def test_without_a_rollout_there_is_no_lifecycle(one_stack):
    doc = one_stack(lambda s: _fraud(s, traffic={"v3": 90, "v4": 10, "shadow": 0}))
    assert "lifecycle" not in doc["resource"]["databricks_model_serving"]["fraud"]


def test_a_rollout_beside_a_traffic_split_is_refused_before_anything_is_built(one_stack):
    with pytest.raises(ValidationError) as raised:
        one_stack(lambda s: _fraud(s, traffic={"v3": 90, "v4": 10, "shadow": 0}, rollout=Rollout("v3", "v5")))
    assert str(raised.value).splitlines()[1:] == [
        "  - rollout.candidate: 'v5' is not a served entity of this endpoint (v3, v4, shadow)",
        "  - traffic: a rollout owns the split: leave traffic unset (the stack declares the stable entity at 100%)",
    ]
