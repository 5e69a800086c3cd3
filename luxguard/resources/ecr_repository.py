"""AWS::ECR::Repository: container image repositories (images often carry data baked in: seed
files, configuration, models): where they are, the key that encrypts their layers, who their
repository policy lets pull or push, and the regions the registry copies them to.

Replication is a registry setting (one `ReplicationConfiguration` per account and region), but
what it copies abroad is each repository's images: it is modelled as each repository's
`replica_regions` (the destinations of the rules whose filters match the repository's name), so
that residency and approvals name the repository whose data leaves, as for secrets and tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

from luxguard.core.external_access import share_grants_of
from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PolicyAccess,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import (
    NO_POLICY,
    POLICY_PROPERTIES,
    SHARE_PROPERTIES,
    compact,
    declared_policy,
    name_key,
    policy_child,
    policy_document,
    policy_text,
)
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, pairs, physical_name, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::ECR::Repository"
PULUMI_TYPE = "aws:ecr/repository:Repository"
POLICY_TYPE = "aws:ecr/repositoryPolicy:RepositoryPolicy"
REPLICATION_TYPE = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
# ECR encrypts with AES256 (S3-managed keys, no KMS key at all) unless told KMS; KMS without a
# key named is this AWS-managed key.
AWS_MANAGED_KEY = "alias/aws/ecr"
REPLICATE_ACTIONS = ("ecr:ReplicateImage",)   # what a replication destination's registry receives


def repository_key(encryption: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The KMS key of an encryption configuration ({encryptionType, kmsKey}); None for AES256."""
    encryption = encryption or {}
    if str(encryption.get("encryptionType") or "AES256").upper() != "KMS":
        return None
    return str(encryption.get("kmsKey") or AWS_MANAGED_KEY)


def _destinations(rules: Any, repository: str) -> list[Mapping[str, Any]]:
    """The destinations of the replication rules that copy `repository`: a rule without filters
    copies every repository, one with PREFIX_MATCH filters those whose name starts so."""
    found: list[Mapping[str, Any]] = []
    for rule in rules or []:
        filters = [f for f in rule.get("repositoryFilters") or [] if isinstance(f, Mapping)]
        if filters and not any(repository.startswith(str(f.get("filter") or "")) for f in filters):
            continue
        found.extend(d for d in rule.get("destinations") or [] if isinstance(d, Mapping))
    return found


def replica_regions(rules: Any, repository: str) -> list[str]:
    return sorted({str(d["region"]) for d in _destinations(rules, repository) if d.get("region")})


def replication(rules: Any, repository: str) -> dict[str, Any]:
    """`replica_regions` and `sharing` (the registries of other accounts it is copied into, as
    grants: another company's registry holds every image) of `repository`."""
    registries = sorted({str(d["registryId"]) for d in _destinations(rules, repository) if d.get("registryId")})
    return {"replica_regions": replica_regions(rules, repository),
            "sharing": {"grants": share_grants_of(registries, REPLICATE_ACTIONS)}}


def repository_arn(region: Optional[str], account: str, name: str) -> str:
    return regional_arn("ecr")(region, account, f"repository/{name}")


def _encryption(res: "CapturedResource") -> Optional[Mapping[str, Any]]:
    return first_configuration(res.inputs.get("encryptionConfigurations"))


def first_configuration(configured: Any) -> Optional[Mapping[str, Any]]:
    """`encryptionConfigurations` is a list of at most one (a Terraform plan may hold the block itself)."""
    if isinstance(configured, Mapping):
        return configured
    return configured[0] if configured else None


def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = planned_resource(res, index, CFN_TYPE, replica_regions=[], sharing={"grants": []},
                                policy=dict(NO_POLICY))
    resource.id = resource.properties["name"] = physical_name(res)
    resource.properties.update(index.key_facts(repository_key(_encryption(res)), resource.region))
    declared_policy(res, resource)
    resource.arn = repository_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def registry_replication(res: "CapturedResource", resources: list[Resource], index: Any) -> None:
    """The registry's replication rules -> `replica_regions` and `sharing` of each repository of its region."""
    region = index.region_of(res)
    rules = (res.inputs.get("replicationConfiguration") or {}).get("rules") or []
    for resource in resources:
        if resource.type != CFN_TYPE or resource.region != region:
            continue
        if res.unknown_inputs:
            for group in ("replica_regions", "sharing"):
                resource.collection_errors[group] = f"{res.name}: replication not known until deployment"
            continue
        resource.properties.update(replication(rules, resource.id))


# --------------------------------------------------------------------------- sandbox

