"""Run every collector over a live account: KMS first (the others ask it about keys), then
buckets, instances, tables, trails in parallel on one bounded thread pool."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional

import boto3

from luxguard.core.model import Resource

from scanners import cloudtrail, dynamodb, ec2, kms, rds, s3
from scanners.access import check_access
from scanners.calls import describe_error
from scanners.clients import ClientFactory
from scanners.keys import KeyResolver

Progress = Callable[[str], None]


@dataclass
class ScanResult:
    """What a scan found and what it cost.

    api_calls: logical API calls per 'service.Operation' (botocore `before-call`), one per
    request the collectors made, whatever botocore did to get an answer.
    http_requests: HTTP attempts per operation (botocore `before-send`); retries are the
    difference between the two.
    errors: failures of a whole listing (no resource to attach them to), keyed
    '<service> <region>' -> '<ErrorCode>: <message>'; per-resource failures are in
    Resource.collection_errors instead.
    """

    resources: list[Resource] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    http_requests: dict[str, int] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)
    account_id: Optional[str] = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def total_api_calls(self) -> int:
        return sum(self.api_calls.values())


class _Scan:
    """One scan's shared state: clients, key index, S3 inventory, results."""

    def __init__(self, session: boto3.Session, regions: list[str], endpoint_url: Optional[str],
                 max_workers: int, progress: Optional[Progress]):
        self.regions = list(regions)
        self.clients = ClientFactory(session, endpoint_url, max_workers)
        self.home = session.region_name or (self.regions[0] if self.regions else "us-east-1")
        self.keys = KeyResolver(self.clients)
        self.progress = progress or (lambda _message: None)
        self.max_workers = max_workers
        self.pool: ThreadPoolExecutor
        self.resources: list[Resource] = []
        self.errors: dict[str, str] = {}

    def submit(self, label: str, job: Callable[[], list[Resource]]) -> Future:
        return self.pool.submit(self._guarded, label, job)

    def _guarded(self, label: str, job: Callable[[], list[Resource]]) -> list[Resource]:
        try:
            found = job()
        except Exception as error:  # noqa: BLE001 - one listing failing must not stop the scan
            self.errors[label] = describe_error(error)
            self.progress(f"{label}: failed ({self.errors[label]})")
            return []
        self.progress(f"{label}: {len(found)} resource(s)")
        return found

    def gather(self, futures: list[Future]) -> None:
        for future in futures:
            self.resources.extend(future.result())

    def list_buckets(self) -> dict[str, Optional[str]]:
        try:
            return s3.list_buckets(self.clients, self.home)
        except Exception as error:  # noqa: BLE001 - recorded; the other services still run
            self.errors["s3 list"] = describe_error(error)
            return {}

    def run(self) -> ScanResult:
        account = check_access(self.clients, self.home)
        context = s3.S3Context(home_region=self.home, account_id=account, keys=self.keys)
        self.pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="luxguard-scan")
        with self.pool:
            # Phase 1: keys (everyone resolves against them) and the bucket inventory.
            key_jobs = [self.submit(f"kms {r}", lambda r=r: kms.collect_keys(self.clients, r, self.keys))
                        for r in self.regions]
            pab_job = self.pool.submit(s3.read_account_pab, self.clients, context)
            listed = self.list_buckets()
            context.locations.update({name: region for name, region in listed.items() if region})
            location_jobs = [self.pool.submit(s3.locate, self.clients, context, name)
                             for name, region in listed.items() if not region]
            for job in [pab_job, *location_jobs]:
                job.result()
            self.gather(key_jobs)
            # Phase 2: everything else.
            jobs = [self.submit(f"s3 {name}", lambda n=name: [s3.collect_bucket(self.clients, n, context)])
                    for name in listed]
            for r in self.regions:
                jobs += [
                    self.submit(f"ec2 security groups {r}",
                                lambda r=r: ec2.collect_security_groups(self.clients, r, account)),
                    self.submit(f"ec2 volumes {r}",
                                lambda r=r: ec2.collect_volumes(self.clients, r, account, self.keys)),
                    self.submit(f"ec2 snapshots {r}",
                                lambda r=r: ec2.collect_snapshots(self.clients, r, account, self.keys)),
                    self.submit(f"ec2 ebs default {r}", lambda r=r: ec2.collect_ebs_default(self.clients, r)),
                    self.submit(f"rds {r}", lambda r=r: rds.collect_db_instances(self.clients, r, self.keys)),
                    self.submit(f"dynamodb {r}",
                                lambda r=r: dynamodb.collect_tables(self.clients, r, account, self.keys)),
                    self.submit(f"cloudtrail {r}", lambda r=r: cloudtrail.collect_trails(self.clients, r, context)),
                ]
            self.gather(jobs)
        return ScanResult(
            resources=sorted(self.resources, key=lambda res: (res.type, res.id)),
            api_calls=dict(sorted(self.clients.api_calls.items())),
            http_requests=dict(sorted(self.clients.http_requests.items())),
            regions=self.regions,
            account_id=account,
            errors=dict(sorted(self.errors.items())),
        )


def collect(
    session: boto3.Session,
    regions: list[str],
    endpoint_url: Optional[str],
    max_workers: int = 8,
    progress: Optional[Progress] = None,
) -> ScanResult:
    """Every supported resource in `regions` (S3 buckets: all of the account's, once).

    Raises LuxguardError before any work when the endpoint or the credentials do not work.
    `progress` is called from worker threads with one line per finished listing.
    """
    return _Scan(session, regions, endpoint_url, max_workers, progress).run()
