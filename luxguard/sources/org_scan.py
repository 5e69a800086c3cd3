"""`scan --organization` / `--accounts FILE`: many accounts, one report.

The coordinator (this module) splits the estate into work units, one per (account, region) plus
one per account for its global listings (S3's bucket inventory), hands them to an executor
(threads here, or Celery workers), and evaluates the rules once on everything that came back, so
the run is written to the history once, complete. A unit runs in the account it names, by
assuming its role; an account that cannot be assumed, or a unit that failed for good, becomes
listing failures, which the engine reports as `error` findings (fail closed).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Optional

import boto3

from luxguard.core.errors import LuxguardError
from luxguard.core.listing import ListingFailure
from luxguard.core.model import Resource
from luxguard.sources.executors import Executor, Unit, unit_key
from luxguard.sources.organization import DEFAULT_SESSION_NAME, Account, AccountUnavailable, assume

GLOBAL = None          # the region of an account's global unit
THROTTLING_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                    "SlowDown", "RequestThrottled", "RequestThrottledException"}
Progress = Callable[[str], None]


class Throttled(Exception):
    """A unit's listing was throttled past botocore's retries: run it again later. `result` is what
    the unit did read (the throttled listings among its failures): the answer once retries run out,
    so only the throttled types become `error`, not every type of the unit."""

    def __init__(self, message: str, result: dict[str, Any]):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class RetryPolicy:
    """How a throttled unit is retried: `retries` more runs, waiting 1, 2, 4... seconds, at most
    `max_backoff`. It travels in the unit, so a Celery worker retries as the coordinator was told."""

    retries: int
    max_backoff: float

    def delay(self, retry: int) -> float:
        return min(2.0 ** retry, self.max_backoff)

    def to_dict(self) -> dict[str, Any]:
        return {"retries": self.retries, "max_backoff": self.max_backoff}

    @classmethod
    def of(cls, unit: Unit, default: "RetryPolicy") -> "RetryPolicy":
        given = unit.get("retry")
        return cls(int(given["retries"]), float(given["max_backoff"])) if given else default


LOCAL_RETRY = RetryPolicy(retries=3, max_backoff=10)     # in-process: the scan waits, so retry briefly
CELERY_RETRY = RetryPolicy(retries=5, max_backoff=30)    # a worker takes other units while one waits


@dataclass
class OrgScanResult:
    resources: list[Resource]
    failures: list[ListingFailure]
    api_calls: dict[str, int]
    accounts: list[str]
    units: int


def base_session(profile: Optional[str] = None, region: Optional[str] = None) -> boto3.Session:
    """The caller's credentials (environment, profile or instance role), as every worker has them."""
    from scanners import open_session

    return open_session(profile, region or os.environ.get("AWS_DEFAULT_REGION") or "lu-central-1")


def plan_units(accounts: list[Account], regions: dict[str, list[str]], profile: Optional[str] = None,
               session_name: str = DEFAULT_SESSION_NAME, retry: Optional[RetryPolicy] = None) -> list[Unit]:
    """One unit per (account, region) and one global unit per account, sorted (without a retry
    policy, each executor retries throttled units its own default way)."""
    units: list[Unit] = []
    extra = {"retry": retry.to_dict()} if retry else {}
    for account in accounts:
        home = (regions[account.id] or [None])[0]
        units.append({"account": account.to_dict(), "region": GLOBAL, "listing": "global",
                      "listing_type": "AWS::S3::Bucket", "home": home, "profile": profile,
                      "session_name": session_name, **extra})
        for region in regions[account.id]:
            units.append({"account": account.to_dict(), "region": region, "listing": "regional",
                          "listing_type": "*", "home": region, "profile": profile,
                          "session_name": session_name, **extra})
    return sorted(units, key=unit_key)


def _failure_result(unit: Unit, resource_types: list[str], code: str, message: str) -> dict[str, Any]:
    account = unit["account"]["id"]
    return {"resources": [], "api_calls": {},
            "failures": [ListingFailure(t, unit.get("region"), account, code, message).to_dict()
                         for t in resource_types]}


def unit_types(unit: Unit) -> list[str]:
    """The types a unit lists (what a failed unit could not see)."""
    from scanners.runner import listed_types

    return listed_types("global" if unit.get("region") is GLOBAL else "regional")


