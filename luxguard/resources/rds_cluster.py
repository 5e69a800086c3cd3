"""AWS::RDS::DBCluster: Aurora (and Neptune / DocumentDB, which share RDS's API) DB clusters:
storage encryption and its key, and where the data is copied: the regions of the cluster's
cross-region read replicas and of the other members of its Aurora global cluster (a global
cluster is one database stored in every member's region).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Resource
from luxguard.resources import rds_instance
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.ebs_volume import KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags
from luxguard.resources.rds_replication import REPLICATION_PROPERTIES, declared_copies, names

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::RDS::DBCluster"
PULUMI_TYPE = "aws:rds/cluster:Cluster"
GLOBAL_TYPE = "aws:rds/globalCluster:GlobalCluster"


def global_cluster_of(res: "CapturedResource", index: Any) -> Optional[str]:
    """The global cluster a declared cluster belongs to: the one it names, or the one created from it."""
    if res.inputs.get("globalClusterIdentifier"):
        return str(res.inputs["globalClusterIdentifier"])
    for other in index.capture.resources:
        if other.type == GLOBAL_TYPE and names(other.inputs.get("sourceDbClusterIdentifier"), res.id,
                                               index.region_of(res)):
            return other.id
    return None


def _global_members(res: "CapturedResource", index: Any, resource: Resource) -> None:
    """The other members' regions join `replica_regions` (undecided when a membership is unknown)."""
    clusters = [c for c in index.capture.resources if c.type == PULUMI_TYPE]
    if any("globalClusterIdentifier" in c.unknown_inputs for c in clusters) or any(
            "sourceDbClusterIdentifier" in g.unknown_inputs for g in index.capture.resources if g.type == GLOBAL_TYPE):
        resource.collection_errors["replica_regions"] = "a global cluster's members are not known until deployment"
        return
    own = global_cluster_of(res, index)
    if own is None:
        return
    regions = {index.region_of(c) for c in clusters if c is not res and global_cluster_of(c, index) == own}
    resource.properties["replica_regions"] = sorted({*resource.properties["replica_regions"], *filter(None, regions)})


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE, storage_encrypted=bool(res.inputs.get("storageEncrypted")),
                                engine=res.inputs.get("engine"))
    resource.properties.update(index.key_facts(res.inputs.get("kmsKeyId"), resource.region))
    declared_copies(res, index, {PULUMI_TYPE: "replicationSourceIdentifier"}, resource)
    _global_members(res, index, resource)
    return resource


# --------------------------------------------------------------------------- sandbox

def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    rds = provisioner.client("rds", region)
    identifier = values.get("clusterIdentifier") or res.name
    optional = {"KmsKeyId": values.get("kmsKeyId"), "GlobalClusterIdentifier": values.get("globalClusterIdentifier"),
                "ReplicationSourceIdentifier": values.get("replicationSourceIdentifier")}
    created = rds.create_db_cluster(
        DBClusterIdentifier=identifier, Engine=values.get("engine") or "aurora-postgresql",
        MasterUsername=values.get("masterUsername") or "app",
        MasterUserPassword=values.get("masterPassword") or "sandbox-only-password-1",
        StorageEncrypted=bool(values.get("storageEncrypted")),
        Tags=sandbox_tags(values),
        **{k: str(v) for k, v in optional.items() if v})["DBCluster"]
    return identifier, {"arn": created["DBClusterArn"], "clusterIdentifier": identifier}


def provision_global(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """A global cluster its members join (by globalClusterIdentifier), created before them."""
    if values.get("sourceDbClusterIdentifier"):
        raise LuxguardError(f"provision (local sandbox): global cluster {res.name} is created from an existing cluster "
                            "(sourceDbClusterIdentifier); the sandbox creates global clusters before their members: "
                            "name it in the member clusters (globalClusterIdentifier) instead")
    identifier = values.get("globalClusterIdentifier") or res.name
    created = provisioner.client("rds", region).create_global_cluster(
        GlobalClusterIdentifier=identifier, Engine=values.get("engine") or "aurora-postgresql")
    return identifier, {"arn": created["GlobalCluster"]["GlobalClusterArn"]}


# --------------------------------------------------------------------------- CloudFormation

def cfn_cluster(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {
        "clusterIdentifier": p.get("DBClusterIdentifier") or context.own_id, "engine": p.get("Engine"),
        "storageEncrypted": p.get("StorageEncrypted", True if p.get("KmsKeyId") else None),
        "kmsKeyId": p.get("KmsKeyId"), "globalClusterIdentifier": p.get("GlobalClusterIdentifier"),
        "replicationSourceIdentifier": p.get("ReplicationSourceIdentifier"), "tags": tags(p)})]


def cfn_global_cluster(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(GLOBAL_TYPE, "", {"globalClusterIdentifier": p.get("GlobalClusterIdentifier") or context.own_id,
                               "engine": p.get("Engine"),
                               "sourceDbClusterIdentifier": p.get("SourceDBClusterIdentifier")})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="DB cluster",
    properties={
        "storage_encrypted": "bool",
        "kms_key_id": "string",
        "kms_key_region": "string",
        "customer_managed_key": "bool",
        "engine": "string",
        **REPLICATION_PROPERTIES,
    },
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="clusterIdentifier", terraform="aws_rds_cluster",
                       inputs=inputs(storageEncrypted=("storage_encrypted",), engine=("engine",), kmsKeyId=KEY_GROUPS,
                                     clusterIdentifier=("replica_regions",),
                                     globalClusterIdentifier=("replica_regions",),
                                     replicationSourceIdentifier=("replica_regions",)),
                       sandbox=provision, sandbox_rank=61),
            # Membership is read from the clusters (their converter searches for these); the global
            # cluster holds no data of its own.
            PulumiType(GLOBAL_TYPE, account_wide=lambda res, resources, index: None,
                       physical_name="globalClusterIdentifier", terraform="aws_rds_global_cluster",
                       sandbox=provision_global, sandbox_rank=59)),
    live=LiveCollector("scanners.rds", "collect_db_clusters", listing="rds clusters"),
    drift=Drift(missing_category="retention", safer={"storage_encrypted": True}),
    terraform=TerraformForm("aws_rds_cluster"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType(CFN_TYPE, cfn_cluster, physical_name="DBClusterIdentifier"),
        CloudFormationType("AWS::RDS::GlobalCluster", cfn_global_cluster, physical_name="GlobalClusterIdentifier"))),
    tagging=rds_instance.DESCRIPTOR.tagging,
)
