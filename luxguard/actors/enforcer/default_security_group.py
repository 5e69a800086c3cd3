"""`sg_remove_default_rules`: a VPC's `default` security group left with no rule (CIS AWS 5.4).

The group itself stays (it cannot and must not be deleted); every ingress and egress rule is
revoked. The plan's and the audit log's `before` hold the rules exactly as read, so a person can
authorise them again. Any other group is refused: only the default group is emptied."""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Finding, Resource
from luxguard.actors.enforcer.actions import describe_permission, permission_sources
from luxguard.actors.enforcer.base import Action, ApiCall, Blocked, EnforceContext, PlannedChange, register

SOURCE_KEYS = {"IpRanges": ("CidrIp",), "Ipv6Ranges": ("CidrIpv6",), "PrefixListIds": ("PrefixListId",),
               "UserIdGroupPairs": ("GroupId", "UserId")}


def revocable(permission: dict) -> dict:
    """A rule as Revoke* takes it: the protocol, ports and sources, without descriptions."""
    entry = {k: permission[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in permission}
    for key, fields in SOURCE_KEYS.items():
        sources = [{f: s[f] for f in fields if f in s} for s in permission.get(key) or []]
        if sources:
            entry[key] = sources
    return entry


@register
class RemoveDefaultGroupRules(Action):
    name = "sg_remove_default_rules"
    resource_types = ("AWS::EC2::SecurityGroup",)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        group = ctx.client("ec2", resource.region).describe_security_groups(
            GroupIds=[resource.id])["SecurityGroups"][0]
        return {"GroupName": group.get("GroupName"), "VpcId": group.get("VpcId"),
                "IpPermissions": group.get("IpPermissions", []),
                "IpPermissionsEgress": group.get("IpPermissionsEgress", [])}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        r = finding.resource
        if current["GroupName"] != "default":
            raise Blocked(f"refused: {r.id} is {current['GroupName']!r}, not a VPC's default group; "
                          "only the default group is emptied")
        ingress = [revocable(p) for p in current["IpPermissions"] if permission_sources(p)]
        egress = [revocable(p) for p in current["IpPermissionsEgress"] if permission_sources(p)]
        if not ingress and not egress:
            return None
        calls, diff = [], []
        if ingress:
            calls.append(ApiCall("ec2", r.region, "RevokeSecurityGroupIngress", {"GroupId": r.id, "IpPermissions": ingress}))
            diff += ["- ingress " + describe_permission(p, permission_sources(p)) for p in current["IpPermissions"]]
        if egress:
            calls.append(ApiCall("ec2", r.region, "RevokeSecurityGroupEgress",
                                 {"GroupId": r.id, "IpPermissions": egress}))
            diff += ["- egress " + describe_permission(p, permission_sources(p)).replace(" from ", " to ")
                     for p in current["IpPermissionsEgress"]]
        diff.append(f"= default group of {current['VpcId']} kept, with no rule; the removed rules are the "
                    "audit log's `before`")
        after = dict(current, IpPermissions=[], IpPermissionsEgress=[])
        return self.change(finding, calls, after, diff)
