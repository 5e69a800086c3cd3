"""Run every collector over a live account: KMS first (the others ask it about keys), then
buckets, instances, tables, trails in parallel on one bounded thread pool.

The regional collectors are the ones the resource-type descriptors name (`live`), all with one
signature, `collect(shared, region)`. Global listings (IAM) run once per account, with the home
region's client; S3's is its own (ListBuckets, then a worker per bucket)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional

import boto3

from luxguard.core.listing import ListingFailure
from luxguard.core.model import Resource

from luxguard.resources import all_types, collector
from scanners import kms, s3
from scanners.access import check_access
from scanners.calls import describe_error, error_code, error_message, unreadable
from scanners.clients import ClientFactory
from scanners.context import Shared
from scanners.keys import KeyResolver
from scanners.tagging import TagIndex

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Listing:
    """One regional listing job: the type it lists, its progress label, and the collector."""

    resource_type: str
    label: str
    collect: Callable[[Shared, str], list[Resource]]   # (shared, region) -> resources
    scope: str = "regional"                            # "global": once per account (a failure covers every region)


# The key index every other collector resolves against: listed before everything else.
FIRST = frozenset({kms.TYPE})


def regional_listings() -> list[Listing]:
    """Every descriptor's regional collector, in registry order."""
    return [Listing(d.cfn_type, d.live.listing, collector(d.live)) for d in all_types()
            if d.live is not None and d.live.scope == "regional"]


def global_listings() -> list[Listing]:
    """Every descriptor's account-wide collector but S3's (its inventory is the runner's own phase)."""
    return [Listing(d.cfn_type, d.live.listing, collector(d.live), "global") for d in all_types()
            if d.live is not None and d.live.scope == "global" and d.cfn_type != s3.TYPE]


@dataclass
class ScanResult:
    """What a scan found and what it cost.

    api_calls: logical API calls per 'service.Operation' (botocore `before-call`), one per
    request the collectors made, whatever botocore did to get an answer.
    http_requests: HTTP attempts per operation (botocore `before-send`); retries are the
    difference between the two.
    failures: listings that failed as a whole (no resource to attach them to), keyed by type,
    region and account; per-resource failures are in Resource.collection_errors instead.
    """

    resources: list[Resource] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    http_requests: dict[str, int] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)
    account_id: Optional[str] = None
    failures: list[ListingFailure] = field(default_factory=list)

    @property
    def total_api_calls(self) -> int:
        return sum(self.api_calls.values())


