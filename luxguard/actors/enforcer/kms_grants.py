"""`kms_revoke_external_grants`: the KMS grants of a key whose grantee is outside the trusted
zone. A grant cannot be public (it names one grantee), so nothing goes by default: each grant of
an account no approval in force covers is reported with the exact RevokeGrant, and revoked only
with `--remove-external-grants`; the trusted zone's and approved processors' grants are never
touched. Revoking a grant deletes neither the key nor any data."""

from __future__ import annotations

from typing import Any

from luxguard.core.external_access import Grant, external_grants
from luxguard.core.model import Finding, Resource
from luxguard.resources.kms_key import grant_shares, list_grants
from luxguard.actors.enforcer.base import Action, ApiCall, Blocked, EnforceContext, PlannedChange, register

FLAG = "--remove-external-grants"


def _describe(grant: dict) -> str:
    operations = ", ".join(sorted(grant.get("Operations") or []))
    return f"grant {grant.get('GrantId')} lets {grant.get('GranteePrincipal')} call {operations}"


@register
class RevokeExternalGrants(Action):
    """Reads ListGrants; revokes (with the flag) the grants whose grantee is outside the zone."""

    name = "kms_revoke_external_grants"
    resource_types = ("AWS::KMS::Key",)

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        return {"Grants": list_grants(ctx.client("kms", resource.region), resource.id)}

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        zone, approved = ctx.zone_for(finding)
        if not zone.accounts:
            raise Blocked("refused: the scanned account is unknown, so the trusted zone is empty; "
                          "luxguard does not judge grants without it")
        diff, kept, gone = [], [], []
        for grant in current["Grants"]:
            try:
                shares = [Grant.from_dict(g) for g in grant_shares(grant.get("GranteePrincipal"), grant.get("Operations"))]
            except ValueError as error:
                raise Blocked(f"refused: grant {grant.get('GrantId')} cannot be judged ({error}); review it by hand") \
                    from None
            if not external_grants(shares, zone):
                continue
            if not external_grants(shares, approved):
                diff.append(f"= {_describe(grant)} (approved processor: never touched)")
            elif ctx.remove_external_grants:
                gone.append(grant)
                diff.append(f"- {_describe(grant)} (outside the trusted zone)")
            else:
                kept.append(f"{_describe(grant)} (outside the trusted zone; {FLAG} would revoke it: "
                            f"aws kms revoke-grant --key-id {finding.resource.id} --grant-id {grant.get('GrantId')})")
        diff += [f"! kept {note}" for note in kept]
        if not gone:
            return PlannedChange(action=self.name, finding=finding, after=current, diff=diff, kept=kept) if kept else None
        calls = [ApiCall("kms", finding.resource.region, "RevokeGrant",
                         {"KeyId": finding.resource.id, "GrantId": g["GrantId"]}) for g in gone]
        after = {"Grants": [g for g in current["Grants"] if g not in gone]}
        change = self.change(finding, calls, after, diff)
        change.kept = kept
        return change
