"""Drift: every difference between the declared request and the live endpoint, field by field."""

from __future__ import annotations

import copy

from servingstack.check.drift import compare

DECLARED = {
    "name": "e",
    "config": {
        "served_entities": [
            {
                "name": "v1",
                "entity_name": "ml.m.scorer",
                "entity_version": "1",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            },
            {
                "name": "v2",
                "entity_name": "ml.m.scorer",
                "entity_version": "2",
                "workload_size": "Small",
                "workload_type": "CPU",
                "scale_to_zero_enabled": False,
            },
        ],
        "traffic_config": {
            "routes": [
                {"served_model_name": "v1", "traffic_percentage": 90},
                {"served_model_name": "v2", "traffic_percentage": 10},
            ]
        },
    },
    "ai_gateway": {
        "rate_limits": [
            {"key": "endpoint", "calls": 100, "renewal_period": "minute"},
            {"key": "user", "principal": "a@b.c", "tokens": 1000, "renewal_period": "minute"},
        ],
        "usage_tracking_config": {"enabled": True},
        "inference_table_config": {"enabled": True, "catalog_name": "main", "schema_name": "serving"},
        "guardrails": {"input": {"safety": True, "pii": {"behavior": "BLOCK"}, "invalid_keywords": ["a", "b"]}},
        "fallback_config": {"enabled": True},
    },
    "tags": [{"key": "team", "value": "ml"}],
}


def live_from(declared):
    """What the service shows for a faithfully deployed request (with fields it fills in)."""
    live = copy.deepcopy(declared)
    for entity in live["config"]["served_entities"]:
        entity.setdefault("workload_type", "CPU")
        entity["state"] = {"deployment": "DEPLOYMENT_READY"}
        entity["creator"] = "someone"
    live["config"]["traffic_config"]["routes"][0]["served_entity_name"] = "v1"
    live["config"]["config_version"] = 3
    live["ai_gateway"]["inference_table_config"]["table_name_prefix"] = "e"
    live["ai_gateway"]["guardrails"]["input"]["invalid_keywords"] = ["b", "a"]
    live["state"] = {"ready": "READY", "config_update": "NOT_UPDATING"}
    live["tags"] = [{"key": "team", "value": "ml"}]
    return live


def fields(differences):
    return {d.field: str(d) for d in differences}


def test_a_faithful_deployment_has_no_drift():
    assert compare(DECLARED, live_from(DECLARED)) == []


def test_traffic_split_reported_per_route():
    live = live_from(DECLARED)
    live["config"]["traffic_config"]["routes"] = [
        {"served_model_name": "v1", "traffic_percentage": 50},
        {"served_model_name": "v2", "traffic_percentage": 50},
    ]
    assert fields(compare(DECLARED, live)) == {
        "traffic[v1]": "traffic[v1]: declared 90, live 50",
        "traffic[v2]": "traffic[v2]: declared 10, live 50",
    }


def test_entity_fields_and_missing_or_extra_entities():
    live = live_from(DECLARED)
    live["config"]["served_entities"][0]["workload_size"] = "Large"
    live["config"]["served_entities"][0]["entity_version"] = 7
    live["config"]["served_entities"][1]["scale_to_zero_enabled"] = True
    live["config"]["served_entities"].append({"name": "v3", "entity_name": "ml.m.other"})
    assert fields(compare(DECLARED, live)) == {
        "served_entities[v1].entity_version": "served_entities[v1].entity_version: declared 1, live 7",
        "served_entities[v1].workload_size": "served_entities[v1].workload_size: declared Small, live Large",
        "served_entities[v2].scale_to_zero_enabled": (
            "served_entities[v2].scale_to_zero_enabled: declared false, live true"
        ),
        "served_entities[v3]": "served_entities[v3]: declared none, live ml.m.other",
    }
    live["config"]["served_entities"] = live["config"]["served_entities"][:1]
    assert "served_entities[v2]" in fields(compare(DECLARED, live))


def test_external_model_name_and_provider_but_never_secrets():
    declared = {
        "config": {
            "served_entities": [
                {
                    "name": "gpt",
                    "external_model": {
                        "name": "gpt-4o",
                        "provider": "openai",
                        "task": "llm/v1/chat",
                        "openai_config": {"openai_api_key": "{{secrets/s/k}}"},
                    },
                }
            ]
        }
    }
    live = copy.deepcopy(declared)
    live["config"]["served_entities"][0]["external_model"].update(name="gpt-4o-mini", openai_config={})
    assert fields(compare(declared, live)) == {
        "served_entities[gpt].external_model.name": "served_entities[gpt].external_model.name: declared gpt-4o, "
        "live gpt-4o-mini"
    }


def test_ai_gateway_sections():
    live = live_from(DECLARED)
    gateway = live["ai_gateway"]
    gateway["rate_limits"][0]["calls"] = 5
    del gateway["rate_limits"][1]
    gateway["usage_tracking_config"] = {"enabled": False}
    gateway["inference_table_config"]["schema_name"] = "other"
    gateway["guardrails"]["input"]["pii"] = {"behavior": "MASK"}
    gateway["guardrails"]["output"] = {"safety": True}
    gateway["fallback_config"] = None
    assert fields(compare(DECLARED, live)) == {
        "ai_gateway.rate_limits[endpoint]": "ai_gateway.rate_limits[endpoint]: declared "
        "{calls=100, renewal_period=minute}, live {calls=5, renewal_period=minute}",
        "ai_gateway.rate_limits[user:a@b.c]": "ai_gateway.rate_limits[user:a@b.c]: declared "
        "{tokens=1000, renewal_period=minute}, live none",
        "ai_gateway.usage_tracking_config.enabled": "ai_gateway.usage_tracking_config.enabled: declared true, "
        "live false",
        "ai_gateway.fallback_config.enabled": "ai_gateway.fallback_config.enabled: declared true, live false",
        "ai_gateway.inference_table_config.schema_name": "ai_gateway.inference_table_config.schema_name: declared "
        "serving, live other",
        "ai_gateway.guardrails.input.pii.behavior": "ai_gateway.guardrails.input.pii.behavior: declared BLOCK, "
        "live MASK",
        "ai_gateway.guardrails.output": "ai_gateway.guardrails.output: declared none, live {safety=true}",
    }


def test_gateway_switched_on_by_hand_is_drift_when_none_declared():
    declared = {k: v for k, v in DECLARED.items() if k != "ai_gateway"}
    live = live_from(DECLARED)
    live["ai_gateway"] = {"usage_tracking_config": {"enabled": False}, "rate_limits": [{"calls": 1}]}
    assert list(fields(compare(declared, live))) == ["ai_gateway.rate_limits[endpoint]"]


def test_tags_declared_must_match_extra_live_tags_are_notes():
    live = live_from(DECLARED)
    live["tags"] = [{"key": "team", "value": "data"}, {"key": "owner", "value": "x"}]
    differences = compare(DECLARED, live)
    assert [(str(d), d.severity) for d in differences] == [
        ("tags[team]: declared ml, live data", "drift"),
        ("tags[owner]: declared none, live x", "note"),
    ]
    live["tags"] = []
    assert [str(d) for d in compare(DECLARED, live)] == ["tags[team]: declared ml, live none"]
