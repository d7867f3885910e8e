"""A pay-per-token foundation model: a `system.ai` model served by Databricks, no capacity to manage.

Run it with `python examples/foundation_model.py` (or as the `app` of a `cdktf.json`): it writes
cdktf.out/stacks/dev/cdk.tf.json with one `databricks_model_serving` (`dev-assistant`) and its
`databricks_permissions`, and passes the baseline policy pack.
"""

from servingstack import AiGateway, BaselinePack, FoundationModel, RateLimit, ServingEndpoint, ServingStack, synthesize


def build(app):
    stack = ServingStack(
        app,
        "dev",
        environment="dev",  # endpoint names get "dev-"
        default_tags={"owner": "ml-platform", "cost-center": "cc-4711"},  # policy SS4 asks for both
        policy=[BaselinePack()],
    )
    assistant = ServingEndpoint(
        stack,
        "assistant",
        name="assistant",
        served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1", name="llama")],
        ai_gateway=AiGateway(
            usage_tracking=True,  # SS1
            rate_limits=[RateLimit(calls=60), RateLimit.default_per_user(calls=10)],  # SS2
        ),
        description="General assistant for internal tools",
    )
    assistant.grant_query(group="data-scientists").grant_manage(group="ml-platform")


if __name__ == "__main__":
    raise SystemExit(synthesize(build))
