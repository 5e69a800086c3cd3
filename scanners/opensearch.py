"""OpenSearch (and legacy Elasticsearch) domains: encryption at rest and its key, node-to-node
encryption, HTTPS only, and the access policy.

Calls per region: ListDomainNames, DescribeDomains per five domains (the API's batch limit; the
access policy comes in the answer); per domain: ListTags (the Resource Groups Tagging API does
not answer for domains in the local cloud).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.opensearch_domain import CFN_TYPE, at_rest_key, arn
from luxguard.resources.resource_policy import NO_POLICY, set_policy

from scanners.calls import FAILED, read_group, tag_dict
from scanners.context import Shared
from scanners.keys import KeyResolver, resolved_key

BATCH = 5   # DescribeDomains takes at most five names


def domain(opensearch: Any, status: dict[str, Any], region: str, account: str, keys: KeyResolver) -> Resource:
    name = status["DomainName"]
    resource = Resource(type=CFN_TYPE, id=name, region=region, arn=status.get("ARN") or arn(region, account, name))
    at_rest = status.get("EncryptionAtRestOptions") or {}
    key = at_rest_key(bool(at_rest.get("Enabled")), at_rest.get("KmsKeyId"))
    key_facts = resolved_key(resource, keys, key, region)
    answer = read_group(resource, "tags", lambda: opensearch.list_tags(ARN=resource.arn))
    tags = {} if answer is FAILED else tag_dict(answer.get("TagList"))
    resource.properties = {
        **common_properties(name, region, tags),
        "name": name,
        "encrypted": bool(at_rest.get("Enabled")),
        **key_facts,
        "node_to_node_encryption": bool((status.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
        "enforce_https": bool((status.get("DomainEndpointOptions") or {}).get("EnforceHTTPS")),
        "policy": dict(NO_POLICY),
    }
    if answer is FAILED:
        for group in ("classification", "role"):
            resource.collection_errors[group] = resource.collection_errors["tags"]
    if status.get("AccessPolicies"):
        set_policy(resource, status["AccessPolicies"], f"the access policies of domain {name}")
    return resource


def collect_domains(shared: Shared, region: str) -> list[Resource]:
    opensearch = shared.clients.client("opensearch", region)
    names = sorted(d["DomainName"] for d in opensearch.list_domain_names().get("DomainNames", []))
    statuses = [status for start in range(0, len(names), BATCH)
                for status in opensearch.describe_domains(DomainNames=names[start:start + BATCH])["DomainStatusList"]]
    return [domain(opensearch, s, region, shared.account or "", shared.keys)
            for s in sorted(statuses, key=lambda s: s["DomainName"])]
