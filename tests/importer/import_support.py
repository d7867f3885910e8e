"""A workspace fleet made through databricks-sdk only, as a UI or a notebook would have made it."""

from __future__ import annotations

import time
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EmailNotifications,
    EndpointCoreConfigInput,
    EndpointTag,
    ServingEndpointAccessControlRequest,
)

TOKEN = "import-test-token"


def client_for(emu: Any) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=emu.url, token=TOKEN, auth_type="pat", retry_timeout_seconds=5))


def _create(
    w: WorkspaceClient,
    name: str,
    config: dict,
    *,
    gateway: dict | None = None,
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> str:
    created = w.serving_endpoints.create(
        name=name,
        config=EndpointCoreConfigInput.from_dict({**config, "name": name}),
        ai_gateway=AiGatewayConfig.from_dict(gateway) if gateway else None,
        tags=[EndpointTag(key=k, value=v) for k, v in (tags or {}).items()] or None,
        **extra,
    ).response
    return created.id


def _grant(w: WorkspaceClient, endpoint_id: str, *entries: dict[str, str]) -> None:
    w.serving_endpoints.set_permissions(
        endpoint_id, access_control_list=[ServingEndpointAccessControlRequest.from_dict(e) for e in entries]
    )


TEAM = {"owner": "ml-platform", "cost-center": "cc-1"}


def make_fleet(w: WorkspaceClient) -> list[str]:
    """Endpoints of every kind, with splits, AI gateway settings, tags and grants. Returns their names."""
    chat = _create(
        w,
        "prod-assistant",
        {
            "served_entities": [
                {"name": "llama", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}
            ]
        },
        gateway={
            "usage_tracking_config": {"enabled": True},
            "rate_limits": [
                {"calls": 100, "key": "endpoint", "renewal_period": "minute"},
                {"tokens": 5000, "key": "user_group", "principal": "data-scientists", "renewal_period": "minute"},
                {"calls": 10, "key": "user", "principal": "ana@example.com", "renewal_period": "minute"},
            ],
            "inference_table_config": {
                "catalog_name": "ml",
                "schema_name": "logs",
                "table_name_prefix": "assistant",
                "enabled": True,
            },
            "guardrails": {
                "input": {"safety": True, "pii": {"behavior": "BLOCK"}, "invalid_keywords": ["password"]},
                "output": {"pii": {"behavior": "MASK"}},
            },
        },
        tags={**TEAM, "tier": "gold"},
        description="General assistant",
    )
    _grant(
        w,
        chat,
        {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
        {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"},
        {"user_name": "ana@example.com", "permission_level": "CAN_VIEW"},
    )

    _create(
        w,
        "prod-summarizer",
        {
            "served_entities": [
                {
                    "entity_name": "system.ai.meta_llama_v3_1_8b_instruct",
                    "entity_version": "2",
                    "provisioned_model_units": 50,
                }
            ]
        },
        tags=TEAM,
    )

    fraud = _create(
        w,
        "prod-fraud-scoring",
        {
            "served_entities": [
                {
                    "name": "v3",
                    "entity_name": "ml.fraud.scorer",
                    "entity_version": "3",
                    "workload_size": "Medium",
                    "environment_vars": {"FEATURE_STORE_TOKEN": "{{secrets/fraud/fs-token}}", "LOG_LEVEL": "INFO"},
                },
                {
                    "name": "v4",
                    "entity_name": "ml.fraud.scorer",
                    "entity_version": "4",
                    "workload_size": "Small",
                    "workload_type": "GPU_SMALL",
                    "scale_to_zero_enabled": True,
                },
            ],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "v3", "traffic_percentage": 90},
                    {"served_model_name": "v4", "traffic_percentage": 10},
                ]
            },
        },
        tags=TEAM,
        email_notifications=EmailNotifications(on_update_failure=["oncall@example.com"]),
    )
    _grant(
        w, fraud, {"service_principal_name": "6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10", "permission_level": "CAN_QUERY"}
    )

    _create(
        w,
        "prod-llm-gateway",
        {
            "served_entities": [
                {
                    "external_model": {
                        "name": "gpt-4o",
                        "provider": "openai",
                        "task": "llm/v1/chat",
                        "openai_config": {"openai_api_key": "{{secrets/llm-keys/openai}}"},
                    }
                },
                {
                    "name": "claude",
                    "external_model": {
                        "name": "claude-sonnet-4",
                        "provider": "anthropic",
                        "task": "llm/v1/chat",
                        "anthropic_config": {"anthropic_api_key": "{{secrets/llm-keys/anthropic}}"},
                    },
                },
            ],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "gpt-4o", "traffic_percentage": 100},
                    {"served_model_name": "claude", "traffic_percentage": 0},
                ]
            },
        },
        gateway={"fallback_config": {"enabled": True}, "usage_tracking_config": {"enabled": True}},
        tags={**TEAM, "data-classification": "internal"},
    )

    _create(
        w,
        "prod-embeddings",
        {
            "served_entities": [
                {
                    "external_model": {
                        "name": "text-embedding-3-small",
                        "provider": "openai",
                        "task": "llm/v1/embeddings",
                        "openai_config": {
                            "openai_api_key": "{{secrets/llm-keys/openai}}",
                            "openai_api_type": "azure",
                            "openai_api_base": "https://acme.openai.azure.com",
                            "openai_api_version": "2024-02-01",
                            "openai_deployment_name": "embed",
                        },
                    }
                }
            ]
        },
        tags=TEAM,
    )

    _create(
        w,
        "prod-bedrock",
        {
            "served_entities": [
                {
                    "name": "haiku",
                    "external_model": {
                        "name": "anthropic.claude-3-haiku",
                        "provider": "amazon-bedrock",
                        "task": "llm/v1/chat",
                        "amazon_bedrock_config": {
                            "aws_region": "us-east-1",
                            "bedrock_provider": "anthropic",
                            "aws_access_key_id": "{{secrets/aws/key-id}}",
                            "aws_secret_access_key": "{{secrets/aws/secret}}",
                        },
                    },
                },
                {
                    "name": "inhouse",
                    "external_model": {
                        "name": "inhouse-llm",
                        "provider": "custom",
                        "task": "llm/v1/chat",
                        "custom_provider_config": {
                            "custom_provider_url": "https://llm.example.com/v1",
                            "bearer_token_auth": {"token": "{{secrets/llm-keys/inhouse}}"},
                        },
                    },
                },
            ],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "haiku", "traffic_percentage": 50},
                    {"served_model_name": "inhouse", "traffic_percentage": 50},
                ]
            },
        },
        tags=TEAM,
        gateway={"rate_limits": [{"calls": 20, "key": "user", "renewal_period": "minute"}]},
    )

    # A feature spec (no version) beside a Workspace Model Registry model (a bare name), half each.
    _create(
        w,
        "prod-features",
        {
            "served_entities": [
                {
                    "name": "features",
                    "entity_name": "ml.features.user_spec",
                    "workload_size": "Small",
                    "scale_to_zero_enabled": True,
                },
                {"name": "ads", "entity_name": "ads-model", "entity_version": "12", "workload_size": "Small"},
            ],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "features", "traffic_percentage": 50},
                    {"served_model_name": "ads", "traffic_percentage": 50},
                ]
            },
        },
        tags=TEAM,
    )
    return [
        "prod-assistant",
        "prod-bedrock",
        "prod-embeddings",
        "prod-features",
        "prod-fraud-scoring",
        "prod-llm-gateway",
        "prod-summarizer",
    ]


def wait_all_ready(w: WorkspaceClient, names: list[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            endpoint = w.serving_endpoints.get(name)
            if (
                endpoint.state.ready.value == "READY"
                and endpoint.state.config_update.value == "NOT_UPDATING"
                and endpoint.pending_config is None
            ):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} never became ready: {endpoint.state}")
            time.sleep(0.05)
