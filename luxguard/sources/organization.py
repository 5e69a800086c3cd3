"""The accounts an organisation scan covers, and a session in each (c7n-org's accounts file,
AWS Organizations' ListAccounts, STS AssumeRole).

An account that cannot be listed or assumed is never skipped silently: `assume` raises
`AccountUnavailable`, which the scan turns into `error` findings for that account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from luxguard.core.datafiles import DATA_DIR, read_yaml, validate
from luxguard.core.errors import LuxguardError
from scanners.calls import error_code, error_message

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_SESSION_NAME = "luxguard-scan"
ACCOUNTS_SCHEMA = DATA_DIR / "accounts.schema.json"
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


@dataclass(frozen=True)
class Account:
    """One account to scan: how to get in, and where to look."""

    id: str
    name: str = ""
    role_arn: Optional[str] = None        # None: scan with the caller's own credentials
    endpoint_url: Optional[str] = None    # per-account endpoint (a private region's API)
    regions: Optional[tuple[str, ...]] = None  # None: the scan's --regions
    parents: tuple[str, ...] = ()          # OU ids from the root down, for filters and reports
    tags: tuple[tuple[str, str], ...] = ()
    external_id: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role_arn": self.role_arn, "endpoint_url": self.endpoint_url,
                "regions": list(self.regions) if self.regions is not None else None,
                "parents": list(self.parents), "tags": dict(self.tags), "external_id": self.external_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Account":
        regions = data.get("regions")
        return cls(id=str(data["id"]), name=str(data.get("name") or ""), role_arn=data.get("role_arn"),
                   endpoint_url=data.get("endpoint_url"),
                   regions=tuple(regions) if regions is not None else None,
                   parents=tuple(data.get("parents") or ()),
                   tags=tuple(sorted((str(k), str(v)) for k, v in (data.get("tags") or {}).items())),
                   external_id=data.get("external_id"))


class AccountUnavailable(Exception):
    """The account's role could not be assumed (or its credentials do not work)."""

    def __init__(self, account: Account, code: str, message: str):
        super().__init__(f"{account.id}: {code}: {message}")
        self.account, self.code, self.message = account, code, message


@dataclass(frozen=True)
class AccountFilter:
    """--ou and --account-tag: which accounts of the organisation to scan (all when empty)."""

    ous: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    def admits(self, account: Account) -> bool:
        if self.ous and not set(self.ous) & set(account.parents):
            return False
        return all(item in account.tags for item in self.tags)


