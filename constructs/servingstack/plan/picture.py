"""The change as a picture that GitHub renders in a pull-request comment (a Mermaid flowchart):
each endpoint the apply changes, its served entities, and each entity's share of the traffic before
-> after; what is added, removed, changed or replaced is coloured (and dashed when it goes away)."""

from __future__ import annotations

from servingstack.plan.results import PlanReport, ResourceChange, TrafficLine

MAX_ENDPOINTS = 25  # a picture beyond that is unreadable; the tables list them all
_ENDPOINT_TYPES = ("databricks_model_serving", "databricks_model_serving_provisioned_throughput")
_CLASSES = (
    "classDef create fill:#dafbe1,stroke:#1a7f37,color:#0d3b1a",
    "classDef delete fill:#ffebe9,stroke:#cf222e,color:#5c0d12,stroke-dasharray:5 5",
    "classDef update fill:#fff8c5,stroke:#9a6700,color:#3b2300",
    "classDef replace fill:#fbefff,stroke:#8250df,color:#2e1065",
    "classDef same fill:#f6f8fa,stroke:#8c959f,color:#24292f",
)


def _label(*lines: str) -> str:
    """A quoted Mermaid label; quotes and angle brackets become entities, lines join with <br/>."""
    cleaned = [line.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") for line in lines if line]
    return '"' + "<br/>".join(cleaned) + '"'


def _share(value: int | None) -> str:
    return "–" if value is None else f"{value}%"


def _entity_class(line: TrafficLine, endpoint: ResourceChange) -> str:
    if endpoint.action in ("create", "delete"):
        return endpoint.action
    if line.before is None and line.after is not None:
        return "create"
    if line.after is None:
        return "delete"
    if line.changed or line.before != line.after or endpoint.action == "replace":
        return "update"
    return "same"


def render(report: PlanReport) -> str | None:
    """The Mermaid source (without the fence), or None when no endpoint changes."""
    endpoints = [c for c in report.changes if c.resource_type in _ENDPOINT_TYPES and c.action != "unchanged"]
    if not endpoints:
        return None
    lines = ["flowchart LR"]
    for index, endpoint in enumerate(endpoints[:MAX_ENDPOINTS]):
        node = f"e{index}"
        lines.append(f"  {node}[{_label(endpoint.name, endpoint.action)}]:::{endpoint.action}")
        for number, line in enumerate(endpoint.traffic):
            entity = f"{node}_{number}"
            kind = _entity_class(line, endpoint)
            lines.append(f"  {entity}({_label(line.entity, line.model)}):::{kind}")
            if line.before == line.after:
                share = _share(line.after)
            else:
                share = f"{_share(line.before)} → {_share(line.after)}"
            arrow = "-.->" if kind == "delete" else ("==>" if kind != "same" else "-->")
            lines.append(f"  {node} {arrow}|{_label(share)}| {entity}")
    if len(endpoints) > MAX_ENDPOINTS:
        lines.append(f"  more[{_label(f'and {len(endpoints) - MAX_ENDPOINTS} more endpoints')}]:::same")
    lines += [f"  {definition}" for definition in _CLASSES]
    return "\n".join(lines)
