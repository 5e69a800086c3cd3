"""AWS::Kinesis::Stream: Kinesis data streams: server-side encryption and its KMS key."""

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
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def stream_arn(region: Any, account: str, name: str) -> str:
    return regional_arn("kinesis")(region, account, f"stream/{name}")


def convert(res: "CapturedResource", index: Any) -> Resource:
    encrypted = res.inputs.get("encryptionType") == "KMS"
    resource = key_encrypted(res, index, "AWS::Kinesis::Stream", "kmsKeyId" if encrypted else "", encrypted=encrypted)
    resource.arn = stream_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    kinesis = provisioner.client("kinesis", region)
    name = values.get("name") or res.name
    kinesis.create_stream(StreamName=name, ShardCount=int(values.get("shardCount") or 1))
    if values.get("tags"):   # the local cloud drops CreateStream's Tags
        kinesis.add_tags_to_stream(StreamName=name, Tags={str(k): str(v) for k, v in values["tags"].items()})
    if values.get("encryptionType") == "KMS":
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS",
                                        KeyId=values.get("kmsKeyId") or "alias/aws/kinesis")
    arn = stream_arn(region, provisioner.account, name)
    return name, {"arn": arn, "name": name}


def read_tags(kinesis: Any, stream: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(kinesis.list_tags_for_stream(StreamName=stream.id, Limit=50).get("Tags"))


def write_tags(stream: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "AddTagsToStream", {"StreamName": stream.id, "Tags": dict(sorted(new.items()))}


def cfn_stream(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    encryption = p.get("StreamEncryption") or {}
    return [("aws:kinesis/stream:Stream", "", {
        "name": p.get("Name") or context.own_id, "encryptionType": encryption.get("EncryptionType"),
        "kmsKeyId": encryption.get("KeyId"), "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::Kinesis::Stream",
    kind="stream",
    properties={"encrypted": "bool", **KEY_PROPERTIES},   # encrypted: EncryptionType KMS
    pulumi=(PulumiType("aws:kinesis/stream:Stream", convert=convert, physical_name="name",
                       terraform="aws_kinesis_stream", sandbox=provision, sandbox_rank=60,
                       inputs=inputs(name=("name",), encryptionType=("encrypted", *KEY_GROUPS), kmsKeyId=KEY_GROUPS)),),
    arn=stream_arn,
    live=LiveCollector("scanners.kinesis", "collect_streams", listing="kinesis"),
    drift=Drift(missing_category="retention", safer={"encrypted": True, "customer_managed_key": True}),
    terraform=TerraformForm("aws_kinesis_stream"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::Kinesis::Stream", cfn_stream, physical_name="Name"),)),
    tagging=Tagging("kinesis", read_tags, write_tags),
)
