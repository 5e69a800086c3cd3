"""ECR repositories: the key that encrypts their images, who their repository policy lets pull
or push, and the regions the registry replicates them to.

Calls per region: DescribeRegistry (once: the registry's replication rules) and
DescribeRepositories (paginated; the encryption included); per repository: GetRepositoryPolicy
("not found" is a repository without one) and ListTagsForResource (the local cloud's Resource
Groups Tagging API does not return repositories).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from luxguard.core.model import Resource, common_properties
from luxguard.resources.ecr_repository import CFN_TYPE, replication, repository_key
from luxguard.resources.resource_policy import NO_POLICY, set_policy

from scanners.calls import FAILED, NOT_CONFIGURED, describe_error, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, key_properties

TYPE = CFN_TYPE


def _registry_rules(ecr: Any) -> Any:
    """The replication rules of the region's registry, or the error that left them unread."""
    try:
        return (ecr.describe_registry().get("replicationConfiguration") or {}).get("rules") or []
    except (ClientError, BotoCoreError, ResponseParserError) as error:   # every repository's replication: error
        return describe_error(error)


def _repository(ecr: Any, entry: dict[str, Any], region: str, keys: KeyResolver, rules: Any) -> Resource:
    name = entry["repositoryName"]
    resource = Resource(type=TYPE, id=name, region=region, arn=entry.get("repositoryArn"))
    key = repository_key({"encryptionType": (entry.get("encryptionConfiguration") or {}).get("encryptionType"),
                          "kmsKey": (entry.get("encryptionConfiguration") or {}).get("kmsKey")})
    tags = read_group(resource, "tags", lambda: ecr.list_tags_for_resource(resourceArn=entry["repositoryArn"]))
    if tags is FAILED:
        for derived in ("classification", "role"):
            resource.collection_errors[derived] = resource.collection_errors["tags"]
    tag_map = {} if tags in (FAILED, NOT_CONFIGURED) else tag_dict(tags.get("tags"))
    resource.properties = {**common_properties(name, region, tag_map), **key_properties(keys.resolve(key, region), key),
                           "policy": dict(NO_POLICY)}
    if isinstance(rules, str):
        resource.collection_errors.update(replica_regions=rules, sharing=rules)
        resource.properties.update(replica_regions=[], sharing={"grants": []})
    else:
        resource.properties.update(replication(rules, name))
    policy = read_group(resource, "policy", lambda: ecr.get_repository_policy(repositoryName=name))
    if policy not in (FAILED, NOT_CONFIGURED):
        set_policy(resource, policy.get("policyText"), "the policyText GetRepositoryPolicy answered")
    return resource


def collect_repositories(shared: Shared, region: str) -> list[Resource]:
    ecr = shared.clients.client("ecr", region)
    entries = [r for page in ecr.get_paginator("describe_repositories").paginate()
               for r in page.get("repositories", [])]
    if not entries:
        return []
    rules = _registry_rules(ecr)
    return [_repository(ecr, entry, region, shared.keys, rules)
            for entry in sorted(entries, key=lambda e: e["repositoryName"])]
