"""Tags for many resource types from one paginated pass per region over the Resource Groups
Tagging API (GetResources), instead of one tagging call per resource.

Collectors of services whose list calls do not return tags ask the region's index by ARN.
GetResources returns tagged (and once-tagged) resources only: an ARN it does not name has no
tags. When the pass fails, every lookup in that region reports the failure, so that the rules
reading tags (classification, role) give `error`, never a verdict on tags nobody read.
"""

from __future__ import annotations

import threading
from typing import Optional

from luxguard.core.model import Resource

from scanners.calls import describe_error, tag_dict
from scanners.clients import ClientFactory

# GetResources ResourceTypeFilters of the collectors that read their tags here (ElastiCache as a
# whole service: AWS names replication groups `replicationgroup`, the local cloud `replication-group`).
TAGGED_SERVICES = ("backup:backup-vault", "cloudfront", "elasticache", "kms", "lambda", "logs", "s3", "sns", "sqs", "ssm")
TAG_GROUPS = ("tags", "classification", "role")


class RegionTags:
    """The tags of one region, read once on first use (thread-safe)."""

    def __init__(self, clients: ClientFactory, region: str):
        self._clients = clients
        self._region = region
        self._lock = threading.Lock()
        self._tags: Optional[dict[str, dict[str, str]]] = None
        self._error: Optional[str] = None

    def _load(self) -> None:
        tagging = self._clients.client("resourcegroupstaggingapi", self._region)
        tags: dict[str, dict[str, str]] = {}
        try:
            for page in tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=list(TAGGED_SERVICES),
                                                                      ResourcesPerPage=100):
                for mapping in page.get("ResourceTagMappingList", []):
                    tags[mapping["ResourceARN"]] = tag_dict(mapping.get("Tags"))
        except Exception as error:  # noqa: BLE001 - recorded on every resource that needed it
            self._error = describe_error(error)
            return
        self._tags = tags

    def apply(self, resource: Resource, arn: Optional[str]) -> dict[str, str]:
        """The resource's tags; on a failed pass, records the error on its tag-derived groups."""
        with self._lock:
            if self._tags is None and self._error is None:
                self._load()
        if self._error is not None:
            for group in TAG_GROUPS:
                resource.collection_errors[group] = f"tagging {self._region}: {self._error}"
            return {}
        return dict((self._tags or {}).get(arn or "", {}))


class TagIndex:
    """One RegionTags per region for a whole scan."""

    def __init__(self, clients: ClientFactory):
        self._clients = clients
        self._lock = threading.Lock()
        self._regions: dict[str, RegionTags] = {}

    def region(self, region: str) -> RegionTags:
        with self._lock:
            if region not in self._regions:
                self._regions[region] = RegionTags(self._clients, region)
            return self._regions[region]