def load_accounts_file(path: Path) -> list[Account]:
    """`--accounts FILE`: YAML or JSON, `accounts: [{id, role_arn?, endpoint_url?, regions?, name?}]`."""
    document = read_yaml(path)
    validate(document, ACCOUNTS_SCHEMA, str(path))
    accounts = [Account.from_dict(entry) for entry in document["accounts"]]
    ids = [a.id for a in accounts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise LuxguardError(f"{path}: account {duplicates[0]} is listed twice")
    return sorted(accounts, key=lambda a: a.id)


def _walk_ous(org: Any, parent_id: str, path: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(account id, OU path) for every account under `parent_id`, depth first."""
    for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id):
        for entry in page["Accounts"]:
            yield entry["Id"], path
    for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id):
        for unit in page["OrganizationalUnits"]:
            yield from _walk_ous(org, unit["Id"], path + (unit["Id"],))


@dataclass(frozen=True)
class Organization:
    """The organisation being scanned: its id (part of the trusted zone) and the accounts chosen."""

    id: str
    accounts: tuple[Account, ...]
    member_ids: frozenset[str]   # every account of the organisation, chosen or not (trusted zone)


def list_organization_accounts(session: boto3.Session, endpoint_url: Optional[str], role_name: str,
                               account_filter: AccountFilter = AccountFilter(),
                               external_id: Optional[str] = None) -> Organization:
    """Every ACTIVE account of the caller's organisation that the filter admits, with the role to
    assume in it (the management account itself is scanned with the caller's credentials)."""
    org = session.client("organizations", endpoint_url=endpoint_url, config=_RETRIES)
    sts = session.client("sts", endpoint_url=endpoint_url, config=_RETRIES)
    try:
        caller = sts.get_caller_identity()["Account"]
        org_id = org.describe_organization()["Organization"]["Id"]
        listed = [entry for page in org.get_paginator("list_accounts").paginate() for entry in page["Accounts"]]
        paths: dict[str, tuple[str, ...]] = {}
        if account_filter.ous:
            for root in org.list_roots()["Roots"]:
                paths.update(dict(_walk_ous(org, root["Id"], ())))
        tags: dict[str, tuple[tuple[str, str], ...]] = {}
        if account_filter.tags:
            for entry in listed:
                pages = org.get_paginator("list_tags_for_resource").paginate(ResourceId=entry["Id"])
                tags[entry["Id"]] = tuple(sorted((t["Key"], t["Value"]) for p in pages for t in p["Tags"]))
    except (ClientError, BotoCoreError) as error:
        code, message = error_code(error), error_message(error)
        raise LuxguardError(f"--organization: cannot list the organization's accounts ({code}: {message})") from None
    accounts = []
    for entry in listed:
        if entry.get("Status", "ACTIVE") != "ACTIVE":
            continue
        account_id = entry["Id"]
        role_arn = None if account_id == caller else f"arn:aws:iam::{account_id}:role/{role_name}"
        account = Account(id=account_id, name=entry.get("Name", ""), role_arn=role_arn, endpoint_url=endpoint_url,
                          parents=paths.get(account_id, ()), tags=tags.get(account_id, ()), external_id=external_id)
        if account_filter.admits(account):
            accounts.append(account)
    if not accounts:
        raise LuxguardError(f"--organization: no active account of {org_id} matches the --ou/--account-tag filters")
    return Organization(id=org_id, accounts=tuple(sorted(accounts, key=lambda a: a.id)),
                        member_ids=frozenset(entry["Id"] for entry in listed))


def assume(base: boto3.Session, account: Account, session_name: str = DEFAULT_SESSION_NAME,
           region: Optional[str] = None) -> boto3.Session:
    """A session acting in `account` (its role assumed), checked with GetCallerIdentity."""
    region = region or base.region_name
    if account.role_arn is None:
        return base
    sts = base.client("sts", region_name=region, endpoint_url=account.endpoint_url, config=_RETRIES)
    request: dict[str, Any] = {"RoleArn": account.role_arn, "RoleSessionName": session_name}
    if account.external_id:
        request["ExternalId"] = account.external_id
    try:
        credentials = sts.assume_role(**request)["Credentials"]
        session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                aws_secret_access_key=credentials["SecretAccessKey"],
                                aws_session_token=credentials["SessionToken"], region_name=region)
        actual = session.client("sts", endpoint_url=account.endpoint_url, config=_RETRIES).get_caller_identity()["Account"]
    except (ClientError, BotoCoreError, KeyError) as error:
        raise AccountUnavailable(account, error_code(error), error_message(error)) from None
    if actual != account.id:
        raise AccountUnavailable(account, "WrongAccount", f"assuming {account.role_arn} gave account {actual}")
    return session


def with_role(accounts: Iterable[Account], role_name: str, external_id: Optional[str]) -> list[Account]:
    """Accounts file entries without a role_arn take --role-name (and --external-id)."""
    out = []
    for account in accounts:
        role = account.role_arn or f"arn:aws:iam::{account.id}:role/{role_name}"
        out.append(replace(account, role_arn=role, external_id=account.external_id or external_id))
    return out


def describe(accounts: list[Account]) -> str:
    return json.dumps([a.to_dict() for a in accounts], sort_keys=True)


def organization_zone(session: boto3.Session, endpoint_url: Optional[str]) -> tuple[list[str], list[str]]:
    """(organization ids, member account ids) of the caller's organization, as far as it may see:
    a member account can describe its organization but not list its accounts; an account outside
    any organization gets ([], []). Never a failure: the trusted zone only grows from this."""
    org = session.client("organizations", endpoint_url=endpoint_url,
                         config=Config(retries={"mode": "standard", "max_attempts": 2}))
    try:
        org_id = org.describe_organization()["Organization"]["Id"]
    except (ClientError, BotoCoreError, KeyError):
        return [], []
    try:
        members = [entry["Id"] for page in org.get_paginator("list_accounts").paginate() for entry in page["Accounts"]]
    except (ClientError, BotoCoreError, KeyError):
        members = []
    return [org_id], sorted(members)


def accounts_under(ous: tuple[str, ...], accounts_file: Optional[Path], session: Optional[boto3.Session],
                   endpoint_url: Optional[str]) -> tuple[str, ...]:
    """The account ids under any of these OUs (`report --ou`): from an accounts file's `parents`,
    else asked of AWS Organizations; no account under them is an error, never an empty report."""
    if accounts_file is not None:
        accounts = [a for a in load_accounts_file(accounts_file) if AccountFilter(ous).admits(a)]
        if not accounts:
            raise LuxguardError(f"{accounts_file}: no account lists {' or '.join(ous)} among its parents")
    else:
        found = list_organization_accounts(session or boto3.Session(), endpoint_url, "unused", AccountFilter(ous))
        accounts = list(found.accounts)
    return tuple(sorted(a.id for a in accounts))
