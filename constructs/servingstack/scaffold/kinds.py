"""The endpoint of each kind that a new project's `main.py` declares, one snippet per kind.

Each complies with the baseline pack in dev and the production pack in prod (usage tracking, a rate
limit, owner and cost tags, an inference table in production), and answers the checker's smoke
query on the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    what: str  # for --help and the README
    imports: tuple[str, ...]  # the names it needs from servingstack
    code: str  # statements in build_fleet(stack, production), indented by four spaces


FOUNDATION = Kind(
    "foundation",
    "a pay-per-token foundation model",
    ("FoundationModel",),
    """    # Pay-per-token foundation model: no capacity to manage.
    endpoints.append(
        ServingEndpoint(
            stack,
            "assistant",
            name="assistant",
            served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1", name="llama")],
            ai_gateway=gateway(production, "assistant", calls=60),
        )
    )
""",
)

PROVISIONED = Kind(
    "provisioned",
    "a foundation model with provisioned throughput",
    ("ProvisionedThroughput",),
    """    # Provisioned throughput: reserved capacity, in model units.
    endpoints.append(
        ServingEndpoint(
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
            ai_gateway=gateway(production, "summarizer", calls=30),
        )
    )
""",
)

CUSTOM = Kind(
    "custom",
    "a custom MLflow model from Unity Catalog",
    ("CustomModel",),
    """    # A custom MLflow model from Unity Catalog, and the smoke query the checker sends it.
    endpoints.append(
        ServingEndpoint(
            stack,
            "scorer",
            name="scorer",
            served_entities=[
                # Scale to zero in dev; unset in production (the service default is off).
                CustomModel("@@catalog@@.models.scorer", 1, name="v1", scale_to_zero=None if production else True)
            ],
            ai_gateway=gateway(production, "scorer", calls=600),
            sample_request={"dataframe_split": {"columns": ["amount"], "data": [[125.5]]}},
        )
    )
""",
)

EXTERNAL = Kind(
    "external",
    "an external model (OpenAI) behind the AI Gateway",
    ("ExternalModel", "OpenAI", "SecretScope"),
    """    # An external model behind the AI Gateway. Its key lives in a secret scope kept outside this
    # stack: put it with `databricks secrets put-secret llm-keys openai`.
    keys = SecretScope.from_name(stack, "llm-keys", name="llm-keys", reason="the platform team keeps the provider keys")
    endpoints.append(
        ServingEndpoint(
            stack,
            "gateway",
            name="llm-gateway",
            served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai")))],
            ai_gateway=gateway(production, "gateway", calls=100),
        )
    )
""",
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (FOUNDATION, PROVISIONED, CUSTOM, EXTERNAL)}
