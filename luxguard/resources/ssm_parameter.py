"""AWS::SSM::Parameter: SSM parameters: plain text or SecureString, and the KMS key of a
SecureString (aws/ssm when none is named)."""

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
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs
from luxguard.resources.sqs_queue import KEY_GROUPS, KEY_PROPERTIES, key_encrypted, pairs, regional_arn

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

AWS_MANAGED_KEY = "alias/aws/ssm"


def parameter_arn(region: Optional[str], account: str, name: str) -> str:
    return regional_arn("ssm")(region, account, f"parameter{name}" if name.startswith("/") else f"parameter/{name}")


def convert(res: "CapturedResource", index: Any) -> Resource:
    kind = res.inputs.get("type")
    secure = kind == "SecureString"
    resource = key_encrypted(res, index, "AWS::SSM::Parameter", "keyId" if secure else "",
                             AWS_MANAGED_KEY if secure else None, parameter_type=kind)
    resource.arn = parameter_arn(resource.region, index.capture.config.get("luxguard:accountId", ""), resource.id)
    return resource


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    name = values.get("name") or res.name
    args: dict[str, Any] = {"Name": name, "Type": values.get("type", "String"),
                            "Value": str(values.get("insecureValue") or values.get("value") or "-")}
    if values.get("keyId") and args["Type"] == "SecureString":
        args["KeyId"] = values["keyId"]
    if values.get("tags"):
        args["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in values["tags"].items()]
    provisioner.client("ssm", region).put_parameter(**args)
    return name, {"arn": parameter_arn(region, provisioner.account, name), "name": name}


def write_tags(parameter: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "AddTagsToResource", {"ResourceType": "Parameter", "ResourceId": parameter.id, "Tags": pairs(new)}


def read_tags(ssm: Any, parameter: Resource) -> dict[str, str]:
    from scanners.calls import tag_dict

    return tag_dict(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter.id).get("TagList"))


def cfn_parameter(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    """CloudFormation creates String and StringList parameters only (no SecureString, no key)."""
    return [("aws:ssm/parameter:Parameter", "", {"name": p.get("Name") or context.own_id, "type": p.get("Type"),
                                                 "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type="AWS::SSM::Parameter",
    kind="parameter",
    properties={"parameter_type": "string", **KEY_PROPERTIES},   # String | StringList | SecureString
    pulumi=(PulumiType("aws:ssm/parameter:Parameter", convert=convert, physical_name="name",
                       terraform="aws_ssm_parameter", sandbox=provision, sandbox_rank=60,
                       inputs=inputs(name=("name",), type=("parameter_type", *KEY_GROUPS), keyId=KEY_GROUPS)),),
    arn=parameter_arn,
    live=LiveCollector("scanners.ssm", "collect_parameters", listing="ssm"),
    drift=Drift(missing_category="retention", safer={"customer_managed_key": True}),
    terraform=TerraformForm("aws_ssm_parameter"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::SSM::Parameter", cfn_parameter, physical_name="Name"),)),
    tagging=Tagging("ssm", read_tags, write_tags),
)