class _Scan:
    """One scan's shared state: clients, key index, S3 inventory, results."""

    def __init__(self, session: boto3.Session, regions: list[str], endpoint_url: Optional[str],
                 max_workers: int, progress: Optional[Progress], scope: str = "all"):
        self.regions = list(regions)
        self.scope = scope
        self.clients = ClientFactory(session, endpoint_url, max_workers)
        self.home = session.region_name or (self.regions[0] if self.regions else "us-east-1")
        self.keys = KeyResolver(self.clients)
        self.progress = progress or (lambda _message: None)
        self.max_workers = max_workers
        self.account: Optional[str] = None
        self.pool: ThreadPoolExecutor
        self.resources: list[Resource] = []
        self.failures: list[ListingFailure] = []

    def submit(self, listing: Listing, shared: Shared, region: str) -> Future:
        return self.pool.submit(self._guarded, listing, shared, region)

    def _guarded(self, listing: Listing, shared: Shared, region: str) -> list[Resource]:
        label = listing.label if listing.scope == "global" else f"{listing.label} {region}"
        try:
            found = listing.collect(shared, region)
        except Exception as error:  # noqa: BLE001 - one listing failing must not stop the scan
            self._failed(listing.resource_type, None if listing.scope == "global" else region, error)
            self.progress(f"{label}: failed ({describe_error(error)})")
            return []
        self.progress(f"{label}: {len(found)} resource(s)")
        return found

    def _failed(self, resource_type: str, region: Optional[str], error: Exception) -> None:
        self.failures.append(ListingFailure(resource_type, region, self.account, error_code(error),
                                            error_message(error)))

    def _bucket(self, name: str, context: s3.S3Context) -> list[Resource]:
        """One bucket; if reading it breaks altogether, it is still there, with every group an error."""
        try:
            found = s3.collect_bucket(self.clients, name, context)
        except Exception as error:  # noqa: BLE001 - reported on the bucket
            found = unreadable(s3.TYPE, name, context.locations.get(name), error)
        self.progress(f"s3 {name}: 1 resource(s)")
        return [found]

    def gather(self, futures: list[Future]) -> None:
        for future in futures:
            self.resources.extend(future.result())

    def list_buckets(self) -> dict[str, Optional[str]]:
        try:
            return s3.list_buckets(self.clients, self.home)
        except Exception as error:  # noqa: BLE001 - recorded; the other services still run
            self._failed(s3.TYPE, None, error)
            self.progress(f"s3 list: failed ({describe_error(error)})")
            return {}

    def run(self) -> ScanResult:
        self.account = account = check_access(self.clients, self.home)
        tags = TagIndex(self.clients)
        context = s3.S3Context(home_region=self.home, account_id=account, keys=self.keys, tags=tags)
        shared = Shared(self.clients, account, self.keys, context, tags)
        listings = regional_listings()
        self.pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="luxguard-scan")
        with self.pool:
            # Phase 1: keys (everyone resolves against them) and the bucket inventory.
            key_jobs = [self.submit(listing, shared, r) for listing in listings if listing.resource_type in FIRST
                        for r in self.regions]
            pab_jobs = [self.pool.submit(s3.read_account_pab, self.clients, context)] if self.scope != "regional" else []
            listed = self.list_buckets() if self.scope != "regional" else {}
            context.locations.update({name: region for name, region in listed.items() if region})
            location_jobs = [self.pool.submit(s3.locate, self.clients, context, name)
                             for name, region in listed.items() if not region]
            for job in [*pab_jobs, *location_jobs]:
                job.result()
            self.gather(key_jobs)
            # Phase 2: everything else. The listings first, the account-wide ones (IAM: one long
            # chain of reads) before the regional ones: each listing reads its resources one after
            # the other, while the buckets are many short jobs that fill the workers around them
            # (submitted first, they kept every worker busy while the listings waited, then the
            # listings' chains ran out the scan on a few workers).
            jobs = [self.submit(listing, shared, self.home) for listing in global_listings()] \
                if self.scope != "regional" else []
            jobs += [self.submit(listing, shared, r) for r in self.regions for listing in listings
                     if listing.resource_type not in FIRST]
            jobs += [self.pool.submit(self._bucket, name, context) for name in listed]
            self.gather(jobs)
        for resource in self.resources:
            resource.account = resource.account or account
        return ScanResult(
            resources=sorted(self.resources, key=lambda res: (res.type, res.id)),
            api_calls=dict(sorted(self.clients.api_calls.items())),
            http_requests=dict(sorted(self.clients.http_requests.items())),
            regions=self.regions,
            account_id=account,
            failures=sorted(self.failures, key=lambda f: f.key),
        )


SCOPES = ("all", "regional", "global")


def listed_types(scope: str = "all") -> list[str]:
    """The resource types a scan of `scope` lists: regional listings, the global ones (S3, IAM), or both."""
    regional = [listing.resource_type for listing in regional_listings()]
    account_wide = [s3.TYPE, *(listing.resource_type for listing in global_listings())]
    return {"regional": regional, "global": account_wide, "all": [*regional, *account_wide]}[scope]


def collect(
    session: boto3.Session,
    regions: list[str],
    endpoint_url: Optional[str],
    max_workers: int = 8,
    progress: Optional[Progress] = None,
    scope: str = "all",
) -> ScanResult:
    """Every supported resource in `regions` (S3 buckets: all of the account's, once).

    `scope` splits one account's scan into units (organisation scans): "regional" leaves out the
    account-wide listings (S3's inventory, IAM), "global" is those alone (pass no regions).
    Raises LuxguardError before any work when the endpoint or the credentials do not work.
    `progress` is called from worker threads with one line per finished listing.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {SCOPES}")
    return _Scan(session, regions, endpoint_url, max_workers, progress, scope).run()
