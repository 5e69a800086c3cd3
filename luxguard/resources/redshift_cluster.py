"""AWS::Redshift::Cluster: data warehouses (they hold whole tables of customers' data): storage
encryption and its key, public accessibility, and cross-region snapshot copy (every snapshot of
the cluster copied to another region: `replica_regions`, judged like a database's replicas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.ebs_volume import KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags
from luxguard.resources.rds_replication import REPLICATION_PROPERTIES

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::Redshift::Cluster"
PULUMI_TYPE = "aws:redshift/cluster:Cluster"
SNAPSHOT_COPY_TYPE = "aws:redshift/snapshotCopy:SnapshotCopy"


def arn(region: Any, account: str, identifier: str) -> str:
    return f"arn:aws:redshift:{region or ''}:{account}:cluster:{identifier}"


def convert(res: "CapturedResource", index: Any) -> Resource:
    """Encrypted when asked, or when a key is named (Redshift then encrypts with it)."""
    i = res.inputs
    resource = planned_resource(res, index, CFN_TYPE, storage_encrypted=bool(i.get("encrypted") or i.get("kmsKeyId")),
                                publicly_accessible=bool(i.get("publiclyAccessible")),
                                replica_regions=[str(i["destinationRegion"])] if i.get("destinationRegion") else [])
    resource.properties.update(index.key_facts(i.get("kmsKeyId"), resource.region))
    resource.arn = arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def fold_snapshot_copy(res: "CapturedResource", cluster: Resource, index: Any) -> None:
    """pulumi-aws v7 and Terraform declare the copy as its own resource."""
    if res.inputs.get("destinationRegion"):
        cluster.properties["replica_regions"] = sorted({*cluster.properties["replica_regions"],
                                                        str(res.inputs["destinationRegion"])})


# --------------------------------------------------------------------------- sandbox

def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    redshift = provisioner.client("redshift", region)
    identifier = values.get("clusterIdentifier") or res.name
    optional = {"KmsKeyId": values.get("kmsKeyId")}
    created = redshift.create_cluster(
        ClusterIdentifier=identifier, NodeType=values.get("nodeType") or "dc2.large",
        MasterUsername=values.get("masterUsername") or "app",
        MasterUserPassword=values.get("masterPassword") or "Sandbox-only-password-1",
        Encrypted=bool(values.get("encrypted") or values.get("kmsKeyId")),
        PubliclyAccessible=bool(values.get("publiclyAccessible")),
        Tags=sandbox_tags(values),
        **{k: str(v) for k, v in optional.items() if v})["Cluster"]
    return identifier, {"arn": arn(region, provisioner.account, identifier), "clusterIdentifier": identifier,
                        "encrypted": created.get("Encrypted")}


def provision_snapshot_copy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    identifier = str(values["clusterIdentifier"])
    grant = values.get("snapshotCopyGrantName") or f"{identifier}-copy-grant"   # the API wants one for KMS clusters
    provisioner.client("redshift", region).enable_snapshot_copy(
        ClusterIdentifier=identifier, DestinationRegion=str(values["destinationRegion"]),
        RetentionPeriod=int(values.get("retentionPeriod") or 7), SnapshotCopyGrantName=grant)
    return identifier, {"clusterIdentifier": identifier}


# --------------------------------------------------------------------------- enforcer

def read_tags(redshift: Any, cluster: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(redshift.describe_clusters(ClusterIdentifier=cluster.id)["Clusters"][0].get("Tags"))


def write_tags(cluster: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "CreateTags", {"ResourceName": cluster.arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


# --------------------------------------------------------------------------- CloudFormation

def cfn_cluster(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [(PULUMI_TYPE, "", {
        "clusterIdentifier": p.get("ClusterIdentifier") or context.own_id, "encrypted": p.get("Encrypted"),
        "kmsKeyId": p.get("KmsKeyId"), "publiclyAccessible": p.get("PubliclyAccessible"),
        "destinationRegion": p.get("DestinationRegion"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="Redshift cluster",
    properties={
        "storage_encrypted": "bool",
        "kms_key_id": "string",
        "kms_key_region": "string",
        "customer_managed_key": "bool",
        "publicly_accessible": "bool",
        **REPLICATION_PROPERTIES,
    },
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="clusterIdentifier", terraform="aws_redshift_cluster",
                       inputs=inputs(encrypted=("storage_encrypted",), kmsKeyId=("storage_encrypted", *KEY_GROUPS),
                                     publiclyAccessible=("publicly_accessible",),
                                     destinationRegion=("replica_regions",)),
                       sandbox=provision, sandbox_rank=60),
            PulumiType(SNAPSHOT_COPY_TYPE, fold=Folding(PULUMI_TYPE, "clusterIdentifier", ("replica_regions",),
                                                        fold_snapshot_copy),
                       terraform="aws_redshift_snapshot_copy", sandbox=provision_snapshot_copy, sandbox_rank=62)),
    arn=arn,
    live=LiveCollector("scanners.redshift", "collect_clusters", listing="redshift"),
    drift=Drift(missing_category="retention", safer={"publicly_accessible": False, "storage_encrypted": True}),
    terraform=TerraformForm("aws_redshift_cluster"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType(CFN_TYPE, cfn_cluster, physical_name="ClusterIdentifier"),)),
    tagging=Tagging("redshift", read_tags, write_tags, by_arn=True),
)
