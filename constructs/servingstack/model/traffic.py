"""Traffic splits across the served entities of one endpoint: a mapping name -> percent."""

from __future__ import annotations

from collections.abc import Mapping

TrafficSplit = Mapping[str, int]


def canary(stable: str, candidate: str, percent: int) -> dict[str, int]:
    """Send `percent` of the traffic to `candidate`, the rest to `stable`."""
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValueError(f"canary percent must be a whole number from 0 to 100, got {percent!r}")
    return {stable: 100 - percent, candidate: percent}


def blue_green(live: str, idle: str) -> dict[str, int]:
    """All traffic to `live`; `idle` stays deployed with 0% so switching is a config update."""
    return {live: 100, idle: 0}


def routes(split: TrafficSplit) -> list[dict[str, object]]:
    """API-shaped routes, in the order the split was written."""
    return [{"served_model_name": name, "traffic_percentage": percent} for name, percent in split.items()]
