"""ARN helpers: the region of a key and the ARN of a resource without one in the API."""

from __future__ import annotations

from typing import Optional


def partition(region: Optional[str]) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def is_arn(value: Optional[str]) -> bool:
    return bool(value) and str(value).startswith("arn:")


def region_of(arn: Optional[str]) -> Optional[str]:
    """'arn:aws:kms:lu-central-1:1234:key/x' -> 'lu-central-1'; None when not an ARN."""
    if not is_arn(arn):
        return None
    parts = str(arn).split(":", 5)
    return parts[3] or None if len(parts) == 6 else None


def resource_part(arn: str) -> str:
    """'arn:aws:kms:r:a:alias/x' -> 'alias/x'; 'arn:aws:s3:::bucket' -> 'bucket'."""
    return arn.split(":", 5)[5] if is_arn(arn) and arn.count(":") >= 5 else arn


def bucket_arn(name: str, region: Optional[str]) -> str:
    return f"arn:{partition(region)}:s3:::{name}"


def build(service: str, region: str, account: Optional[str], resource: str) -> str:
    return f"arn:{partition(region)}:{service}:{region}:{account or ''}:{resource}"
