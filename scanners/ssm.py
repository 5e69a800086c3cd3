"""SSM parameters: their type (SecureString or plain text) and the KMS key of SecureStrings.

Calls per region: DescribeParameters (paginated, 50 per page; type and key included: nothing
per parameter); tags from the region's Resource Groups Tagging pass (scanners/tagging.py).
"""

from __future__ import annotations

from typing import Any, Optional

from luxguard.core.model import Resource, common_properties

from scanners import arns
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key
from scanners.tagging import TagIndex

TYPE = "AWS::SSM::Parameter"
AWS_MANAGED_KEY = "alias/aws/ssm"


def parameter_arn(name: str, region: str, account: Optional[str]) -> str:
    return arns.build("ssm", region, account, f"parameter{name}" if name.startswith("/") else f"parameter/{name}")


def parameter(meta: dict[str, Any], region: str, account: Optional[str], keys: KeyResolver,
              tags: TagIndex) -> Resource:
    name = meta["Name"]
    arn = meta.get("ARN") or parameter_arn(name, region, account)
    resource = Resource(type=TYPE, id=name, region=region, arn=arn)
    kind = meta.get("Type")
    key = (meta.get("KeyId") or AWS_MANAGED_KEY) if kind == "SecureString" else None
    tag_map = tags.region(region).apply(resource, arn)
    resource.properties = {**common_properties(name, region, tag_map), "parameter_type": kind,
                           **resolved_key(resource, keys, key, region)}
    return resource


def collect_parameters(shared: Shared, region: str) -> list[Resource]:
    ssm = shared.clients.client("ssm", region)
    return [parameter(meta, region, shared.account, shared.keys, shared.tags)
            for page in ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 50})
            for meta in page.get("Parameters", [])]
