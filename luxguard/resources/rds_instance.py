"""AWS::RDS::DBInstance: RDS database instances: encryption, public accessibility, and the
regions their read replicas and replicated automated backups copy the data to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from luxguard.resources.ebs_volume import KEY_GROUPS
from luxguard.core.unknowns import Unknown
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags
from luxguard.resources.rds_replication import REPLICATION_PROPERTIES, declared_copies, names

PULUMI_TYPE = "aws:rds/instance:Instance"
BACKUP_REPLICATION_TYPE = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, "AWS::RDS::DBInstance",
                                storage_encrypted=bool(res.inputs.get("storageEncrypted")),
                                publicly_accessible=bool(res.inputs.get("publiclyAccessible")),
                                engine=res.inputs.get("engine"))
    resource.properties.update(index.key_facts(res.inputs.get("kmsKeyId"), resource.region))
    declared_copies(res, index, {PULUMI_TYPE: "replicateSourceDb"}, resource)
    return resource


def replicated_backups(res: "CapturedResource", resources: list[Resource], index: Any) -> None:
    """An automated-backups replication copies its source instance's backups into its own region."""
    instances = [r for r in resources if r.type == "AWS::RDS::DBInstance"]
    if "sourceDbInstanceArn" in res.unknown_inputs:
        for instance in instances:
            instance.collection_errors["replica_regions"] = (
                f"{res.name}: the instance whose backups it replicates is not known until deployment")
        return
    region = index.region_of(res)
    for instance in instances:
        if region and names(res.inputs.get("sourceDbInstanceArn"), instance.id, instance.region):
            instance.properties["replica_regions"] = sorted({*instance.properties.get("replica_regions", []), region})


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """The instance in the local cloud (a sandbox password where the program lets RDS manage it)."""
    rds = provisioner.client("rds", region)
    identifier = values.get("identifier") or res.name
    extra = {"KmsKeyId": values["kmsKeyId"]} if values.get("kmsKeyId") else {}
    if values.get("replicateSourceDb"):
        created = rds.create_db_instance_read_replica(
            DBInstanceIdentifier=identifier, SourceDBInstanceIdentifier=str(values["replicateSourceDb"]),
            DBInstanceClass=values.get("instanceClass") or "db.t3.micro",
            Tags=sandbox_tags(values), **extra)
        return identifier, {"arn": created["DBInstance"]["DBInstanceArn"], "identifier": identifier}
    created = rds.create_db_instance(
        DBInstanceIdentifier=identifier, Engine=values.get("engine") or "postgres",
        DBInstanceClass=values.get("instanceClass") or "db.t3.micro",
        AllocatedStorage=int(values.get("allocatedStorage") or 20), MasterUsername=values.get("username") or "app",
        MasterUserPassword=values.get("password") or "sandbox-only-password-1",
        StorageEncrypted=bool(values.get("storageEncrypted")), PubliclyAccessible=bool(values.get("publiclyAccessible")),
        Tags=sandbox_tags(values), **extra)
    return identifier, {"arn": created["DBInstance"]["DBInstanceArn"], "identifier": identifier}


def read_tags(rds: Any, instance: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(rds.list_tags_for_resource(ResourceName=instance.arn).get("TagList"))


def write_tags(instance: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "AddTagsToResource", {"ResourceName": instance.arn,
                                 "Tags": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


def cfn_instance(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    public = p.get("PubliclyAccessible")
    if public is None:   # RDS decides from the default VPC when no subnet group is named
        public = False if p.get("DBSubnetGroupName") else Unknown(
            "PubliclyAccessible is not set and no DBSubnetGroupName: RDS decides from the default VPC; "
            "set PubliclyAccessible: false")
    encrypted = p.get("StorageEncrypted", True if p.get("KmsKeyId") else None)
    return [(PULUMI_TYPE, "", {
        "identifier": p.get("DBInstanceIdentifier"), "engine": p.get("Engine"), "storageEncrypted": encrypted,
        "kmsKeyId": p.get("KmsKeyId"), "publiclyAccessible": public, "tags": tags(p),
        "replicateSourceDb": p.get("SourceDBInstanceIdentifier")})]

DESCRIPTOR = ResourceType(
    cfn_type="AWS::RDS::DBInstance",
    kind="DB instance",
    properties={
        "storage_encrypted": "bool",
        "kms_key_id": "string",
        "kms_key_region": "string",
        "customer_managed_key": "bool",
        "publicly_accessible": "bool",
        "engine": "string",
        **REPLICATION_PROPERTIES,
    },
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="identifier",
                       terraform="aws_db_instance",
                       inputs=inputs(storageEncrypted=("storage_encrypted",),
                                     publiclyAccessible=("publicly_accessible",), engine=("engine",),
                                     kmsKeyId=KEY_GROUPS, identifier=("replica_regions",)),
                       sandbox=provision, sandbox_rank=60),
            # no sandbox: the local cloud has no StartDBInstanceAutomatedBackupsReplication
            PulumiType(BACKUP_REPLICATION_TYPE, account_wide=replicated_backups,
                       terraform="aws_db_instance_automated_backups_replication")),
    live=LiveCollector("scanners.rds", "collect_db_instances", listing="rds"),
    drift=Drift(missing_category="retention", safer={"publicly_accessible": False, "storage_encrypted": True}),
    terraform=TerraformForm("aws_db_instance"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType("AWS::RDS::DBInstance", cfn_instance, physical_name="DBInstanceIdentifier"),)),
    tagging=Tagging("rds", read_tags, write_tags, by_arn=True),
)
