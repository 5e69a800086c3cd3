"""EFS file systems: the KMS key that encrypts them at rest and who their policy lets in.

Calls per region: DescribeFileSystems (paginated; it answers encryption, key and tags, so no tag
call is needed); per file system: DescribeFileSystemPolicy (PolicyNotFound means no policy: only
the account's own principals, as their IAM policies allow).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.efs_file_system import CFN_TYPE, DEFAULT_KEY
from luxguard.resources.resource_policy import NO_POLICY, set_policy

from scanners.calls import FAILED, NOT_CONFIGURED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key


def _file_system(efs: Any, described: dict[str, Any], region: str, keys: KeyResolver) -> Resource:
    file_system_id = described["FileSystemId"]
    resource = Resource(type=CFN_TYPE, id=file_system_id, region=region, arn=described.get("FileSystemArn"))
    encrypted = bool(described.get("Encrypted"))
    key = (described.get("KmsKeyId") or DEFAULT_KEY) if encrypted else None
    tags = tag_dict(described.get("Tags"))
    resource.properties = {**common_properties(tags.get("Name") or file_system_id, region, tags),
                           "encrypted": encrypted, **resolved_key(resource, keys, key, region)}
    policy = read_group(resource, "policy", lambda: efs.describe_file_system_policy(FileSystemId=file_system_id))
    if policy is NOT_CONFIGURED:
        resource.properties["policy"] = dict(NO_POLICY)
    elif policy is not FAILED:
        set_policy(resource, policy.get("Policy"), "the Policy DescribeFileSystemPolicy answered")
    return resource


def collect_file_systems(shared: Shared, region: str) -> list[Resource]:
    efs = shared.clients.client("efs", region)
    described = [fs for page in efs.get_paginator("describe_file_systems").paginate()
                 for fs in page.get("FileSystems", [])]
    return [_file_system(efs, fs, region, shared.keys) for fs in sorted(described, key=lambda f: f["FileSystemId"])]
