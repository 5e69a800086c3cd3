"""Which regions to scan: `all` means every region the account has plus every catalogue
location, so that resources outside Luxembourg are found even where the API hides a region."""

from __future__ import annotations

import re
from typing import Callable, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from luxguard.core.errors import LuxguardError
from luxguard.core.locations import Locations

REGION_NAME = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)*-\d+$")


def account_regions(session: boto3.Session, endpoint_url: Optional[str]) -> list[str]:
    """EC2 DescribeRegions (enabled regions only); raises on failure."""
    region = session.region_name or "us-east-1"
    ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint_url,
                         config=Config(retries={"mode": "standard", "max_attempts": 2}))
    return sorted(r["RegionName"] for r in ec2.describe_regions()["Regions"])


def parse_region_list(spec: str) -> list[str]:
    names = list(dict.fromkeys(part.strip() for part in spec.split(",") if part.strip()))
    if not names:
        raise LuxguardError(f"--regions '{spec}': give 'all' or a comma-separated list of regions")
    bad = [n for n in names if not REGION_NAME.match(n)]
    if bad:
        raise LuxguardError(f"--regions: not a region name: {', '.join(bad)}")
    return names


def resolve_regions(
    session: boto3.Session,
    spec: str,
    locations: Locations,
    endpoint_url: Optional[str],
    warn: Optional[Callable[[str], None]] = None,
) -> list[str]:
    """'all' -> account regions (DescribeRegions) + catalogue regions, sorted; 'r1,r2' -> as given."""
    if spec.strip().lower() != "all":
        return parse_region_list(spec)
    try:
        found = account_regions(session, endpoint_url)
    except (ClientError, BotoCoreError) as error:
        if warn:
            warn(f"cannot list the account's regions ({error}); scanning the location catalogue's regions")
        found = []
    return sorted(set(found) | set(locations.regions))
