"""AWS::RDS::DBClusterSnapshot: Aurora (Neptune, DocumentDB) cluster snapshots, a whole
cluster's data: where they are, how they are encrypted and which accounts may restore them (the
`restore` attribute, as for DB snapshots). CloudFormation has no cluster snapshot resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources import rds_cluster, rds_instance
from luxguard.resources.base import CloudFormationForm, Drift, LiveCollector, PulumiType, ResourceType, TerraformForm
from luxguard.resources.ebs_volume import ENCRYPTION_PROPERTIES, KEY_GROUPS
from luxguard.resources.planned import inputs, sandbox_tags
from luxguard.resources.rds_snapshot import SHARING_PROPERTIES, snapshot_of

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::RDS::DBClusterSnapshot"
PULUMI_TYPE = "aws:rds/clusterSnapshot:ClusterSnapshot"
SHARE_ACTIONS = ("rds:RestoreDBClusterFromSnapshot",)


def convert(res: "CapturedResource", index: Any) -> Resource:
    """A cluster snapshot is encrypted exactly as its cluster is."""
    cluster = index.by_type_id.get((rds_cluster.PULUMI_TYPE, str(res.inputs.get("dbClusterIdentifier"))))
    source = rds_cluster.convert(cluster, index).properties if cluster else {}
    return snapshot_of(res, index, CFN_TYPE, str(res.inputs.get("dbClusterSnapshotIdentifier") or res.id), source,
                       SHARE_ACTIONS)


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    rds = provisioner.client("rds", region)
    identifier = values.get("dbClusterSnapshotIdentifier") or res.name
    created = rds.create_db_cluster_snapshot(
        DBClusterIdentifier=values["dbClusterIdentifier"], DBClusterSnapshotIdentifier=identifier,
        Tags=sandbox_tags(values))
    if values.get("sharedAccounts"):
        rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier=identifier, AttributeName="restore",
                                                 ValuesToAdd=[str(a) for a in values["sharedAccounts"]])
    return identifier, {"dbClusterSnapshotArn": created["DBClusterSnapshot"]["DBClusterSnapshotArn"]}


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="DB cluster snapshot",
    properties={**ENCRYPTION_PROPERTIES, **SHARING_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="dbClusterSnapshotIdentifier",
                       terraform="aws_db_cluster_snapshot",
                       inputs=inputs(dbClusterIdentifier=("encrypted", *KEY_GROUPS),
                                     dbClusterSnapshotIdentifier=("name",), sharedAccounts=("public", "sharing")),
                       sandbox=provision, sandbox_rank=71),),
    live=LiveCollector("scanners.rds", "collect_db_cluster_snapshots", listing="rds cluster snapshots"),
    drift=Drift(missing_category="retention", safer={"encrypted": True, "public": False}),
    terraform=TerraformForm("aws_db_cluster_snapshot"),
    cloudformation=CloudFormationForm(),   # CloudFormation has no cluster snapshot resource
    tagging=rds_instance.DESCRIPTOR.tagging,
)
