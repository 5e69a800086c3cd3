"""CloudTrail trails: multi-region, log file validation, where logs go, whether it logs.

Calls per region: DescribeTrails (home-region trails only); per trail: GetTrailStatus;
GetBucketLocation only for a log bucket the S3 inventory does not know (another account's).
"""

from __future__ import annotations

from typing import Any

from luxguard.core.model import Resource, common_properties

from scanners.calls import FAILED, read_group
from scanners.clients import ClientFactory
from scanners.context import Shared
from scanners.s3 import S3Context, bucket_region

TYPE = "AWS::CloudTrail::Trail"


def _trail(clients: ClientFactory, cloudtrail: Any, trail: dict[str, Any], region: str,
           context: S3Context) -> Resource:
    arn = trail.get("TrailARN")
    resource = Resource(type=TYPE, id=trail["Name"], region=region, arn=arn)
    status = read_group(resource, "logging", lambda: cloudtrail.get_trail_status(Name=arn or trail["Name"]))
    resource.properties = {
        **common_properties(trail["Name"], region, {}),
        "multi_region": bool(trail.get("IsMultiRegionTrail")),
        "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
        "s3_bucket": trail.get("S3BucketName"),
        "s3_bucket_region": bucket_region(clients, context, trail.get("S3BucketName"), resource, "s3_bucket_region"),
    }
    if status is not FAILED:
        resource.properties["logging"] = bool(status.get("IsLogging"))
    return resource


def collect_trails(shared: Shared, region: str) -> list[Resource]:
    """Trails whose home region is `region` (a multi-region trail is reported once)."""
    clients, context = shared.clients, shared.buckets
    cloudtrail = clients.client("cloudtrail", region)
    trails = cloudtrail.describe_trails(includeShadowTrails=False).get("trailList", [])
    return [
        _trail(clients, cloudtrail, t, region, context)
        for t in trails if t.get("HomeRegion", region) == region
    ]
