"""A custom MLflow model from Unity Catalog, version 4 as a 10% canary beside version 3.

The stack names its deployer, so it also grants the Unity Catalog privileges serving needs
(`EXECUTE` on the model, `USE_SCHEMA` and `USE_CATALOG` above it; `CREATE_TABLE` for the inference
table). The expectation is what `servingstack check` proves on both versions after every deploy.
`python examples/custom_model.py` writes cdktf.out/stacks/prod/cdk.tf.json.
"""

from servingstack import (
    AiGateway,
    CustomModel,
    Expect,
    Expectation,
    InferenceTable,
    ProductionPack,
    RateLimit,
    ServingEndpoint,
    ServingStack,
    canary,
    secret,
    synthesize,
)

DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"  # the service principal (application id) that deploys
COLUMNS = ["amount", "merchant_category", "hour"]
ROW = [125.5, "grocery", 14]


def build(app):
    stack = ServingStack(
        app,
        "prod",
        environment="prod",
        default_tags={"owner": "ml-platform", "cost-center": "cc-4711"},
        deployer=DEPLOYER,
        policy=[ProductionPack()],
    )
    fraud = ServingEndpoint(
        stack,
        "fraud",
        name="fraud-scoring",
        served_entities=[
            CustomModel(
                "ml.fraud.scorer",
                3,
                name="v3",
                workload_size="Medium",
                environment_vars={"FEATURE_STORE_TOKEN": secret("fraud", "feature-store-token")},
            ),
            CustomModel("ml.fraud.scorer", 4, name="v4", workload_size="Small"),
        ],
        traffic=canary(stable="v3", candidate="v4", percent=10),  # {"v3": 90, "v4": 10}
        ai_gateway=AiGateway(
            usage_tracking=True,
            rate_limits=[RateLimit(calls=6000)],
            inference_table=InferenceTable("ml", "fraud_serving", table_prefix="scorer"),
        ),
        sample_request={"dataframe_split": {"columns": COLUMNS, "data": [ROW]}},  # the checker's smoke query
        expectations=[
            Expectation(
                "scores every row",
                request={"dataframe_split": {"columns": COLUMNS, "data": [ROW, ROW]}},
                expect=[Expect.status(200), Expect.predictions(2), Expect.p95_ms(500)],
            )
        ],
    )
    fraud.grant_query(service_principal="6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10")


if __name__ == "__main__":
    raise SystemExit(synthesize(build))
