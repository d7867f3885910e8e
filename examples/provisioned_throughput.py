"""Provisioned throughput: reserved capacity for a foundation model, both ways the provider offers.

- `ServingEndpoint` with a `ProvisionedThroughput` entity: a `databricks_model_serving`, which takes
  model units or tokens-per-second bounds;
- `ProvisionedThroughputEndpoint`: the provider's own `databricks_model_serving_provisioned_throughput`
  (model units only), the resource the provider points newer foundation models to.

`python examples/provisioned_throughput.py` writes cdktf.out/stacks/prod/cdk.tf.json.
"""

from servingstack import (
    AiGateway,
    BaselinePack,
    InferenceTable,
    ProvisionedThroughput,
    ProvisionedThroughputEndpoint,
    RateLimit,
    ServingEndpoint,
    ServingStack,
    synthesize,
)

GATEWAY = AiGateway(
    usage_tracking=True,
    rate_limits=[RateLimit(calls=300)],
    inference_table=InferenceTable("ml", "summarizer_serving", table_prefix="summarizer"),
)


def build(app):
    stack = ServingStack(
        app,
        "prod",
        environment="prod",
        default_tags={"owner": "ml-platform", "cost-center": "cc-4711"},
        policy=[BaselinePack()],
    )
    ServingEndpoint(
        stack,
        "summarizer",
        name="summarizer",
        served_entities=[
            ProvisionedThroughput(
                "system.ai.meta_llama_v3_1_8b_instruct", "2", name="llama-8b", provisioned_model_units=100
            )
        ],
        ai_gateway=GATEWAY,
        tags={"workload": "batch"},
    )
    ProvisionedThroughputEndpoint(
        stack,
        "maverick",
        name="maverick",
        served_entities=[
            ProvisionedThroughput("system.ai.llama-4-maverick", "1", name="maverick", provisioned_model_units=100)
        ],
        ai_gateway=AiGateway(usage_tracking=True, rate_limits=[RateLimit(calls=300)]),
    ).grant_query(group="data-scientists")


if __name__ == "__main__":
    raise SystemExit(synthesize(build))
