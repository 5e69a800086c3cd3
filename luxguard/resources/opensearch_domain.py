"""AWS::OpenSearchService::Domain: OpenSearch (and legacy Elasticsearch) domains, search indexes
that usually hold copies of customer records: encryption at rest and its key, encryption in
transit (node-to-node, HTTPS only), and who the domain's access policy lets in (17). The
`elasticsearch` forms of older programs and templates read the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PolicyAccess,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import policy_json, tags
from luxguard.resources.ebs_volume import KEY_GROUPS
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags
from luxguard.resources.resource_policy import (
    NO_POLICY,
    POLICY_PROPERTIES,
    compact,
    name_key,
    policy_document,
    policy_text,
    set_policy,
)

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::OpenSearchService::Domain"
DOMAIN_TYPES = ("aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain")
POLICY_TYPES = ("aws:opensearch/domainPolicy:DomainPolicy", "aws:elasticsearch/domainPolicy:DomainPolicy")
AWS_MANAGED_KEY = "alias/aws/es"   # at-rest encryption without a key named


def block(value: Any) -> Mapping[str, Any]:
    """A nested block: a map (Pulumi, CloudFormation) or a list of one (a Terraform plan)."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, Mapping) else {}


def at_rest_key(encrypted: bool, key: Optional[str]) -> Optional[str]:
    return (key or AWS_MANAGED_KEY) if encrypted else None


def arn(region: Any, account: str, name: str) -> str:
    return f"arn:aws:es:{region or ''}:{account}:domain/{name}"


def convert(res: "CapturedResource", index: Any) -> Resource:
    i = res.inputs
    at_rest = block(i.get("encryptAtRest"))
    resource = planned_resource(res, index, CFN_TYPE, encrypted=bool(at_rest.get("enabled")),
                                node_to_node_encryption=bool(block(i.get("nodeToNodeEncryption")).get("enabled")),
                                enforce_https=bool(block(i.get("domainEndpointOptions")).get("enforceHttps")),
                                policy=dict(NO_POLICY))
    resource.id = resource.properties["name"] = str(i.get("domainName") or res.id)
    resource.properties.update(index.key_facts(at_rest_key(bool(at_rest.get("enabled")), at_rest.get("kmsKeyId")),
                                               resource.region))
    if i.get("accessPolicies"):
        set_policy(resource, i["accessPolicies"], f"the access policies of {res.name}")
    resource.arn = arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def fold_policy(res: "CapturedResource", domain: Resource, index: Any) -> None:
    set_policy(domain, res.inputs.get("accessPolicies"), f"the domain policy {res.name}")


# --------------------------------------------------------------------------- sandbox

def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("domainName") or res.name
    at_rest = block(values.get("encryptAtRest"))
    args: dict[str, Any] = {
        "DomainName": name,
        "EncryptionAtRestOptions": {"Enabled": bool(at_rest.get("enabled")),
                                    **({"KmsKeyId": str(at_rest["kmsKeyId"])} if at_rest.get("kmsKeyId") else {})},
        "NodeToNodeEncryptionOptions": {"Enabled": bool(block(values.get("nodeToNodeEncryption")).get("enabled"))},
        "DomainEndpointOptions": {"EnforceHTTPS": bool(block(values.get("domainEndpointOptions")).get("enforceHttps"))},
        "TagList": sandbox_tags(values)}
    if policy_text(values.get("accessPolicies")):
        args["AccessPolicies"] = policy_text(values.get("accessPolicies"))
    created = provisioner.client("opensearch", region).create_domain(**args)["DomainStatus"]
    provisioner.exact[res.id] = name
    return name, {"arn": created["ARN"], "domainName": name}


def put_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = name_key(str(values.get("domainName") or ""))
    provisioner.client("opensearch", region).update_domain_config(
        DomainName=name, AccessPolicies=policy_text(values.get("accessPolicies")) or "")
    return name, {"domainName": name}


# --------------------------------------------------------------------------- enforcer

def read_tags(opensearch: Any, domain: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(opensearch.list_tags(ARN=domain.arn).get("TagList"))


def write_tags(domain: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "AddTags", {"ARN": domain.arn, "TagList": [{"Key": k, "Value": v} for k, v in sorted(new.items())]}


def read_policy(opensearch: Any, domain: Resource) -> Optional[dict]:
    status = opensearch.describe_domain(DomainName=domain.id)["DomainStatus"]
    return policy_document(status.get("AccessPolicies"))


def write_policy(domain: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    return "UpdateDomainConfig", {"DomainName": domain.id, "AccessPolicies": compact(document)}


# --------------------------------------------------------------------------- CloudFormation

def cfn_domain(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    at_rest = p.get("EncryptionAtRestOptions") or {}
    return [(DOMAIN_TYPES[0], "", {
        "domainName": p.get("DomainName") or context.own_id,
        "encryptAtRest": {"enabled": at_rest.get("Enabled"), "kmsKeyId": at_rest.get("KmsKeyId")},
        "nodeToNodeEncryption": {"enabled": (p.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")},
        "domainEndpointOptions": {"enforceHttps": (p.get("DomainEndpointOptions") or {}).get("EnforceHTTPS")},
        "accessPolicies": policy_json(p.get("AccessPolicies")), "tags": tags(p)})]


DOMAIN_INPUTS = inputs(domainName=("name",), encryptAtRest=("encrypted", *KEY_GROUPS),
                       nodeToNodeEncryption=("node_to_node_encryption",), domainEndpointOptions=("enforce_https",),
                       accessPolicies=("policy",))
BLOCKS = {"encrypt_at_rest": "encryptAtRest", "node_to_node_encryption": "nodeToNodeEncryption",
          "domain_endpoint_options": "domainEndpointOptions"}

DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="OpenSearch domain",
    properties={
        "encrypted": "bool",
        "kms_key_id": "string",
        "kms_key_region": "string",
        "customer_managed_key": "bool",
        "node_to_node_encryption": "bool",
        "enforce_https": "bool",
        **POLICY_PROPERTIES,
    },
    pulumi=(
        *(PulumiType(t, convert=convert, physical_name="domainName", terraform=tf, terraform_blocks=BLOCKS,
                     inputs=DOMAIN_INPUTS, sandbox=provision, sandbox_rank=60)
          for t, tf in zip(DOMAIN_TYPES, ("aws_opensearch_domain", "aws_elasticsearch_domain"))),
        *(PulumiType(t, fold=Folding(DOMAIN_TYPES[0], "domainName", ("policy",), fold_policy,
                                     also_parents=DOMAIN_TYPES[1:], parent_key=name_key),
                     terraform=tf, sandbox=put_policy, sandbox_rank=65)
          for t, tf in zip(POLICY_TYPES, ("aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy")))),
    arn=arn,
    live=LiveCollector("scanners.opensearch", "collect_domains", listing="opensearch"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True, "node_to_node_encryption": True,
                                                     "enforce_https": True}),
    terraform=TerraformForm("aws_opensearch_domain"),
    cloudformation=CloudFormationForm(types=(
        CloudFormationType(CFN_TYPE, cfn_domain, physical_name="DomainName"),
        CloudFormationType("AWS::Elasticsearch::Domain", cfn_domain, physical_name="DomainName"))),
    tagging=Tagging("opensearch", read_tags, write_tags, by_arn=True),
    # No remove or floor: a policy left with no statement is not deleted (the repair is refused).
    resource_policy=PolicyAccess("opensearch", read_policy, write_policy),
)
