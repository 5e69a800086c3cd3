"""`ebs_remove_external_shares`: the shares of an EBS snapshot (createVolumePermission), an
RDS snapshot (restore attribute) or an AMI (launch permission) that reach outside the trusted
zone. Group `all` (public) is removed; an account no approval in force covers is reported with
the exact change and removed only with `--remove-external-grants`; the trusted zone's and
approved processors' accounts are never touched. An AMI's launch permission for another
organization (or one of its OUs) is reported and never removed: a person judges those."""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Finding
from luxguard.resources.ec2_image import ORGANIZATION_ARN
from luxguard.actors.enforcer.actions import SHARE_NAME, UnshareSnapshot, share_call
from luxguard.actors.enforcer.base import Blocked, EnforceContext, PlannedChange, register

FLAG = "--remove-external-grants"


def _organization(arn: str) -> str:
    match = ORGANIZATION_ARN.match(arn)
    return match.group("org") if match else arn


@register
class RemoveExternalShares(UnshareSnapshot):
    """Reads the shares as `ebs_unshare_snapshot` does; also judges the named accounts."""

    name = "ebs_remove_external_shares"

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        zone, approved = ctx.zone_for(finding)
        if not zone.accounts:
            raise Blocked("refused: the scanned account is unknown, so the trusted zone is empty; "
                          "luxguard does not judge shares without it")
        permissions = current["CreateVolumePermissions"]
        public = any(p.get("Group") == "all" for p in permissions)
        accounts = sorted({str(p["UserId"]) for p in permissions if p.get("UserId")})
        foreign = [a for a in accounts if a not in approved.accounts]
        share = SHARE_NAME[finding.resource.type]
        diff = [f"- {share} group all (public)"] if public else []
        diff += [f"= {share} account {a} (approved processor: never touched)"
                 for a in accounts if a in approved.accounts and a not in zone.accounts]
        kept = [] if ctx.remove_external_grants else [
            f"{share} account {a} (outside the trusted zone; {FLAG} would remove it)" for a in foreign]
        gone = foreign if ctx.remove_external_grants else []
        diff += [f"- {share} account {a} (outside the trusted zone)" for a in gone]
        kept += [f"{share} {kind} {p[key]} (outside the trusted zone; organizations are never removed)"
                 for p in permissions for key, kind in (("OrganizationArn", "organization"),
                                                        ("OrganizationalUnitArn", "organizational unit"))
                 if p.get(key) and _organization(p[key]) not in zone.organizations]
        diff += [f"! kept {note}" for note in kept]
        if not public and not gone:
            return PlannedChange(action=self.name, finding=finding, after=current, diff=diff, kept=kept) if kept else None
        after = {"CreateVolumePermissions": [p for p in permissions if p.get("Group") != "all"
                                             and p.get("UserId") not in gone]}
        change = self.change(finding, [share_call(finding.resource, ["all"] if public else [], gone)], after, diff)
        change.kept = kept
        return change
