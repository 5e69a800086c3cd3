"""AWS::Backup::BackupPlan: AWS Backup plans, the channel that copies recovery points (full copies
of every store the plan protects) to other vaults. A copy action whose destination vault is in
another region is a copy of personal data abroad (`copy_regions`, judged like replication); one
whose vault is in another account hands the data to that account (`sharing`, judged against the
trusted zone like a snapshot share). Its `data-classification` tag names the categories it
copies, so that an approval of those categories can waive the copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional

from luxguard.core.external_access import share_grants_of
from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.backup_vault import PULUMI_TYPE as VAULT_PULUMI_TYPE
from luxguard.resources.backup_vault import read_tags, write_tags
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import SHARE_PROPERTIES
from luxguard.resources.sqs_queue import regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::Backup::BackupPlan"
PULUMI_TYPE = "aws:backup/plan:Plan"
COPY_ACTIONS = ("backup:CopyIntoBackupVault",)   # what a copy action makes the destination account hold
# copy_regions: the regions of the vaults its copy actions copy into; sharing: the vaults' accounts
COPY_PROPERTIES = {"copy_regions": "list", **SHARE_PROPERTIES}


def copy_destinations(rules: Iterable[Mapping[str, Any]]) -> list[str]:
    """The destination vault ARNs of every copy action of `rules` (pulumi-aws input spelling)."""
    return sorted({str(action.get("destinationVaultArn")) for rule in rules or []
                   for action in rule.get("copyActions") or [] if action.get("destinationVaultArn")})


def vault_place(arn: str) -> Optional[tuple[str, str]]:
    """(region, account) of a backup vault ARN (arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[:3] != ["arn", "aws", "backup"] or not parts[3] or not parts[4].isdigit():
        return None
    return parts[3], parts[4]


def copy_facts(destinations: Iterable[str], declared: Callable[[str], Optional[tuple[str, str]]] = lambda _: None,
               ) -> tuple[dict[str, Any], Optional[str]]:
    """`copy_regions` and `sharing` of copies into `destinations` (vault ARNs, or vaults the
    program declares: `declared` places them), and what could not be read (a destination that is
    not a Backup ARN: where it copies to is then undecided)."""
    regions, accounts, unreadable = set(), set(), []
    for arn in destinations:
        place = declared(arn) or vault_place(arn)
        if place is None:
            unreadable.append(arn)
            continue
        regions.add(place[0])
        accounts.update([place[1]] if place[1] else [])
    facts = {"copy_regions": sorted(regions),
             "sharing": {"grants": share_grants_of(sorted(accounts), COPY_ACTIONS)}}
    error = f"copy destination {', '.join(unreadable)} is not a backup vault ARN" if unreadable else None
    return facts, error


def plan_arn(region: Optional[str], account: str, plan_id: str) -> str:
    return regional_arn("backup")(region, account, f"backup-plan:{plan_id}")


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    resource.id = resource.properties["name"] = str(res.inputs.get("name") or res.id)
    def declared(destination: str) -> Optional[tuple[str, str]]:
        """A Terraform `aws_backup_vault.x.arn` reads as the vault's id: the vault's own region,
        in the program's own account (no account to judge)."""
        vault = index.by_type_id.get((VAULT_PULUMI_TYPE, destination))
        region = index.region_of(vault) if vault is not None else None
        return (str(region), "") if region else None

    facts, error = copy_facts(copy_destinations(res.inputs.get("rules") or []), declared)
    resource.properties.update(facts)
    if error:
        resource.collection_errors.update(copy_regions=error, sharing=error)
    resource.arn = plan_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), str(res.id))
    return resource


def api_rules(rules: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """pulumi-aws plan rules as CreateBackupPlan's Rules."""
    return [{"RuleName": str(rule.get("ruleName") or f"rule-{n}"), "TargetBackupVaultName": str(rule.get("targetVaultName")),
             **({"ScheduleExpression": str(rule["schedule"])} if rule.get("schedule") else {}),
             "CopyActions": [{"DestinationBackupVaultArn": str(a.get("destinationVaultArn"))}
                             for a in rule.get("copyActions") or []]}
            for n, rule in enumerate(rules or [])]


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    created = provisioner.client("backup", region).create_backup_plan(
        BackupPlan={"BackupPlanName": name, "Rules": api_rules(values.get("rules") or [])},
        BackupPlanTags={str(k): str(v) for k, v in (values.get("tags") or {}).items()})
    provisioner.exact[res.id] = name
    return created["BackupPlanId"], {"arn": created["BackupPlanArn"], "version": created.get("VersionId", "")}


def cfn_plan(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    plan = p.get("BackupPlan") or {}
    rules = [{"ruleName": r.get("RuleName"), "targetVaultName": r.get("TargetBackupVault"),
              "schedule": r.get("ScheduleExpression"),
              "copyActions": [{"destinationVaultArn": a.get("DestinationBackupVaultArn")} for a in r.get("CopyActions") or []]}
             for r in plan.get("BackupPlanRule") or []]
    return [(PULUMI_TYPE, "", {"name": plan.get("BackupPlanName") or context.own_id, "rules": rules,
                               "tags": p.get("BackupPlanTags") or {}})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="backup plan",
    properties=dict(COPY_PROPERTIES),
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_backup_plan",
                       terraform_blocks={"rule": "rules", "copy_action": "copyActions"},
                       inputs=inputs(name=("name",), rules=("copy_regions", "sharing")), sandbox=provision,
                       sandbox_rank=65),),
    live=LiveCollector("scanners.backup", "collect_plans", listing="backup plans"),
    drift=Drift(missing_category="residency"),
    terraform=TerraformForm("aws_backup_plan"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_plan),)),
    tagging=Tagging("backup", read_tags, write_tags, by_arn=True),
)
