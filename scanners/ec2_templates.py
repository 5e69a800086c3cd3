"""EC2 launch templates: whether the default version requests encryption for every EBS device,
and under which key.

Calls per region: DescribeLaunchTemplates (paginated; tags in the answer); per template:
DescribeLaunchTemplateVersions of its default version.
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.launch_template import CFN_TYPE, devices, encryption

from scanners import arns
from scanners.calls import FAILED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import resolved_key

GROUPS = ("encrypted", "kms_key_id", "kms_key_region", "customer_managed_key")


def launch_template(ec2: Any, template: dict[str, Any], region: str, shared: Shared) -> Resource:
    identifier = template["LaunchTemplateId"]
    resource = Resource(type=CFN_TYPE, id=identifier, region=region,
                        arn=arns.build("ec2", region, shared.account, f"launch-template/{identifier}"))
    resource.properties = {**common_properties(template.get("LaunchTemplateName"), region,
                                               tag_dict(template.get("Tags"))),
                           **encryption([], lambda key: {})}
    answer = read_group(resource, "encrypted", lambda: ec2.describe_launch_template_versions(
        LaunchTemplateId=identifier, Versions=["$Default"]))
    if answer is FAILED:
        for group in GROUPS[1:]:
            resource.collection_errors[group] = resource.collection_errors["encrypted"]
        return resource
    versions = answer.get("LaunchTemplateVersions", [])
    data = versions[0].get("LaunchTemplateData", {}) if versions else {}
    resource.properties.update(encryption(devices(data.get("BlockDeviceMappings")),
                                          lambda key: resolved_key(resource, shared.keys, key, region)))
    return resource


def collect_launch_templates(shared: Shared, region: str) -> list[Resource]:
    ec2 = shared.clients.client("ec2", region)
    templates = [t for page in ec2.get_paginator("describe_launch_templates").paginate()
                 for t in page.get("LaunchTemplates", [])]
    return [launch_template(ec2, t, region, shared) for t in sorted(templates, key=lambda t: t["LaunchTemplateId"])]
