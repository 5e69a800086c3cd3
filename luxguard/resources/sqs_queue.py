"""AWS::SQS::Queue: SQS queues, encrypted at rest with the KMS key they name, and who their queue
policy lets send or receive (inline `policy` or a separate `QueuePolicy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    PolicyAccess,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs, planned_resource
from luxguard.resources.resource_policy import (
    NO_POLICY,
    POLICY_PROPERTIES,
    cfn_policies,
    compact,
    declared_policy,
    name_key,
    policy_child,
    policy_document,
    policy_text,
)

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

KEY_PROPERTIES = {"kms_key_id": "string", "kms_key_region": "string", "customer_managed_key": "bool"}
KEY_GROUPS = tuple(KEY_PROPERTIES)
PULUMI_TYPE = "aws:sqs/queue:Queue"
POLICY_TYPE = "aws:sqs/queuePolicy:QueuePolicy"


def physical_name(res: "CapturedResource") -> str:
    """The cloud name: the `name` input (Pulumi records auto-names there too), else the last part
    of the id (a queue URL, a topic or stream ARN) or the mock id."""
    name = res.inputs.get("name")
    if isinstance(name, str) and name:
        return name
    return str(res.id).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def key_encrypted(res: "CapturedResource", index: Any, cfn_type: str, key_input: str,
                  default_key: Optional[str] = None, **properties: Any) -> Resource:
    """A store named by its physical name, encrypted with the key in `key_input` (or the
    service's AWS-managed `default_key` when the input is empty and the service always encrypts)."""
    resource = planned_resource(res, index, cfn_type, **properties)
    resource.id = physical_name(res)
    resource.properties["name"] = resource.id
    resource.properties.update(index.key_facts(res.inputs.get(key_input) or default_key, resource.region))
    return resource


def regional_arn(service: str, separator: str = ":") -> Any:
    def build(region: Optional[str], account: str, name: str) -> str:
        return f"arn:aws:{service}:{region or ''}:{account}{separator}{name}"
    return build


def pairs(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def queue_url(queue: Resource) -> str:
    """The queue URL from its ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)."""
    _, _, _, region, account, name = str(queue.arn).split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def read_tags(sqs: Any, queue: Resource) -> dict[str, str]:
    return dict(sqs.list_queue_tags(QueueUrl=queue_url(queue)).get("Tags") or {})


def write_tags(queue: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagQueue", {"QueueUrl": queue_url(queue), "Tags": dict(sorted(new.items()))}


def read_policy(sqs: Any, queue: Resource) -> Optional[dict]:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url(queue), AttributeNames=["Policy"]).get("Attributes")
    return policy_document((attributes or {}).get("Policy"))


def write_policy(queue: Resource, document: dict) -> tuple[str, dict[str, Any]]:
    return "SetQueueAttributes", {"QueueUrl": queue_url(queue), "Attributes": {"Policy": compact(document)}}


def remove_policy(queue: Resource) -> tuple[str, dict[str, Any]]:
    return "SetQueueAttributes", {"QueueUrl": queue_url(queue), "Attributes": {"Policy": ""}}


def read_arn_tags(client: Any, resource: Resource) -> dict[str, str]:
    """ListTagsForResource(ResourceArn=...) with Key/Value pairs (SNS)."""
    from scanners.calls import tag_dict

    return tag_dict(client.list_tags_for_resource(ResourceArn=resource.arn).get("Tags"))




def convert(res: "CapturedResource", index: Any) -> Resource:
    resource = key_encrypted(res, index, "AWS::SQS::Queue", "kmsMasterKeyId", policy=dict(NO_POLICY))
    declared_policy(res, resource)
    resource.arn = regional_arn("sqs")(resource.region, index.capture.config.get("luxguard:accountId", ""),
                                       resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    sqs = provisioner.client("sqs", region)
    name = values.get("name") or res.name
    attributes = {"KmsMasterKeyId": values["kmsMasterKeyId"]} if values.get("kmsMasterKeyId") else {}
    if policy_text(values.get("policy")):
        attributes["Policy"] = str(policy_text(values.get("policy")))
    url = sqs.create_queue(QueueName=name, Attributes=attributes,
                           tags={str(k): str(v) for k, v in (values.get("tags") or {}).items()})["QueueUrl"]
    arn = f"arn:aws:sqs:{region}:{provisioner.account}:{name}"
    provisioner.exact[res.id] = url
    return url, {"arn": arn, "name": name, "url": url}


def put_queue_policy(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    """SetQueueAttributes(Policy) on the queue the policy names (by URL, or by name in a preview)."""
    sqs = provisioner.client("sqs", region)
    url = str(values.get("queueUrl") or "")
    if not url.startswith("http"):
        url = sqs.get_queue_url(QueueName=name_key(url))["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy_text(values.get("policy")) or ""})
    return url, {"queueUrl": url}


def cfn_queue_policy(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return cfn_policies(POLICY_TYPE, "queueUrl", p.get("Queues"), p.get("PolicyDocument"))


def cfn_queue(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:sqs/queue:Queue", "", {"name": p.get("QueueName") or context.own_id,
                                         "kmsMasterKeyId": p.get("KmsMasterKeyId"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::SQS::Queue",
    kind="queue",
    properties={**KEY_PROPERTIES, **POLICY_PROPERTIES},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, physical_name="name", terraform="aws_sqs_queue",
                       inputs=inputs(name=("name",), kmsMasterKeyId=KEY_GROUPS, policy=("policy",)), sandbox=provision,
                       sandbox_rank=60),
            policy_child(POLICY_TYPE, PULUMI_TYPE, "queueUrl", "queue", "aws_sqs_queue_policy", put_queue_policy)),
    arn=regional_arn("sqs"),
    live=LiveCollector("scanners.sqs", "collect_queues", listing="sqs"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_sqs_queue"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::SQS::Queue", cfn_queue, physical_name="QueueName"),
                                             CloudFormationType("AWS::SQS::QueuePolicy", cfn_queue_policy))),
    tagging=Tagging("sqs", read_tags, write_tags, by_arn=True),
    resource_policy=PolicyAccess("sqs", read_policy, write_policy, remove_policy, by_arn=True),
)
