#!/usr/bin/env python
"""The example fleet: one set of serving endpoints, deployed as a `dev` and a `prod` stack.

`make synth` (or `cdktf synth`) writes cdktf.out/stacks/{dev,prod}/cdk.tf.json, and beside each
the policy-findings.json report: `prod` must pass the production pack, `dev` the baseline.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from servingstack import (
    AiGateway,
    Anthropic,
    BaselinePack,
    CustomModel,
    EmailNotifications,
    Expect,
    Expectation,
    ExternalModel,
    ExternalSecretScope,
    FoundationModel,
    Guardrail,
    InferenceTable,
    OpenAI,
    ProductionPack,
    ProvisionedThroughput,
    ProvisionedThroughputEndpoint,
    RateLimit,
    SecretScope,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    canary,
    secret,
    suppress,
    synthesize,
)

if TYPE_CHECKING:
    from constructs import Construct

# The tags the platform's policy requires of every endpoint (rule SS4).
OWNER_TAG, COST_TAG = "owner", "cost-center"
TEAM_TAGS = {OWNER_TAG: "ml-platform", COST_TAG: "cc-4711"}
# The service principal (application id) that deploys production from CI: it gets the Unity Catalog
# privileges serving needs and may read the keys' scope (the creator of an endpoint must).
PROD_DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"


def build_fleet(stack: ServingStack, *, production: bool) -> None:
    """The same endpoints in every environment; production gets more capacity and stricter limits."""
    # The external models' keys. Production declares its scope and who may read it (put the values with
    # `databricks secrets put-secret prod-llm-keys openai`: the scope takes the stack's prefix); dev uses
    # the platform team's shared scope, named as it is.
    keys: SecretScope | ExternalSecretScope
    if production:
        keys = SecretScope(stack, "llm-keys", name="llm-keys")
        keys.grant_read(service_principal=PROD_DEPLOYER).grant_manage(group="ml-platform")
    else:
        keys = SecretScope.from_name(
            stack, "llm-keys", name="llm-keys", reason="dev shares the development keys the platform team keeps"
        )
    # Pay-per-token foundation model: no capacity to manage.
    assistant = ServingEndpoint(
        stack,
        "assistant",
        name="assistant",
        served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1", name="llama")],
        ai_gateway=AiGateway(
            usage_tracking=True,
            rate_limits=[RateLimit(calls=600 if production else 60)],
            inference_table=InferenceTable("ml", "assistant_serving", table_prefix="assistant") if production else None,
        ),
        description="General assistant for internal tools",
    )

    # Provisioned throughput: reserved capacity for a batch summarizer.
    summarizer = ServingEndpoint(
        stack,
        "summarizer",
        name="summarizer",
        served_entities=[
            ProvisionedThroughput(
                "system.ai.meta_llama_v3_1_8b_instruct",
                "2",
                name="llama-8b",
                provisioned_model_units=100 if production else 50,
            )
        ],
        ai_gateway=AiGateway(
            usage_tracking=True,
            rate_limits=[RateLimit(calls=300 if production else 30)],
            inference_table=InferenceTable("ml", "summarizer_serving", table_prefix="summarizer")
            if production
            else None,
        ),
        tags={"workload": "batch"},
    )

    # A custom MLflow model from Unity Catalog: version 4 is a 10% canary beside version 3.
    fraud = ServingEndpoint(
        stack,
        "fraud",
        name="fraud-scoring",
        served_entities=[
            CustomModel(
                "ml.fraud.scorer",
                3,
                name="v3",
                workload_size="Medium" if production else "Small",
                environment_vars={"FEATURE_STORE_TOKEN": secret("fraud", "feature-store-token"), "LOG_LEVEL": "INFO"},
            ),
            # Unset in production: the service default is off, and the provider never sends false (SS8).
            CustomModel(
                "ml.fraud.scorer", 4, name="v4", workload_size="Small", scale_to_zero=None if production else True
            ),
        ],
        traffic=canary(stable="v3", candidate="v4", percent=10),
        ai_gateway=AiGateway(
            usage_tracking=True,
            rate_limits=[RateLimit(calls=6000 if production else 600)],
            inference_table=InferenceTable("ml", "fraud_serving", table_prefix="scorer"),
        ),
        sample_request={
            "dataframe_split": {"columns": ["amount", "merchant_category", "hour"], "data": [[125.5, "grocery", 14]]}
        },
        email_notifications=EmailNotifications(on_update_failure=["ml-oncall@example.com"]),
        create_timeout="60m",
        update_timeout="60m",
        # The evaluation gate: both versions must score every row, fast enough, after every deploy.
        expectations=[
            Expectation(
                "scores every row",
                request={
                    "dataframe_split": {
                        "columns": ["amount", "merchant_category", "hour"],
                        "data": [[125.5, "grocery", 14], [9.99, "travel", 3]],
                    }
                },
                expect=[Expect.status(200), Expect.predictions(2), Expect.p95_ms(500)],
            )
        ],
    )

    # External models behind the AI Gateway: OpenAI first, Anthropic as fallback.
    gateway = ServingEndpoint(
        stack,
        "gateway",
        name="llm-gateway",
        served_entities=[
            ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai"))),
            ExternalModel("claude-sonnet-4", Anthropic(api_key=keys.secret("anthropic"))),
        ],
        traffic={"gpt-4o": 100, "claude-sonnet-4": 0},
        ai_gateway=AiGateway(
            rate_limits=[
                RateLimit(calls=1000 if production else 100),
                RateLimit.per_group("data-scientists", tokens=200_000),
            ],
            usage_tracking=True,
            inference_table=InferenceTable("ml", "llm_gateway", table_prefix="gateway"),
            input_guardrail=Guardrail(safety=True, pii="BLOCK"),
            output_guardrail=Guardrail(pii="MASK"),
            fallback=True,
        ),
        tags={"data-classification": "internal"},
    )

    # Embeddings for retrieval, also external.
    embeddings = ServingEndpoint(
        stack,
        "embeddings",
        name="embeddings",
        served_entities=[
            ExternalModel("text-embedding-3-small", OpenAI(api_key=keys.secret("openai")), task="llm/v1/embeddings")
        ],
        ai_gateway=AiGateway(usage_tracking=True, rate_limits=[RateLimit(calls=3000 if production else 300)]),
    )
    if production:
        suppress(
            embeddings, "SS3", reason="embeds public product documentation only: its payloads are not worth keeping"
        )

    shared: list[ServingEndpoint | ProvisionedThroughputEndpoint] = [assistant, summarizer, gateway, embeddings]
    if production:
        # Newer foundation models get reserved capacity through the provider's own resource
        # (databricks_model_serving_provisioned_throughput).
        shared.append(
            ProvisionedThroughputEndpoint(
                stack,
                "maverick",
                name="maverick",
                served_entities=[
                    ProvisionedThroughput(
                        "system.ai.llama-4-maverick", "1", name="maverick", provisioned_model_units=100
                    )
                ],
                ai_gateway=AiGateway(
                    usage_tracking=True,
                    rate_limits=[RateLimit(calls=300)],
                    inference_table=InferenceTable("ml", "maverick_serving", table_prefix="maverick"),
                ),
                tags={"workload": "interactive"},
            )
        )

    for endpoint in shared:
        endpoint.grant_query(group="data-scientists")
        endpoint.grant_manage(group="ml-platform")
    fraud.grant_query(service_principal="6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10")
    fraud.grant_view(group="fraud-analysts")
    fraud.grant_manage(group="ml-platform")

    # The support bot app queries the gateway and the embeddings endpoint.
    ServingApp(
        stack,
        "support-bot",
        name="support-bot",  # the stack's name prefix makes it dev-support-bot, prod-support-bot
        query_endpoints={"llm": gateway, "embeddings": embeddings},
        description="Answers support questions from the knowledge base",
    )


def build(app: Construct) -> None:
    for environment in ("dev", "prod"):
        production = environment == "prod"
        pack = ProductionPack if production else BaselinePack
        stack = ServingStack(
            app,
            environment,
            environment=environment,
            default_tags={**TEAM_TAGS, "environment": environment},
            policy=[pack(owner_tag=OWNER_TAG, cost_tag=COST_TAG)],
            deployer=PROD_DEPLOYER if production else None,
        )
        build_fleet(stack, production=production)


if __name__ == "__main__":
    sys.exit(synthesize(build))
