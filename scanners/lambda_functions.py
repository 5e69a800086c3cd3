"""Lambda functions: the key that encrypts their environment variables and who their resource
policy lets invoke them.

Calls per region: ListFunctions (paginated; the key and the environment included); per function:
GetPolicy (ListFunctions does not return it; "not found" is a function without one); tags from
the region's Resource Groups Tagging pass (scanners/tagging.py).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.lambda_function import AWS_MANAGED_KEY, add_permission, live_document
from luxguard.resources.resource_policy import NO_POLICY

from scanners.calls import FAILED, NOT_CONFIGURED, read_group
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key
from scanners.tagging import TagIndex

TYPE = "AWS::Lambda::Function"


def _policy(client: Any, resource: Resource) -> None:
    answer = read_group(resource, "policy", lambda: client.get_policy(FunctionName=resource.arn))
    resource.properties["policy"] = dict(NO_POLICY)
    if answer in (FAILED, NOT_CONFIGURED):
        return
    where = "the Policy GetPolicy answered"
    try:
        document = live_document(answer.get("Policy"))
    except ValueError as error:
        resource.collection_errors["policy"] = f"{where} cannot be judged: {error}"
        return
    for statement in (document or {}).get("Statement", []):
        add_permission(resource, statement, where)


def _function(client: Any, entry: dict[str, Any], region: str, keys: KeyResolver, tags: TagIndex) -> Resource:
    name, arn = entry["FunctionName"], entry.get("FunctionArn")
    resource = Resource(type=TYPE, id=name, region=region, arn=arn)
    key = entry.get("KMSKeyArn") or AWS_MANAGED_KEY
    variables = (entry.get("Environment") or {}).get("Variables")
    tag_map = tags.region(region).apply(resource, arn)
    resource.properties = {**common_properties(name, region, tag_map), "environment_variables": bool(variables),
                           **resolved_key(resource, keys, key, region)}
    _policy(client, resource)
    return resource


def collect_functions(shared: Shared, region: str) -> list[Resource]:
    client = shared.clients.client("lambda", region)
    entries = [f for page in client.get_paginator("list_functions").paginate() for f in page.get("Functions", [])]
    return [_function(client, entry, region, shared.keys, shared.tags)
            for entry in sorted(entries, key=lambda e: e["FunctionName"])]
