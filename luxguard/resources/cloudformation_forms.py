"""Helpers the descriptors' CloudFormation converters share: tags, policy documents and
security group rules in the shape of pulumi-aws inputs."""

from __future__ import annotations

import json
from typing import Any

from luxguard.core.unknowns import Unknown, first_unknown


def tags(properties: dict) -> Any:
    """`Tags: [{Key, Value}]` (or a map) -> a tag map; Unknown when a tag is not known."""
    raw = properties.get("Tags")
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return raw
    unknown = first_unknown(raw)
    if unknown is not None:
        return unknown
    return {str(t.get("Key")): t.get("Value") for t in raw if isinstance(t, dict)}


def policy_json(document: Any) -> Any:
    """A policy document as the JSON string pulumi-aws takes (Unknown stays Unknown)."""
    if document is None or isinstance(document, (str, Unknown)):
        return document
    unknown = first_unknown(document)
    return unknown if unknown is not None else json.dumps(document, sort_keys=True)


def security_group_rule(rule: dict) -> dict:
    """One `SecurityGroupIngress`/`Egress` entry -> a pulumi-aws ingress/egress rule."""
    def listed(key: str) -> list:
        return [rule[key]] if rule.get(key) is not None else []

    return {"protocol": rule.get("IpProtocol"), "fromPort": rule.get("FromPort"), "toPort": rule.get("ToPort"),
            "cidrBlocks": listed("CidrIp"), "ipv6CidrBlocks": listed("CidrIpv6"),
            "securityGroups": [*listed("SourceSecurityGroupId"), *listed("DestinationSecurityGroupId"),
                               *listed("SourcePrefixListId"), *listed("DestinationPrefixListId")],
            "description": rule.get("Description")}
