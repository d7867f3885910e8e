"""What kind of queries an endpoint answers (its `task`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CHAT = "llm/v1/chat"
COMPLETIONS = "llm/v1/completions"
EMBEDDINGS = "llm/v1/embeddings"

FOUNDATION_MODEL_PREFIXES = ("system.ai.", "databricks-")
_EMBEDDING_HINTS = ("embed", "bge", "gte")


def is_foundation_model(entity_name: str | None) -> bool:
    return bool(entity_name and entity_name.startswith(FOUNDATION_MODEL_PREFIXES))


def infer_task(served_entities: Iterable[dict[str, Any]]) -> str | None:
    """The endpoint task: the external model's task, else guessed from a foundation model name.

    Custom models have no task (None).
    """
    for entity in served_entities:
        external = entity.get("external_model")
        if external and external.get("task"):
            return external["task"]
        name = entity.get("entity_name") or ""
        if is_foundation_model(name):
            short = name.lower()
            return EMBEDDINGS if any(hint in short for hint in _EMBEDDING_HINTS) else CHAT
    return None
