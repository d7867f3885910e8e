"""One fleet in two workspaces: a `staging` and a `prod` stack from the same code, each naming its own
workspace (the provider's `host` in its cdk.tf.json), so Terraform, `servingstack check` and
`servingstack emulator apply` each deploy or read a stack where it lives, whatever DATABRICKS_HOST says.

`python examples/multi_workspace.py` writes cdktf.out/stacks/{staging,prod}/cdk.tf.json.
"""

from servingstack import (
    AiGateway,
    BaselinePack,
    FoundationModel,
    InferenceTable,
    ProductionPack,
    RateLimit,
    ServingEndpoint,
    ServingStack,
    synthesize,
)

WORKSPACES = {
    "staging": "https://staging.cloud.databricks.com",
    "prod": "https://prod.cloud.databricks.com",
}


def fleet(stack: ServingStack, *, production: bool) -> None:
    """The same endpoints in every workspace; production gets higher limits."""
    ServingEndpoint(
        stack,
        "assistant",
        name="assistant",
        served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1", name="llama")],
        ai_gateway=AiGateway(
            usage_tracking=True,
            rate_limits=[RateLimit(calls=600 if production else 60)],
            # production keeps its traffic (policy SS3 of the production pack)
            inference_table=InferenceTable("ml", "assistant_serving", table_prefix="assistant") if production else None,
        ),
    )


def build(app):
    for environment, host in WORKSPACES.items():
        production = environment == "prod"
        stack = ServingStack(
            app,
            environment,
            environment=environment,
            host=host,
            default_tags={"owner": "ml-platform", "cost-center": "cc-4711"},
            policy=[ProductionPack() if production else BaselinePack()],
        )
        fleet(stack, production=production)


if __name__ == "__main__":
    raise SystemExit(synthesize(build))
