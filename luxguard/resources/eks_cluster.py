"""AWS::EKS::Cluster: a Kubernetes control plane, whose etcd holds the workloads' secrets
(database passwords, API tokens for the stores with personal data). Judged on where it runs,
whether secrets are envelope-encrypted under a customer-managed key (`encryptionConfig` naming
`secrets`), and whether its API endpoint answers the whole internet (public access with
0.0.0.0/0, EKS's default when no CIDRs are given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

from luxguard.core.model import Resource
from luxguard.core.unknowns import carries_placeholder
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
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.ebs_volume import ENCRYPTION_PROPERTIES, KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::EKS::Cluster"
PULUMI_TYPE = "aws:eks/cluster:Cluster"
ANYWHERE = "0.0.0.0/0"
SECRET_GROUPS = ("encrypted", *KEY_GROUPS)
ENDPOINT_GROUPS = ("endpoint_public", "public_access_cidrs")


def secrets_key(configs: Any) -> Optional[str]:
    """The key that encrypts `secrets` in an encryption config (one object or a list of them)."""
    for config in configs if isinstance(configs, list) else [configs]:
        if isinstance(config, Mapping) and "secrets" in (config.get("resources") or []):
            return (config.get("provider") or {}).get("keyArn")
    return None


def endpoint(public: Any, cidrs: Any) -> dict[str, Any]:
    """EKS's defaults: a public endpoint, open to 0.0.0.0/0 unless CIDRs are given."""
    is_public = public is None or bool(public)
    return {"endpoint_public": is_public,
            "public_access_cidrs": sorted({str(c) for c in cidrs or [ANYWHERE]}) if is_public else []}


def _endpoint_undecided(res: "CapturedResource") -> bool:
    """vpcConfig is unknown at preview whenever its subnets come from a data source; the endpoint
    is undecided only when its own settings are (or the whole block is)."""
    if "vpcConfig" not in res.unknown_inputs:
        return False
    vpc = res.inputs.get("vpcConfig")
    if not isinstance(vpc, Mapping):
        return True
    def unknown(value: Any) -> bool:   # an unknown reaches the capture as None (here or in a list)
        return value is None or carries_placeholder(value) or isinstance(value, list) and None in value
    return any(key in vpc and unknown(vpc[key]) for key in ("endpointPublicAccess", "publicAccessCidrs"))


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE)
    resource.id = str(res.inputs.get("name") or res.name)
    resource.properties["name"] = resource.id
    key = secrets_key(res.inputs.get("encryptionConfig"))
    resource.properties.update({"encrypted": key is not None, **index.key_facts(key, resource.region)})
    vpc = res.inputs.get("vpcConfig") or {}
    resource.properties.update(endpoint(vpc.get("endpointPublicAccess"), vpc.get("publicAccessCidrs")))
    if _endpoint_undecided(res):
        for group in ENDPOINT_GROUPS:
            resource.collection_errors[group] = f"{res.name}: its endpoint access is not known until deployment"
    return resource


# --------------------------------------------------------------------------- enforcer, sandbox

def read_tags(eks: Any, cluster: Resource) -> dict[str, str]:
    return dict(eks.list_tags_for_resource(resourceArn=cluster.arn).get("tags") or {})


def write_tags(cluster: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"resourceArn": cluster.arn, "tags": dict(sorted(new.items()))}


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = str(values.get("name") or res.name)
    vpc = values.get("vpcConfig") or {}
    config = {"subnetIds": [str(s) for s in vpc.get("subnetIds") or []]}
    if vpc.get("endpointPublicAccess") is not None:
        config["endpointPublicAccess"] = bool(vpc["endpointPublicAccess"])
    if vpc.get("publicAccessCidrs"):
        config["publicAccessCidrs"] = [str(c) for c in vpc["publicAccessCidrs"]]
    key = secrets_key(values.get("encryptionConfig"))
    created = provisioner.client("eks", region).create_cluster(
        name=name, roleArn=str(values.get("roleArn") or f"arn:aws:iam::{provisioner.account}:role/eks"),
        resourcesVpcConfig=config, tags={str(k): str(v) for k, v in (values.get("tags") or {}).items()},
        **({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": str(key)}}]} if key else {}))
    provisioner.exact[res.id] = name
    return name, {"arn": created["cluster"]["arn"], "name": name}


# --------------------------------------------------------------------------- CloudFormation

def cfn_cluster(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    vpc = p.get("ResourcesVpcConfig") or {}
    configs = [{"resources": c.get("Resources"), "provider": {"keyArn": (c.get("Provider") or {}).get("KeyArn")}}
               for c in p.get("EncryptionConfig") or [] if isinstance(c, dict)]
    return [(PULUMI_TYPE, "", {"name": p.get("Name") or context.own_id, "roleArn": p.get("RoleArn"),
                               "vpcConfig": {"subnetIds": vpc.get("SubnetIds"),
                                             "endpointPublicAccess": vpc.get("EndpointPublicAccess"),
                                             "publicAccessCidrs": vpc.get("PublicAccessCidrs")},
                               "encryptionConfig": configs[0] if configs else None, "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="EKS cluster",
    properties={**ENCRYPTION_PROPERTIES, "endpoint_public": "bool", "public_access_cidrs": "list"},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_eks_cluster",
                       # vpcConfig: judged in convert (its subnets are often unknown, its endpoint rarely)
                       inputs=inputs(name=("name",), encryptionConfig=SECRET_GROUPS, vpcConfig=()),
                       sandbox=provision, sandbox_rank=60),),
    arn=lambda region, account, name: f"arn:aws:eks:{region}:{account}:cluster/{name}",
    live=LiveCollector("scanners.eks", "collect_clusters", listing="eks clusters"),
    drift=Drift(missing_category="access", safer={"encrypted": True, "customer_managed_key": True,
                                                  "endpoint_public": False}),
    terraform=TerraformForm("aws_eks_cluster"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_cluster, physical_name="Name"),)),
    tagging=Tagging("eks", read_tags, write_tags, by_arn=True),
)
