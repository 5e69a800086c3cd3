"""A security group that only opens what is listed, and never an admin or data port to the world.

Policy: "How Does LuxCloud Protect the Personal Data it Holds?" (firewalls, access only for
those who need it; GDPR Art. 32, Art. 25).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Union

import pulumi
import pulumi_aws as aws

from stacks.errors import StackConfigError
from stacks.pinning import approval_tags, require_pinned_provider

# controls.md, "access": ports never reachable from 0.0.0.0/0 or ::/0.
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
DATA_PORTS = {
    3306: "MySQL",
    5432: "PostgreSQL",
    1433: "SQL Server",
    1521: "Oracle",
    6379: "Redis",
    9200: "Elasticsearch",
    27017: "MongoDB",
}
RESTRICTED_PORTS = {**ADMIN_PORTS, **DATA_PORTS}
# Protocols whose port numbers are ports (icmp's are type/code); "-1" means every protocol.
_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
              "icmpv6": "icmpv6", "58": "icmpv6", "-1": "-1", "all": "-1"}
_PORTED = {"tcp", "udp"}

Port = Union[int, tuple[int, int]]


@dataclass(frozen=True, kw_only=True)
class AllowedIngress:
    """One allowed inbound flow. `port` is a port or an inclusive (from, to) range; with
    protocol "-1" (every protocol) the port is ignored and every port is open."""

    port: Port
    protocol: str = "tcp"
    cidrs: Sequence[str]
    description: str


@dataclass(frozen=True, kw_only=True)
class AllowedEgress(AllowedIngress):
    """One allowed outbound flow (same shape as AllowedIngress)."""


@dataclass(frozen=True)
class FirewallArgs:
    """`egress` is empty by default: nothing leaves unless listed (no allow-all rule)."""

    ingress: Sequence[AllowedIngress]
    egress: Sequence[AllowedEgress] = ()
    vpc_id: Optional[pulumi.Input[str]] = None
    description: str = "luxguard: explicit ingress only"
    group_name: Optional[str] = None
    tags: Mapping[str, str] = field(default_factory=dict)


def _port_range(rule: AllowedIngress, protocol: str) -> tuple[int, int]:
    if protocol == "-1":
        return (0, 0)  # AWS requires 0/0 with protocol -1; it still means every port.
    bounds = (rule.port, rule.port) if isinstance(rule.port, int) else tuple(rule.port)
    if len(bounds) != 2 or not all(isinstance(b, int) for b in bounds):
        raise StackConfigError(f"port {rule.port!r} is not a port or a (from, to) range")
    low, high = bounds
    if protocol in _PORTED and not 0 <= low <= high <= 65535:
        raise StackConfigError(f"port range {low}-{high} is not ascending within 0..65535")
    return low, high


def _describe(protocol: str, low: int, high: int) -> str:
    if protocol == "-1":
        return "all protocols and ports"
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


def _is_world(cidr: str) -> bool:
    return ipaddress.ip_network(cidr, strict=False).prefixlen == 0


def _check(rule: AllowedIngress, direction: str) -> dict:
    """The SecurityGroup rule args for `rule`, or StackConfigError saying why it is refused."""
    protocol = _PROTOCOLS.get(str(rule.protocol).lower())
    if protocol is None:
        raise StackConfigError(f"{direction} rule {rule.description!r}: unknown protocol {rule.protocol!r}")
    if not rule.description.strip():
        raise StackConfigError(f"{direction} rule for port {rule.port!r}: give a description saying who needs it")
    if not rule.cidrs:
        raise StackConfigError(f"{direction} rule {rule.description!r}: no cidrs")
    low, high = _port_range(rule, protocol)
    try:
        networks = [ipaddress.ip_network(c, strict=False) for c in rule.cidrs]
    except ValueError as exc:
        raise StackConfigError(f"{direction} rule {rule.description!r}: {exc}") from None
    if direction == "ingress" and protocol in _PORTED | {"-1"}:
        for cidr in (c for c in rule.cidrs if _is_world(c)):
            exposed = [p for p in sorted(RESTRICTED_PORTS) if protocol == "-1" or low <= p <= high]
            if exposed:
                names = ", ".join(f"{p} ({RESTRICTED_PORTS[p]})" for p in exposed)
                ports = "port" if len(exposed) == 1 else "ports"
                raise StackConfigError(
                    f"ingress {_describe(protocol, low, high)} from {cidr} opens {ports} {names} "
                    "to the whole internet: "
                    "admin and database ports must only be reachable from known networks "
                    "(e.g. a VPC CIDR or a bastion's /32)"
                )
    return {
        "from_port": low,
        "to_port": high,
        "protocol": protocol,
        "cidr_blocks": [str(n) for n in networks if n.version == 4] or None,
        "ipv6_cidr_blocks": [str(n) for n in networks if n.version == 6] or None,
        "description": rule.description,
    }


class Firewall(pulumi.ComponentResource):
    """aws.ec2.SecurityGroup with inline, validated ingress and explicit (default: no) egress."""

    security_group: aws.ec2.SecurityGroup
    security_group_id: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: FirewallArgs, *, region: str, opts: Optional[pulumi.ResourceOptions]
    ) -> None:
        provider, pin = require_pinned_provider(f"Firewall {name}", region, opts)
        try:
            ingress = [_check(rule, "ingress") for rule in args.ingress]
            egress = [_check(rule, "egress") for rule in args.egress]
        except StackConfigError as exc:
            raise StackConfigError(f"Firewall {name}: {exc}") from None
        super().__init__("luxguard:index:Firewall", name, None, opts)
        self.security_group = aws.ec2.SecurityGroup(
            name,
            name=args.group_name or name,
            description=args.description,
            vpc_id=args.vpc_id,
            ingress=ingress,
            # An explicit empty list: inline egress=[] removes AWS's default allow-all rule.
            egress=egress,
            revoke_rules_on_delete=True,
            tags={**args.tags, **approval_tags(pin)},
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.security_group_id = self.security_group.id
        self.arn = self.security_group.arn
        self.register_outputs({"id": self.security_group_id, "arn": self.arn})
