"""AWS::CloudTrail::Trail: audit trails."""

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
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs, planned_resource

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource


def convert(res: "CapturedResource", index: Any) -> Resource:
    bucket = res.inputs.get("s3BucketName")
    return planned_resource(res, index, "AWS::CloudTrail::Trail",
                            multi_region=bool(res.inputs.get("isMultiRegionTrail")),
                            log_file_validation=bool(res.inputs.get("enableLogFileValidation")), s3_bucket=bucket,
                            s3_bucket_region=index.bucket_region(bucket),
                            logging=bool(res.inputs.get("enableLogging", True)))


def cfn_trail(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    return [("aws:cloudtrail/trail:Trail", "", {
        "name": p.get("TrailName"), "s3BucketName": p.get("S3BucketName"),
        "isMultiRegionTrail": p.get("IsMultiRegionTrail"), "enableLogFileValidation": p.get("EnableLogFileValidation"),
        "enableLogging": p.get("IsLogging", True), "tags": tags(p)})]

DESCRIPTOR = ResourceType(
    cfn_type="AWS::CloudTrail::Trail",
    kind="trail",
    properties={"multi_region": "bool", "log_file_validation": "bool", "s3_bucket": "string",
                "s3_bucket_region": "string", "logging": "bool"},
    pulumi=(PulumiType("aws:cloudtrail/trail:Trail", convert=convert, physical_name="name", terraform="aws_cloudtrail",
                       terraform_blocks={"event_selector": "eventSelectors"},
                       inputs=inputs(isMultiRegionTrail=("multi_region",),
                                     enableLogFileValidation=("log_file_validation",),
                                     s3BucketName=("s3_bucket", "s3_bucket_region"), enableLogging=("logging",))),),
    live=LiveCollector("scanners.cloudtrail", "collect_trails", listing="cloudtrail"),
    drift=Drift(missing_category="logging", safer={"logging": True, "multi_region": True, "log_file_validation": True}),
    terraform=TerraformForm("aws_cloudtrail"),
    cloudformation=CloudFormationForm(types=(CloudFormationType("AWS::CloudTrail::Trail", cfn_trail,
                                                                physical_name="TrailName"),)),
)
