"""A progressive rollout on each of two endpoints: `make demo-rollout` synthesizes this app, applies it to
the local emulator and runs `servingstack rollout` on both (one candidate healthy, one that fails under
load). The bakes are seconds long for the demo; in production they are minutes (`bake="10m"`)."""

from servingstack import CustomModel, Expect, Expectation, Gate, Rollout, ServingEndpoint, ServingStack, synthesize

GATES = [
    Gate.probes(),  # the candidate's own query and the expectations below, on its own route
    Gate.error_rate(max_rate=0.02, max_increase=0.01, min_requests=20),  # from the endpoint's metrics
    Gate.latency(max_ratio=2.0, percentile=99, min_requests=20),
]
SCORES = Expectation(
    "scores every row",
    request={"dataframe_split": {"columns": ["amount"], "data": [[12.5], [980.0]]}},
    expect=[Expect.status(200), Expect.predictions(2)],
)


def build(app):
    stack = ServingStack(app, "canary", environment="demo")
    for id, model, (stable, candidate), steps in (
        ("fraud", "ml.fraud.scorer", (3, 4), [10, 50, 100]),
        ("recommender", "ml.shop.recommender", (7, 8), [5, 25, 50, 100]),
    ):
        ServingEndpoint(
            stack,
            id,
            name=id if id != "fraud" else "fraud-scoring",
            served_entities=[
                CustomModel(model, stable, name=f"v{stable}", scale_to_zero=True),
                CustomModel(model, candidate, name=f"v{candidate}", scale_to_zero=True),
            ],
            sample_request={"dataframe_split": {"columns": ["amount"], "data": [[125.5]]}},
            expectations=[SCORES],
            rollout=Rollout(
                stable=f"v{stable}",
                candidate=f"v{candidate}",
                steps=steps,
                bake="4s",  # production: "10m"
                interval="1s",  # production: "1m" (the service's metrics are per minute)
                gates=GATES,
                failure_limit=2,
            ),
        )


if __name__ == "__main__":
    raise SystemExit(synthesize(build))
