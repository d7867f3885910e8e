"""External model providers: where an `ExternalModel` is hosted and how Databricks reaches it.

Keys are secret references (`secret(scope, key)`); a `Plaintext(...)` key is refused by
the endpoint unless it opts in with `allow_plaintext_secrets=True`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from servingstack.model.secrets import SecretValue, secret_fields
from servingstack.model.typecheck import typed


class ExternalProvider(Protocol):
    provider: ClassVar[str]
    config_field: ClassVar[str]

    def to_api(self) -> dict[str, Any]: ...


def _settings(plain: dict[str, Any], **secrets: SecretValue | None) -> dict[str, Any]:
    values = {k: v for k, v in plain.items() if v is not None}
    for field_name, value in secrets.items():
        values.update(secret_fields(field_name, value))
    return values


@typed
@dataclass(frozen=True)
class OpenAI:
    """OpenAI or Azure OpenAI. Azure: set `api_type="azure"`, `api_base`, `api_version` and
    `deployment_name`; with Microsoft Entra ID use the `entra_*` fields instead of `api_key`."""

    provider: ClassVar[str] = "openai"
    config_field: ClassVar[str] = "openai_config"
    api_key: SecretValue | None = None
    api_base: str | None = None
    api_type: str | None = None
    api_version: str | None = None
    deployment_name: str | None = None
    organization: str | None = None
    entra_client_id: str | None = None
    entra_tenant_id: str | None = None
    entra_client_secret: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings(
            {
                "openai_api_base": self.api_base,
                "openai_api_type": self.api_type,
                "openai_api_version": self.api_version,
                "openai_deployment_name": self.deployment_name,
                "openai_organization": self.organization,
                "microsoft_entra_client_id": self.entra_client_id,
                "microsoft_entra_tenant_id": self.entra_tenant_id,
            },
            openai_api_key=self.api_key,
            microsoft_entra_client_secret=self.entra_client_secret,
        )


@typed
@dataclass(frozen=True)
class Anthropic:
    provider: ClassVar[str] = "anthropic"
    config_field: ClassVar[str] = "anthropic_config"
    api_key: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings({}, anthropic_api_key=self.api_key)


@typed
@dataclass(frozen=True)
class Cohere:
    provider: ClassVar[str] = "cohere"
    config_field: ClassVar[str] = "cohere_config"
    api_key: SecretValue | None = None
    api_base: str | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings({"cohere_api_base": self.api_base}, cohere_api_key=self.api_key)


@typed
@dataclass(frozen=True)
class AmazonBedrock:
    """Bedrock with access keys, an instance profile (`instance_profile_arn`) or a Unity Catalog
    service credential (`uc_service_credential_name`, provider 1.138: needs the cdktn engine)."""

    provider: ClassVar[str] = "amazon-bedrock"
    config_field: ClassVar[str] = "amazon_bedrock_config"
    region: str | None = None
    bedrock_provider: str | None = None  # anthropic | cohere | ai21labs | amazon
    access_key_id: SecretValue | None = None
    secret_access_key: SecretValue | None = None
    instance_profile_arn: str | None = None
    uc_service_credential_name: str | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings(
            {
                "aws_region": self.region,
                "bedrock_provider": self.bedrock_provider,
                "instance_profile_arn": self.instance_profile_arn,
                "uc_service_credential_name": self.uc_service_credential_name,
            },
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )


@typed
@dataclass(frozen=True)
class GoogleVertexAI:
    provider: ClassVar[str] = "google-cloud-vertex-ai"
    config_field: ClassVar[str] = "google_cloud_vertex_ai_config"
    project_id: str | None = None
    region: str | None = None
    private_key: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings({"project_id": self.project_id, "region": self.region}, private_key=self.private_key)


@typed
@dataclass(frozen=True)
class DatabricksModelServing:
    """A model served by another Databricks workspace."""

    provider: ClassVar[str] = "databricks-model-serving"
    config_field: ClassVar[str] = "databricks_model_serving_config"
    workspace_url: str | None = None
    api_token: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings({"databricks_workspace_url": self.workspace_url}, databricks_api_token=self.api_token)


@typed
@dataclass(frozen=True)
class AI21Labs:
    provider: ClassVar[str] = "ai21labs"
    config_field: ClassVar[str] = "ai21labs_config"
    api_key: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings({}, ai21labs_api_key=self.api_key)


@typed
@dataclass(frozen=True)
class PaLM:
    provider: ClassVar[str] = "palm"
    config_field: ClassVar[str] = "palm_config"
    api_key: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        return _settings({}, palm_api_key=self.api_key)


@typed
@dataclass(frozen=True)
class CustomProvider:
    """Any OpenAI-compatible endpoint: `url`, and either an API key sent in header `api_key_header`
    or a bearer token."""

    provider: ClassVar[str] = "custom"
    config_field: ClassVar[str] = "custom_provider_config"
    url: str | None = None
    api_key_header: str | None = None
    api_key: SecretValue | None = None
    bearer_token: SecretValue | None = None

    def to_api(self) -> dict[str, Any]:
        settings: dict[str, Any] = _settings({"custom_provider_url": self.url})
        if self.api_key_header is not None or self.api_key is not None:
            settings["api_key_auth"] = _settings({"key": self.api_key_header}, value=self.api_key)
        if self.bearer_token is not None:
            settings["bearer_token_auth"] = _settings({}, token=self.bearer_token)
        return settings