def run_unit(unit: Unit) -> dict[str, Any]:
    """Run one unit where it is (a worker or a thread): assume, collect, return JSON-able results."""
    from scanners.runner import collect

    account = Account.from_dict(unit["account"])
    region = unit.get("region")
    try:
        session = assume(base_session(unit.get("profile"), unit.get("home")), account,
                         unit.get("session_name") or DEFAULT_SESSION_NAME, region=unit.get("home"))
        result = collect(session, [region] if region else [], account.endpoint_url,
                         max_workers=4, scope="global" if region is GLOBAL else "regional")
    except AccountUnavailable as error:
        return _failure_result(unit, unit_types(unit), f"AssumeRole {error.code}", error.message)
    except LuxguardError as error:   # the account's endpoint or credentials stopped working
        return _failure_result(unit, unit_types(unit), "Unreachable", str(error))
    for resource in result.resources:
        resource.account = account.id
    answer = {"resources": [r.to_dict() for r in result.resources],
              "failures": [f.to_dict() for f in result.failures],
              "api_calls": result.api_calls}
    throttled = [f for f in result.failures if f.code in THROTTLING_CODES]
    if throttled:
        raise Throttled(throttled[0].describe(), answer)
    return answer


def run_unit_with_backoff(unit: Unit) -> dict[str, Any]:
    """The in-process executor's retry of throttled units (Celery retries them itself)."""
    policy = RetryPolicy.of(unit, LOCAL_RETRY)
    for retry in range(policy.retries + 1):
        try:
            return run_unit(unit)
        except Throttled as error:
            if retry == policy.retries:
                return error.result   # retries spent: the throttled listings stay failures (`error`)
            time.sleep(policy.delay(retry))
    raise AssertionError("unreachable")


def account_regions(accounts: list[Account], resolve: Callable[[boto3.Session, Account], list[str]],
                    workers: int, profile: Optional[str] = None,
                    session_name: str = DEFAULT_SESSION_NAME) -> tuple[dict[str, list[str]], list[ListingFailure]]:
    """Each account's regions (its own, or the accounts file's); unassumable accounts fail here."""
    regions: dict[str, list[str]] = {}
    failures: list[ListingFailure] = []

    def one(account: Account) -> None:
        if account.regions is not None:
            regions[account.id] = list(account.regions)
            return
        try:
            session = assume(base_session(profile), account, session_name)
            regions[account.id] = resolve(session, account)
        except (AccountUnavailable, LuxguardError) as error:
            code = f"AssumeRole {error.code}" if isinstance(error, AccountUnavailable) else "Unreachable"
            message = error.message if isinstance(error, AccountUnavailable) else str(error)
            from scanners.runner import listed_types

            failures.extend(ListingFailure(t, None, account.id, code, message) for t in listed_types("all"))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, accounts))
    return regions, sorted(failures, key=lambda f: f.key)


def scan_accounts(accounts: list[Account], regions: dict[str, list[str]], executor: Executor,
                  progress: Progress = lambda _m: None, profile: Optional[str] = None,
                  session_name: str = DEFAULT_SESSION_NAME, retry: Optional[RetryPolicy] = None) -> OrgScanResult:
    """Every unit of every reachable account through `executor`, merged (a unit run twice counts once)."""
    reachable = [a for a in accounts if a.id in regions]
    units = plan_units(reachable, regions, profile, session_name, retry)
    results = executor.run(units, progress)
    resources: dict[tuple[str, str, str], Resource] = {}
    failures: dict[tuple[str, str, str], ListingFailure] = {}
    calls: dict[str, int] = {}
    for key in sorted(results):
        result = results[key]
        for data in result["resources"]:
            resource = Resource.from_dict(data)
            resources[(resource.account or "", resource.type, resource.id)] = resource
        for data in result["failures"]:
            failure = ListingFailure(**data)
            failures[failure.key] = failure
        for operation, count in result["api_calls"].items():
            calls[operation] = calls.get(operation, 0) + count
    return OrgScanResult(resources=[resources[k] for k in sorted(resources)],
                         failures=[failures[k] for k in sorted(failures)],
                         api_calls=dict(sorted(calls.items())), accounts=sorted(a.id for a in accounts),
                         units=len(units))
