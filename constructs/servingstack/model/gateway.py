"""The AI Gateway of an endpoint: rate limits, usage tracking, inference tables,
guardrails and fallback. Only what is set is sent; the service's defaults apply to the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from servingstack.errors import Problem
from servingstack.model.typecheck import typed


@typed
@dataclass(frozen=True)
class RateLimit:
    """Calls and/or tokens per minute, for the whole endpoint (`key="endpoint"`), or per
    `user` (email), `user_group` or `service_principal` (application id) named in `principal`."""

    calls: int | None = None
    tokens: int | None = None
    key: str = "endpoint"
    principal: str | None = None
    renewal_period: str = "minute"

    @classmethod
    def default_per_user(cls, *, calls: int | None = None, tokens: int | None = None) -> RateLimit:
        """The limit every user gets on their own (key `user` without a principal: product docs, AI Gateway
        rate limits, "User (default)"); `per_user(email)` gives one user a limit of their own."""
        return cls(calls=calls, tokens=tokens, key="user")

    @classmethod
    def per_user(cls, user: str, *, calls: int | None = None, tokens: int | None = None) -> RateLimit:
        """A limit for one user (email), in place of the default per-user limit."""
        return cls(calls=calls, tokens=tokens, key="user", principal=user)

    @classmethod
    def per_group(cls, group: str, *, calls: int | None = None, tokens: int | None = None) -> RateLimit:
        return cls(calls=calls, tokens=tokens, key="user_group", principal=group)

    @classmethod
    def per_service_principal(
        cls, application_id: str, *, calls: int | None = None, tokens: int | None = None
    ) -> RateLimit:
        return cls(calls=calls, tokens=tokens, key="service_principal", principal=application_id)

    def to_api(self) -> dict[str, Any]:
        values = {
            "calls": self.calls,
            "tokens": self.tokens,
            "key": self.key,
            "principal": self.principal,
            "renewal_period": self.renewal_period,
        }
        return {k: v for k, v in values.items() if v is not None}


@typed
@dataclass(frozen=True)
class InferenceTable:
    """Log requests and responses to `<catalog>.<schema>.<table_prefix>_payload` in Unity Catalog."""

    catalog: str
    schema: str
    table_prefix: str | None = None
    enabled: bool = True

    def to_api(self) -> dict[str, Any]:
        values = {
            "catalog_name": self.catalog,
            "schema_name": self.schema,
            "table_name_prefix": self.table_prefix,
            "enabled": self.enabled,
        }
        return {k: v for k, v in values.items() if v is not None}


@typed
@dataclass(frozen=True)
class Guardrail:
    """Checks on one direction (input or output): `safety` filtering, `invalid_keywords` to
    refuse, `valid_topics` to stay within, and `pii` handling (BLOCK | MASK | NONE)."""

    safety: bool | None = None
    invalid_keywords: Sequence[str] = ()
    valid_topics: Sequence[str] = ()
    pii: str | None = None

    def to_api(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.safety is not None:
            values["safety"] = self.safety
        if self.invalid_keywords:
            values["invalid_keywords"] = _as_list(self.invalid_keywords)
        if self.valid_topics:
            values["valid_topics"] = _as_list(self.valid_topics)
        if self.pii is not None:
            values["pii"] = {"behavior": self.pii}
        return values


@typed
@dataclass(frozen=True)
class AiGateway:
    """`AiGateway(rate_limits=[RateLimit(calls=100)], usage_tracking=True,
    inference_table=InferenceTable("ml", "serving"), input_guardrail=Guardrail(pii="BLOCK"),
    fallback=True)`. Fallback reroutes to another served external model on failure."""

    rate_limits: Sequence[RateLimit] = field(default_factory=tuple)
    usage_tracking: bool | None = None
    inference_table: InferenceTable | None = None
    input_guardrail: Guardrail | None = None
    output_guardrail: Guardrail | None = None
    fallback: bool | None = None

    def to_api(self) -> dict[str, Any]:
        # Parts of the wrong type are left out here and named by `problems()`.
        gateway: dict[str, Any] = {}
        if self.rate_limits:
            gateway["rate_limits"] = [limit.to_api() for limit in self._limits() if isinstance(limit, RateLimit)]
        if self.usage_tracking is not None:
            gateway["usage_tracking_config"] = {"enabled": self.usage_tracking}
        if isinstance(self.inference_table, InferenceTable):
            gateway["inference_table_config"] = self.inference_table.to_api()
        guardrails = {
            direction: rail.to_api()
            for direction, rail in (("input", self.input_guardrail), ("output", self.output_guardrail))
            if isinstance(rail, Guardrail)
        }
        if guardrails:
            gateway["guardrails"] = guardrails
        if self.fallback is not None:
            gateway["fallback_config"] = {"enabled": self.fallback}
        return gateway

    def _limits(self) -> list[Any]:
        # One RateLimit may be passed bare.
        return [self.rate_limits] if isinstance(self.rate_limits, RateLimit) else list(self.rate_limits or ())

    def problems(self) -> list[Problem]:
        """Parts of the wrong type (the provider's structs would raise a raw TypeError on them)."""
        problems = [
            Problem(f"ai_gateway.rate_limits[{i}]", "must be a RateLimit")
            for i, limit in enumerate(self._limits())
            if not isinstance(limit, RateLimit)
        ]
        for field_name, kind in (
            ("inference_table", InferenceTable),
            ("input_guardrail", Guardrail),
            ("output_guardrail", Guardrail),
        ):
            value = getattr(self, field_name)
            if value is not None and not isinstance(value, kind):
                problems.append(Problem(f"ai_gateway.{field_name}", f"must be a {kind.__name__}"))
        for field_name in ("usage_tracking", "fallback"):
            value = getattr(self, field_name)
            if value is not None and not isinstance(value, bool):
                problems.append(Problem(f"ai_gateway.{field_name}", "must be True or False"))
        return problems


def _as_list(values: Any) -> Any:
    # A bare string stays a string, so the rules name it instead of splitting it into letters.
    return values if isinstance(values, str) else list(values)
