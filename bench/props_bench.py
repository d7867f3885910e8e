"""What checking the value types' arguments costs (`@typed`: unknown and missing arguments refused
as each is made): building and validating one endpoint's props (two custom models, an AI gateway
with two rate limits, a split, tags) with the checks, and with every value type's plain dataclass
`__init__` restored (`__wrapped__`), alternating, in the same process.

    .venv/bin/python bench/props_bench.py
"""

from __future__ import annotations

import statistics
import timeit

from servingstack import AiGateway, CustomModel, RateLimit
from servingstack.model.spec import EmailNotifications, EndpointSpec
from servingstack.model.typecheck import _TYPED

RUNS, NUMBER = 7, 2000


def build_and_validate() -> dict:
    entities = [CustomModel("ml.a.b", 1, name="v1"), CustomModel("ml.a.b", 2, name="v2")]
    gateway = AiGateway(rate_limits=[RateLimit(calls=10), RateLimit.per_group("g", tokens=5)], usage_tracking=True)
    spec = EndpointSpec(
        name="x",
        served_entities=entities,
        traffic={"v1": 90, "v2": 10},
        ai_gateway=gateway,
        tags={"team": "ml"},
        email_notifications=EmailNotifications(on_update_failure=["a@b.c"]),
    )
    return spec.validate("dev/x", "dev-")


def per_call_ms(checked: bool) -> float:
    inits = {cls: cls.__init__ for cls in _TYPED}
    if not checked:
        for cls in _TYPED:
            cls.__init__ = cls.__init__.__wrapped__
    try:
        return timeit.timeit(build_and_validate, number=NUMBER) / NUMBER * 1000
    finally:
        for cls, init in inits.items():
            cls.__init__ = init


def main() -> None:
    checked, plain = [], []
    for _ in range(RUNS):
        checked.append(per_call_ms(True))
        plain.append(per_call_ms(False))
    a, b = statistics.median(checked), statistics.median(plain)
    print(f"props built and validated, median of {RUNS} runs x {NUMBER}:")
    print(f"  with argument checks  {a:.3f} ms")
    print(f"  without                {b:.3f} ms")
    print(f"  the checks cost        {a - b:.3f} ms per endpoint (ratio {a / b:.2f})")


if __name__ == "__main__":
    main()
