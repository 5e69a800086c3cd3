"""A Pulumi capture -> a Terraform plan JSON document that checkov's terraform_plan framework reads.

pulumi-aws is generated from terraform-provider-aws, so every mapped resource has a Terraform
twin; what differs is spelling, and spelling is safety-critical: checkov looks attributes up by
their Terraform names, and a name it does not find usually makes a check *pass* silently
(camelCase `fromPort` hides an open SSH port). Three translations happen here:

* type:      `aws:s3/bucket:Bucket` -> `aws_s3_bucket` (TYPE_MAP; unmapped types are left out)
* names:     camelCase -> snake_case, and Pulumi's plural names of repeated blocks back to
             Terraform's singular block names (`rules` -> `rule`, `attributes` -> `attribute`)
* blocks:    a nested object (Pulumi flattens max-one blocks) -> a one-element list of blocks,
             as `terraform show -json` prints blocks; maps (`tags`) stay maps.

checkov connects resources (a bucket and its public access block) only through
`configuration.root_module.resources[].expressions.<attr>.references`; the plan carries one
wherever a value equals the id/ARN/name of another captured resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from luxguard.resources import pulumi_types
from luxguard.sources.pulumi_capture import (
    DEFAULT_ACCOUNT,
    PROVIDER_PREFIX,
    Capture,
    CapturedResource,
    arn_for,
)
from luxguard.sources.pulumi_normalise import PlanIndex, snake_case

TERRAFORM_VERSION = "1.9.8"   # checkov ignores a plan without terraform_version
PLAN_FORMAT_VERSION = "1.2"
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

# Pulumi type -> Terraform type, from the resource-type descriptors (PulumiType.terraform).
# Every entry has a test that checkov reads the converted names.
TYPE_MAP: dict[str, str] = {spec.type: spec.terraform for spec in pulumi_types() if spec.terraform}
# Per type, the top-level inputs Terraform spells otherwise (PulumiType.terraform_renames).
TYPE_RENAMES: dict[str, dict[str, str]] = {spec.type: dict(spec.terraform_renames) for spec in pulumi_types()
                                           if spec.terraform_renames}

# Pulumi's plural name of a repeated block -> Terraform's block name (anywhere in a resource).
PLURAL_BLOCKS: dict[str, str] = {
    "rules": "rule",
    "attributes": "attribute",
    "replicas": "replica",
    "grants": "grant",
    "targetGrants": "target_grant",
    "transitions": "transition",
    "noncurrentVersionTransitions": "noncurrent_version_transition",
    "lifecycleRules": "lifecycle_rule",
    "corsRules": "cors_rule",
    "globalSecondaryIndexes": "global_secondary_index",
    "inlinePolicies": "inline_policy",
    "localSecondaryIndexes": "local_secondary_index",
    "eventSelectors": "event_selector",
    "advancedEventSelectors": "advanced_event_selector",
    "insightSelectors": "insight_selector",
    "dataResources": "data_resource",
    "fieldSelectors": "field_selector",
    "restoreSourceTables": "restore_source_table",
    "ebsBlockDevices": "ebs_block_device",
    "ephemeralBlockDevices": "ephemeral_block_device",
    "encryptionConfigurations": "encryption_configuration",   # ECR repositories
    "destinations": "destination",                            # ECR replication rules
    "repositoryFilters": "repository_filter",
    "copyActions": "copy_action",                             # AWS Backup plan rules
    "origins": "origin",                                      # CloudFront distributions
    "orderedCacheBehaviors": "ordered_cache_behavior",
}
# Explicit renames where snake_casing alone is wrong (Pulumi name -> Terraform name).
RENAMES: dict[str, str] = {
    "cloudWatchLogsGroupArn": "cloud_watch_logs_group_arn",
    "cloudWatchLogsRoleArn": "cloud_watch_logs_role_arn",
}
# Attributes whose object value is a map, not a block (keys are kept verbatim).
MAP_ATTRIBUTES = {"tags", "tagsAll", "parameters", "options", "variables"}
# Inputs that are Pulumi-only (no Terraform attribute): dropped.
# A Lambda function's `code` archive is a file in Terraform (`filename`), read by no rule.
PULUMI_ONLY = {"__defaults", "__self__", "code"}


@dataclass
class PlanEntry:
    """Where a plan address came from."""

    address: str
    tf_type: str
    resource: CapturedResource
    region: Optional[str]


@dataclass
class TerraformPlan:
    document: dict[str, Any]
    entries: dict[str, PlanEntry] = field(default_factory=dict)   # address -> origin
    unmapped: list[str] = field(default_factory=list)             # pulumi types left out


def snake(name: str) -> str:
    return RENAMES.get(name) or snake_case(name)


def _scalar(value: Any) -> Any:
    # The Pulumi engine sends every number as a float; Terraform plans carry 443, not 443.0.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def convert_value(key: str, value: Any) -> tuple[str, Any]:
    """One Pulumi input (camelCase) -> (Terraform name, Terraform plan value)."""
    if key in MAP_ATTRIBUTES and isinstance(value, dict):
        return snake(key), {str(k): _scalar(v) for k, v in value.items()}
    if isinstance(value, dict):
        return snake(key), [convert_block(value)]
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        name = PLURAL_BLOCKS.get(key, snake(key))
        return name, [convert_block(v) for v in value if isinstance(v, dict)]
    if isinstance(value, list):
        return snake(key), [_scalar(v) for v in value]
    return snake(key), _scalar(value)


def convert_block(inputs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in PULUMI_ONLY or value is None:
            continue
        name, converted = convert_value(key, value)
        out[name] = converted
    return out


def terraform_values(res: CapturedResource) -> dict[str, Any]:
    """A resource's inputs as its Terraform arguments (the type's own renames applied)."""
    renames = {snake(k): v for k, v in TYPE_RENAMES.get(res.type, {}).items()}
    return {renames.get(key, key): value for key, value in convert_block(res.inputs).items()}


def sanitise(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    if not re.match(r"[A-Za-z_]", cleaned[:1]):
        cleaned = f"r_{cleaned}"
    return cleaned


# Types other resources point at, in the order their values are claimed (a key before an
# alias with the same logical name); children (SSE configs, rules) are never referred to.
REFERABLE = ("aws_s3_bucket", "aws_kms_key", "aws_security_group", "aws_default_security_group",
             "aws_ebs_volume", "aws_ebs_snapshot", "aws_efs_file_system", "aws_ami", "aws_ami_copy",
             "aws_ami_from_instance", "aws_kms_alias", "aws_backup_vault", "aws_db_instance",
             "aws_rds_cluster", "aws_rds_global_cluster", "aws_redshift_cluster")


def _referable_values(res: CapturedResource, address: str, tf_type: str, region: Optional[str],
                      account: str) -> dict[str, str]:
    """Values another resource may use to name this one -> the Terraform expression."""
    if tf_type == "aws_kms_alias":
        return {str(res.inputs["name"]): f"{address}.name"} if res.inputs.get("name") else {}
    values = {res.id: f"{address}.id",
              arn_for(res.type, region or "us-east-1", account, res.id): f"{address}.arn"}
    if tf_type == "aws_s3_bucket":
        values[str(res.inputs.get("bucket") or res.id)] = f"{address}.id"
    if tf_type == "aws_kms_key":
        values[res.id] = f"{address}.key_id"
    return values


def _expressions(values: Any, refs: dict[str, str], own: str) -> Any:
    """Terraform `expressions` for a converted value: references only where one resolves."""
    if isinstance(values, dict):
        out = {}
        for key, value in values.items():
            expr = _expressions(value, refs, own)
            if expr:
                out[key] = expr
        return out
    if isinstance(values, list) and values and all(isinstance(v, dict) for v in values):
        exprs = [_expressions(v, refs, own) for v in values]
        return exprs if any(exprs) else None
    candidates = values if isinstance(values, list) else [values]
    found: list[str] = []
    for candidate in candidates:
        target = refs.get(candidate) if isinstance(candidate, str) else None
        if target and not target.startswith(own + "."):
            found += [target, target.rsplit(".", 1)[0]]
    return {"references": found} if found else None


def capture_to_plan(capture: Capture) -> TerraformPlan:
    """The Terraform plan JSON document (format 1.2) for the capture's mapped resources."""
    index = PlanIndex(capture)   # the normaliser's own region resolution: one place for it
    account = str(capture.config.get("luxguard:accountId") or DEFAULT_ACCOUNT)
    entries: dict[str, PlanEntry] = {}
    unmapped: set[str] = set()
    used: set[str] = set()
    for res in capture.resources:
        tf_type = TYPE_MAP.get(res.type)
        if tf_type is None:
            if res.custom and not res.type.startswith(PROVIDER_PREFIX):
                unmapped.add(res.type)
            continue
        base = f"{tf_type}.{sanitise(res.name)}"
        address, n = base, 2
        while address in used:
            address, n = f"{base}_{n}", n + 1
        used.add(address)
        entries[address] = PlanEntry(address, tf_type, res, index.region_of(res))

    refs: dict[str, str] = {}
    for entry in sorted(entries.values(), key=lambda e: REFERABLE.index(e.tf_type) if e.tf_type in REFERABLE else 99):
        if entry.tf_type not in REFERABLE:
            continue
        for value, expression in _referable_values(entry.resource, entry.address, entry.tf_type, entry.region,
                                                   account).items():
            refs.setdefault(value, expression)

    planned, configured, changes = [], [], []
    for address, entry in entries.items():
        values = terraform_values(entry.resource)
        values["region"] = entry.region   # terraform-provider-aws v6 / pulumi-aws v7 resource argument
        name = address.split(".", 1)[1]
        planned.append({"address": address, "mode": "managed", "type": entry.tf_type, "name": name,
                        "provider_name": PROVIDER_NAME, "schema_version": 0, "values": values,
                        "sensitive_values": {}})
        expressions = _expressions(values, refs, address) or {}
        configured.append({"address": address, "mode": "managed", "type": entry.tf_type, "name": name,
                           "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})
        changes.append({"address": address, "mode": "managed", "type": entry.tf_type, "name": name,
                        "provider_name": PROVIDER_NAME,
                        "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {}}})

    # No provider_config: each resource carries its own `region`, resolved as Pulumi resolves it
    # (own input, explicit provider, stack aws:region); the stack's default provider may serve none.
    regions_used = sorted({e.region for e in entries.values() if e.region})
    document = {
        "format_version": PLAN_FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configured}},
        "luxguard": {"project": capture.project, "stack": capture.stack, "regions": regions_used},
    }
    return TerraformPlan(document=document, entries=entries, unmapped=sorted(unmapped))
