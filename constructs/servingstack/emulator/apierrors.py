"""Errors in the Databricks REST shape: `{"error_code", "message", "details"}`.

Handlers raise `ApiError`; the server turns it into a JSON response. The SDK maps
`error_code` first (RESOURCE_DOES_NOT_EXIST -> ResourceDoesNotExist, ...), then the
HTTP status, so both must be right.
"""

from __future__ import annotations

from typing import Any

from servingstack.errors import Problem

_BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


class ApiError(Exception):
    """An error answer: HTTP status, Databricks error code, message, optional headers and details."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}
        self.details = details or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error_code": self.error_code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


def endpoint_not_found(name: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Endpoint with name '{name}' does not exist.")


def endpoint_id_not_found(endpoint_id: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Serving endpoint with id '{endpoint_id}' does not exist.")


def endpoint_exists(name: str) -> ApiError:
    return ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists.")


def update_in_progress(name: str, version: int) -> ApiError:
    return ApiError(
        409,
        "RESOURCE_CONFLICT",
        f"Endpoint '{name}' is already updating to config version {version}; "
        "wait until the update finishes before changing its config again.",
    )


def endpoint_not_ready(name: str) -> ApiError:
    """The answer to a query on an endpoint without a deployed config.

    The real status is unconfirmed (404 RESOURCE_DOES_NOT_EXIST or 503); this is the one
    place that picks it. 404 is chosen because clients do not retry it, so a checker
    fails fast instead of waiting out its retry budget.
    """
    return ApiError(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        f"Endpoint '{name}' is not ready: no served entity has finished deploying yet.",
    )


def entity_not_found(endpoint: str, entity: str) -> ApiError:
    return ApiError(
        404, "RESOURCE_DOES_NOT_EXIST", f"Served entity '{entity}' does not exist in endpoint '{endpoint}'."
    )


def invalid(message: str, problems: list[Problem] | None = None) -> ApiError:
    """400 INVALID_PARAMETER_VALUE; problems also go into a google.rpc.BadRequest detail."""
    details = []
    if problems:
        details = [
            {
                "@type": _BAD_REQUEST_TYPE,
                "field_violations": [{"field": p.field, "description": p.message} for p in problems],
            }
        ]
    return ApiError(400, "INVALID_PARAMETER_VALUE", message, details=details)


def invalid_problems(problems: list[Problem]) -> ApiError:
    return invalid("; ".join(str(p) for p in problems), problems)


def malformed(message: str) -> ApiError:
    return ApiError(400, "MALFORMED_REQUEST", message)


def unauthenticated() -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API.")


def no_such_route(method: str, path: str) -> ApiError:
    return ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")


def method_not_allowed(method: str, path: str) -> ApiError:
    return ApiError(405, "METHOD_NOT_ALLOWED", f"Method {method} is not allowed on '{path}'")
