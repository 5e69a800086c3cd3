"""CloudFront distributions: where their edges serve from, which buckets they front, and whether
viewers and origins are reached over TLS.

Calls per account: ListDistributions (paginated; its summaries carry origins, cache behaviours and
the enabled flag, so no distribution needs its own read); tags from the Resource Groups Tagging
pass of us-east-1, where AWS keeps CloudFront's (scanners/tagging.py), only when there is a
distribution.
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties
from luxguard.resources.cloudfront_distribution import CFN_TYPE, delivery

from scanners.context import Shared

API_REGION = "us-east-1"   # CloudFront is global; its API and its tags live here


def _items(container: Any) -> list[dict]:
    return [i for i in ((container or {}).get("Items") or []) if isinstance(i, dict)]


def _distribution(summary: dict, shared: Shared) -> Resource:
    identifier, arn = str(summary["Id"]), summary.get("ARN")
    resource = Resource(type=CFN_TYPE, id=identifier, region=None, arn=arn)
    tags = shared.tags.region(API_REGION).apply(resource, arn)
    origins = [(o.get("DomainName"), (o.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy"))
               for o in _items(summary.get("Origins"))]
    behaviours = [summary.get("DefaultCacheBehavior") or {}, *_items(summary.get("CacheBehaviors"))]
    resource.properties = {**common_properties(tags.get("Name") or identifier, None, tags),
                           **delivery(summary.get("Enabled"), origins,
                                      [b.get("ViewerProtocolPolicy") for b in behaviours])}
    return resource


def collect_distributions(shared: Shared, region: str) -> list[Resource]:
    cloudfront = shared.clients.client("cloudfront", API_REGION)
    summaries = [item for page in cloudfront.get_paginator("list_distributions").paginate()
                 for item in _items(page.get("DistributionList"))]
    return sorted((_distribution(s, shared) for s in summaries), key=lambda r: r.id)
