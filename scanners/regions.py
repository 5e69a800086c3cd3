"""Which regions to scan.

`all` means every region enabled for the account (EC2 DescribeRegions), within the account's
partition, plus the home region the scanner is pointed at: a residency scanner that only looks
in Luxembourg cannot find what left it, and one that scans regions the account cannot use
(another partition's cn-* or us-gov-*, opt-in regions it never enabled) reports failures nobody
can act on. If the account's regions cannot be listed, that is an error: silently scanning fewer
regions would pass what it never saw. A named list is checked against the location catalogue.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Callable, Optional

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, UnknownRegionError

from luxguard.core.errors import LuxguardError
from luxguard.core.locations import Locations

from scanners.access import check_access
from scanners.calls import error_code, error_message
from scanners.clients import ClientFactory

REGION_NAME = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)*-\d+$")
STANDARD_PARTITION = "aws"
NOT_ENABLED = "not-opted-in"   # DescribeRegions' OptInStatus of an opt-in region the account never enabled


@lru_cache(maxsize=None)
def partition_of(region: str) -> Optional[str]:
    """botocore's partition of a public region (aws, aws-cn, aws-us-gov, ...); None for a
    region botocore does not know, such as a private cloud's lu-central-1."""
    try:
        return botocore.session.get_session().get_partition_for_region(region)
    except UnknownRegionError:
        return None


def in_partition(region: str, partition: str) -> bool:
    """A private region belongs to whichever partition its endpoint serves."""
    return partition_of(region) in (None, partition)


def account_regions(session: boto3.Session, endpoint_url: Optional[str]) -> list[str]:
    """EC2 DescribeRegions: the regions enabled for the account; raises on failure."""
    region = session.region_name or "us-east-1"
    ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint_url,
                         config=Config(retries={"mode": "standard", "max_attempts": 2}))
    answered = ec2.describe_regions()["Regions"]
    return sorted(r["RegionName"] for r in answered if r.get("OptInStatus") != NOT_ENABLED)


def unknown_region_message(name: str, locations: Locations) -> str:
    close = sorted(difflib.get_close_matches(name, locations.regions, n=3, cutoff=0.75))
    hint = f" (did you mean {', '.join(close[:-1]) + ' or ' if close[1:] else ''}{close[-1]}?)" if close else ""
    return (f"--regions: unknown region {name}{hint}; give regions of the location catalogue "
            f"(add private ones with --locations FILE) or 'all'")


def parse_region_list(spec: str, locations: Optional[Locations] = None) -> list[str]:
    """'r1,r2' -> the regions, each once; with `locations`, each must be in the catalogue."""
    names = list(dict.fromkeys(part.strip() for part in spec.split(",") if part.strip()))
    if not names:
        raise LuxguardError(f"--regions '{spec}': give 'all' or a comma-separated list of regions")
    bad = [n for n in names if not REGION_NAME.match(n)]
    if bad:
        raise LuxguardError(f"--regions: not a region name: {', '.join(bad)}")
    unknown = [n for n in names if locations is not None and n not in locations.countries]
    if unknown:
        raise LuxguardError(unknown_region_message(unknown[0], locations))
    return names


def check_region_spec(spec: str, locations: Locations) -> str:
    """--regions as given on the command line, checked before any work: 'all' or known regions."""
    if spec.strip().lower() == "all":
        return "all"
    return ",".join(parse_region_list(spec, locations))


def enabled_regions(session: boto3.Session, endpoint_url: Optional[str]) -> list[str]:
    """The account's enabled regions in its partition (that of the home region; a private home
    region is in the standard partition), with the home region itself; fails closed."""
    home = session.region_name or "us-east-1"
    check_access(ClientFactory(session, endpoint_url), home)   # unreachable, no credentials: their own line
    try:
        found = account_regions(session, endpoint_url)
    except (ClientError, BotoCoreError) as error:
        raise LuxguardError(f"--regions all: cannot list the account's enabled regions (ec2 DescribeRegions: "
                            f"{error_code(error)}: {error_message(error)}); allow ec2:DescribeRegions or name the regions with --regions r1,r2") from None
    partition = partition_of(home) or STANDARD_PARTITION
    return sorted({r for r in found if in_partition(r, partition)} | {home})


def resolve_regions(
    session: boto3.Session,
    spec: str,
    locations: Locations,
    endpoint_url: Optional[str],
    warn: Optional[Callable[[str], None]] = None,
) -> list[str]:
    """'all' -> the account's enabled regions (enabled_regions), sorted; 'r1,r2' -> as given,
    each known to the location catalogue. `warn` is kept for callers; nothing here is a warning."""
    if spec.strip().lower() != "all":
        return parse_region_list(spec, locations)
    return enabled_regions(session, endpoint_url)
