"""AWS::RDS::DBSnapshot: RDS DB snapshots, copies of a database's personal data: where they are,
how they are encrypted and which accounts may restore them (the `restore` attribute; `all` makes
a snapshot public). CloudFormation has no snapshot resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.external_access import share_grants_of
from luxguard.core.model import Resource
from luxguard.resources import rds_instance
from luxguard.resources.base import CloudFormationForm, Drift, LiveCollector, PulumiType, ResourceType, TerraformForm
from luxguard.resources.ebs_volume import ENCRYPTION_PROPERTIES, KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

PULUMI_TYPE = "aws:rds/snapshot:Snapshot"
INSTANCE_TYPE = "aws:rds/instance:Instance"
SHARE_ACTIONS = ("rds:RestoreDBInstanceFromDBSnapshot",)   # what the restore attribute lets an account do
SHARING_PROPERTIES = {
    "public": "bool",                          # restorable by every AWS account (`all`)
    "sharing.grants": "objects",               # every account the snapshot is shared with, as grants
    "sharing.external_principals": "list",     # those outside the trusted zone ('*': all), by the engine
    "sharing.external_actions": "list",
}


def sharing(accounts: list[str], actions: tuple[str, ...] = SHARE_ACTIONS) -> dict[str, Any]:
    """`public` and `sharing` of a snapshot shared with `accounts` (`all`: everyone)."""
    accounts = sorted(str(a) for a in accounts)
    return {"public": any(a.lower() == "all" for a in accounts),
            "sharing": {"grants": share_grants_of(accounts, actions)}}


def convert(res: "CapturedResource", index: Any) -> Resource:
    """A snapshot is encrypted exactly as its DB instance is."""
    instance = index.by_type_id.get((INSTANCE_TYPE, str(res.inputs.get("dbInstanceIdentifier"))))
    source = rds_instance.convert(instance, index).properties if instance else {}
    return snapshot_of(res, index, "AWS::RDS::DBSnapshot", str(res.inputs.get("dbSnapshotIdentifier") or res.id),
                       source, SHARE_ACTIONS)


def snapshot_of(res: "CapturedResource", index: Any, cfn_type: str, identifier: str, source: dict[str, Any],
                actions: tuple[str, ...]) -> Resource:
    """A DB or cluster snapshot: encrypted as its `source` database's properties say, shared as declared."""
    resource = planned_resource(res, index, cfn_type)
    resource.id = identifier
    encrypted = bool(source.get("storage_encrypted"))
    key = {group: source.get(group) for group in KEY_GROUPS}
    if encrypted and not key["kms_key_id"]:   # RDS encrypts with its AWS-managed key when none is named
        key.update(kms_key_id="alias/aws/rds", kms_key_region=resource.region, customer_managed_key=False)
    key["customer_managed_key"] = bool(key["customer_managed_key"])
    resource.properties.update(encrypted=encrypted, **key,
                               **sharing(res.inputs.get("sharedAccounts") or [], actions))
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    rds = provisioner.client("rds", region)
    identifier = values.get("dbSnapshotIdentifier") or res.name
    created = rds.create_db_snapshot(DBInstanceIdentifier=values["dbInstanceIdentifier"],
                                     DBSnapshotIdentifier=identifier,
                                     Tags=sandbox_tags(values))
    if values.get("sharedAccounts"):
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=identifier, AttributeName="restore",
                                         ValuesToAdd=[str(a) for a in values["sharedAccounts"]])
    return identifier, {"dbSnapshotArn": created["DBSnapshot"]["DBSnapshotArn"]}


DESCRIPTOR = ResourceType(
    cfn_type="AWS::RDS::DBSnapshot",
    kind="DB snapshot",
    properties={**ENCRYPTION_PROPERTIES, **SHARING_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="dbSnapshotIdentifier", terraform="aws_db_snapshot",
                       inputs=inputs(dbInstanceIdentifier=("encrypted", *KEY_GROUPS),
                                     dbSnapshotIdentifier=("name",), sharedAccounts=("public", "sharing")),
                       sandbox=provision, sandbox_rank=70),),
    live=LiveCollector("scanners.rds", "collect_db_snapshots", listing="rds snapshots"),
    drift=Drift(missing_category="retention", safer={"encrypted": True, "public": False}),
    terraform=TerraformForm("aws_db_snapshot"),
    cloudformation=CloudFormationForm(),   # CloudFormation has no DB snapshot resource
    tagging=rds_instance.DESCRIPTOR.tagging,
)
