"""Security group rules in one shape, whatever the source (Pulumi inputs, EC2 API, state)."""

from __future__ import annotations

from typing import Any, Iterable, Optional

WORLD = {"0.0.0.0/0", "::/0"}
ALL_PORTS = [0, 65535]


def normalise_rule(
    protocol: Any,
    from_port: Optional[int],
    to_port: Optional[int],
    sources: Iterable[str],
    description: Optional[str] = None,
) -> dict[str, Any]:
    """One ingress/egress rule: protocol '-1' (all) covers every port."""
    proto = str(protocol).lower() if protocol is not None else "-1"
    if proto in ("all", "-1"):
        proto, ports = "-1", list(ALL_PORTS)
    elif proto in ("6", "tcp", "17", "udp"):
        proto = {"6": "tcp", "17": "udp"}.get(proto, proto)
        low = int(from_port) if from_port is not None else 0
        high = int(to_port) if to_port is not None else low
        ports = [low, high] if low >= 0 else list(ALL_PORTS)
    else:
        ports = None
    source_list = sorted({s for s in sources if s})
    return {
        "protocol": proto,
        "ports": ports,
        "sources": source_list,
        "open_to_world": bool(WORLD & set(source_list)),
        "description": description,
    }


def sort_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rules, key=lambda r: (r["protocol"], r["ports"] or [-1, -1], r["sources"]))