def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    ecr = provisioner.client("ecr", region)
    name = values.get("name") or res.name
    encryption = first_configuration(values.get("encryptionConfigurations")) or {}
    args: dict[str, Any] = {"repositoryName": name}
    if encryption.get("encryptionType"):
        args["encryptionConfiguration"] = {"encryptionType": encryption["encryptionType"]}
        if str(encryption["encryptionType"]).upper() == "KMS":   # the local cloud would invent a key for none
            args["encryptionConfiguration"]["kmsKey"] = encryption.get("kmsKey") or AWS_MANAGED_KEY
    if values.get("tags"):
        args["tags"] = pairs({str(k): str(v) for k, v in values["tags"].items()})
    arn = ecr.create_repository(**args)["repository"]["repositoryArn"]
    if policy_text(values.get("policy")):
        ecr.set_repository_policy(repositoryName=name, policyText=str(policy_text(values.get("policy"))))
    provisioner.exact[res.id] = name
    return name, {"arn": arn, "name": name, "repositoryUrl": f"{provisioner.account}.dkr.ecr.{region}.amazonaws.com/{name}"}


def put_repository_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = name_key(str(values.get("repository") or ""))
    provisioner.client("ecr", region).set_repository_policy(
        repositoryName=name, policyText=policy_text(values.get("policy")) or "")
    return name, {"repository": name}


def put_replication(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    rules = [{"destinations": [{"region": str(d.get("region")), "registryId": str(d.get("registryId") or provisioner.account)}
                               for d in r.get("destinations") or []],
              **({"repositoryFilters": [{"filter": str(f.get("filter")), "filterType": str(f.get("filterType") or "PREFIX_MATCH")}
                                        for f in r["repositoryFilters"]]} if r.get("repositoryFilters") else {})}
             for r in (values.get("replicationConfiguration") or {}).get("rules") or []]
    provisioner.client("ecr", region).put_replication_configuration(replicationConfiguration={"rules": rules})
    return f"{provisioner.account}-{region}", {"registryId": provisioner.account}


# --------------------------------------------------------------------------- enforcer

def read_tags(ecr: Any, repository: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(ecr.list_tags_for_resource(resourceArn=repository.arn).get("tags"))


def write_tags(repository: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"resourceArn": repository.arn, "tags": pairs(new)}


def read_policy(ecr: Any, repository: Resource) -> Optional[dict]:
    try:
        answer = ecr.get_repository_policy(repositoryName=repository.id)
    except ecr.exceptions.RepositoryPolicyNotFoundException:
        return None
    return policy_document(answer.get("policyText"))


def write_policy(repository: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    return "SetRepositoryPolicy", {"repositoryName": repository.id, "policyText": compact(document)}


# --------------------------------------------------------------------------- CloudFormation

def cfn_repository(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    encryption = p.get("EncryptionConfiguration") or {}
    configured = [{"encryptionType": encryption.get("EncryptionType"), "kmsKey": encryption.get("KmsKey")}] \
        if encryption else []
    return [(PULUMI_TYPE, "", {"name": p.get("RepositoryName") or context.own_id, "encryptionConfigurations": configured,
                               "policy": policy_json(p.get("RepositoryPolicyText")), "tags": tags(p)})]


def cfn_replication(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    rules = [{"destinations": [{"region": d.get("Region"), "registryId": d.get("RegistryId")}
                               for d in r.get("Destinations") or []],
              "repositoryFilters": [{"filter": f.get("Filter"), "filterType": f.get("FilterType")}
                                    for f in r.get("RepositoryFilters") or []]}
             for r in (p.get("ReplicationConfiguration") or {}).get("Rules") or []]
    return [(REPLICATION_TYPE, "", {"replicationConfiguration": {"rules": rules}})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="ECR repository",
    properties={**KEY_PROPERTIES, "replica_regions": "list", **SHARE_PROPERTIES, **POLICY_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_ecr_repository",
                       terraform_blocks={"encryption_configuration": "encryptionConfigurations"},
                       inputs=inputs(name=("name", "replica_regions", "sharing"), encryptionConfigurations=KEY_GROUPS,
                                     policy=("policy",)),
                       sandbox=provision, sandbox_rank=60),
            policy_child(POLICY_TYPE, PULUMI_TYPE, "repository", "repository", "aws_ecr_repository_policy",
                         put_repository_policy),
            PulumiType(REPLICATION_TYPE, account_wide=registry_replication,
                       terraform="aws_ecr_replication_configuration",
                       terraform_blocks={"rule": "rules", "destination": "destinations",
                                         "repository_filter": "repositoryFilters"},
                       sandbox=put_replication, sandbox_rank=66)),
    arn=repository_arn,
    live=LiveCollector("scanners.ecr", "collect_repositories", listing="ecr"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_ecr_repository"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType(CFN_TYPE, cfn_repository, physical_name="RepositoryName"),
        CloudFormationType("AWS::ECR::ReplicationConfiguration", cfn_replication))),
    tagging=Tagging("ecr", read_tags, write_tags, by_arn=True),
    # No remove or floor: a policy left with no statement is not deleted (the repair is refused).
    resource_policy=PolicyAccess("ecr", read_policy, write_policy),
)
