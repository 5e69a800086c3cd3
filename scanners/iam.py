"""IAM, collected once per account (IAM is global): the password policy, the root user, and the
users, groups and roles with every policy they carry.

Calls per account, whatever the number of identities:
- GetAccountPasswordPolicy (NoSuchEntity: the account has none, which is a finding, not an error);
- GetAccountSummary (root access keys and MFA);
- GenerateCredentialReport (repeated while the report is being generated) and GetCredentialReport:
  console passwords, MFA and access-key dates of every user in one CSV;
- GetAccountAuthorizationDetails (paginated): users, groups, roles, their inline policies, the
  managed policies attached and those policies' default versions, so that no per-identity call is
  needed. Users, groups and roles are three listings of this one answer (asked once, see `Shared.once`).
"""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timezone
from typing import Any, Optional

from botocore.exceptions import ClientError

from luxguard.core.model import Resource, common_properties
from luxguard.resources import iam_password_policy
from luxguard.resources.iam_identity import GROUP_TYPE, ROLE_TYPE, USER_TYPE, set_data_reads

from scanners.calls import error_code, read_group, tag_dict
from scanners.context import Shared

PASSWORD_TYPE = iam_password_policy.TYPE
ROOT_TYPE = "AWS::IAM::RootUser"
ROOT_ID = "root"
REPORT_GROUPS = ("console_access", "mfa_enabled", "access_keys")   # what the credential report answers
REPORT_ATTEMPTS, REPORT_WAIT = 10, 1.0    # GenerateCredentialReport polls: at most ~10 s


def _client(shared: Shared, region: str) -> Any:
    return shared.clients.client("iam", region)


# --------------------------------------------------------------------------- password policy and root

def collect_password_policy(shared: Shared, region: str) -> list[Resource]:
    """The account's password policy; `present: false` when it has none (NoSuchEntity)."""
    resource = Resource(type=PASSWORD_TYPE, id=iam_password_policy.POLICY_ID, region=None)
    try:
        answer = _client(shared, region).get_account_password_policy()["PasswordPolicy"]
        values = iam_password_policy.policy_properties(answer, 1)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise   # a refused read hides the policy: the listing failed (an error per rule)
        values = iam_password_policy.absent()
    resource.properties = {**common_properties(iam_password_policy.POLICY_ID, None, {}), **values}
    return [resource]


def collect_root(shared: Shared, region: str) -> list[Resource]:
    """The root user: does it have access keys, is MFA on (GetAccountSummary)."""
    summary = _client(shared, region).get_account_summary()["SummaryMap"]
    resource = Resource(type=ROOT_TYPE, id=ROOT_ID, region=None,
                        arn=f"arn:aws:iam::{shared.account or ''}:root")
    resource.properties = {**common_properties(ROOT_ID, None, {}),
                           "access_keys_present": bool(summary.get("AccountAccessKeysPresent", 0)),
                           "mfa_enabled": bool(summary.get("AccountMFAEnabled", 0))}
    return [resource]


# --------------------------------------------------------------------------- credential report

def _report_rows(iam: Any) -> dict[str, dict[str, str]]:
    """user name -> its credential report row (the root row is GetAccountSummary's business)."""
    for _attempt in range(REPORT_ATTEMPTS):
        if iam.generate_credential_report().get("State") == "COMPLETE":
            break
        time.sleep(REPORT_WAIT)
    content = iam.get_credential_report()["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
    return {row["user"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("user") != "<root_account>"}


def _date(value: Optional[str]) -> Optional[datetime]:
    if not value or value in ("N/A", "not_supported", "no_information"):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _days(since: Optional[datetime], now: datetime) -> Optional[int]:
    return None if since is None else max(0, (now - since).days)


def access_keys(row: dict[str, str], now: datetime) -> list[dict[str, Any]]:
    """The user's access keys (the report has two slots): active, days since rotation, days unused
    (since the last use, or since creation for a key never used)."""
    keys = []
    for slot in ("1", "2"):
        rotated = _date(row.get(f"access_key_{slot}_last_rotated"))
        if rotated is None:
            continue   # no key in this slot
        used = _date(row.get(f"access_key_{slot}_last_used_date"))
        keys.append({"id": f"access_key_{slot}", "active": row.get(f"access_key_{slot}_active") == "true",
                     "age_days": _days(rotated, now), "unused_days": _days(used or rotated, now)})
    return keys


def report_properties(row: Optional[dict[str, str]], now: datetime) -> dict[str, Any]:
    """console_access / mfa_enabled / access_keys of one user (a user created after the report
    was generated has no row: no password, no MFA, no key yet)."""
    row = row or {}
    return {"console_access": row.get("password_enabled") == "true", "mfa_enabled": row.get("mfa_active") == "true",
            "access_keys": access_keys(row, now)}


# --------------------------------------------------------------------------- authorization details

def authorization_details(shared: Shared, region: str) -> dict[str, list]:
    """Every page of GetAccountAuthorizationDetails, joined (asked once per scan)."""
    def read() -> dict[str, list]:
        joined: dict[str, list] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        for page in _client(shared, region).get_paginator("get_account_authorization_details").paginate():
            for key in joined:
                joined[key].extend(page.get(key) or [])
        return joined
    return shared.once("iam.GetAccountAuthorizationDetails", read)


def _default_documents(details: dict[str, list]) -> dict[str, Any]:
    """Managed policy ARN -> its default version's document (customer and AWS managed alike)."""
    documents = {}
    for policy in details["Policies"]:
        default = next((v for v in policy.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")), None)
        documents[policy["Arn"]] = default.get("Document") if default else None
    return documents


def _inline(entries: list[dict], name_key: str) -> list[tuple[str, Any]]:
    return [(f"inline {e.get(name_key)}", e.get("PolicyDocument")) for e in entries or []]


def _attached(entries: list[dict], documents: dict[str, Any]) -> list[tuple[str, Any]]:
    """Attached managed policies; one the answer does not carry is unreadable (None), never empty."""
    return [(str(e.get("PolicyArn")), documents.get(str(e.get("PolicyArn")))) for e in entries or []]


def _identity(kind: str, entry: dict, name_key: str, tags: dict[str, str],
              documents: list[tuple[str, Any]]) -> Resource:
    name = str(entry[name_key])
    resource = Resource(type=kind, id=name, region=None, arn=entry.get("Arn"))
    resource.properties = common_properties(name, None, tags)
    set_data_reads(resource, documents)
    return resource


def _group_documents(details: dict[str, list], documents: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    return {str(g["GroupName"]): [*_inline(g.get("GroupPolicyList"), "PolicyName"),
                                  *_attached(g.get("AttachedManagedPolicies"), documents)]
            for g in details["GroupDetailList"]}


def collect_users(shared: Shared, region: str) -> list[Resource]:
    """Users: credentials from the credential report, policies (own, attached, their groups')."""
    details = authorization_details(shared, region)
    documents = _default_documents(details)
    groups = _group_documents(details, documents)
    users = []
    for entry in details["UserDetailList"]:
        own = [*_inline(entry.get("UserPolicyList"), "PolicyName"),
               *_attached(entry.get("AttachedManagedPolicies"), documents)]
        inherited = [(f"group {g}: {name}", doc) for g in sorted(entry.get("GroupList") or [])
                     for name, doc in groups.get(str(g), [])]
        users.append(_identity(USER_TYPE, entry, "UserName", tag_dict(entry.get("Tags")), [*own, *inherited]))
    if not users:
        return users
    now = datetime.now(timezone.utc)
    probe = Resource(type=USER_TYPE, id="*")
    rows: Any = read_group(probe, "console_access", lambda: _report_rows(_client(shared, region)))
    for user in users:
        if probe.collection_errors:
            user.collection_errors.update({g: probe.collection_errors["console_access"] for g in REPORT_GROUPS})
        else:
            user.properties.update(report_properties(rows.get(user.id), now))
    return users


def collect_groups(shared: Shared, region: str) -> list[Resource]:
    details = authorization_details(shared, region)
    groups = _group_documents(details, _default_documents(details))
    return [_identity(GROUP_TYPE, entry, "GroupName", {}, groups[str(entry["GroupName"])])
            for entry in details["GroupDetailList"]]


def collect_roles(shared: Shared, region: str) -> list[Resource]:
    details = authorization_details(shared, region)
    documents = _default_documents(details)
    return [_identity(ROLE_TYPE, entry, "RoleName", tag_dict(entry.get("Tags")),
                      [*_inline(entry.get("RolePolicyList"), "PolicyName"),
                       *_attached(entry.get("AttachedManagedPolicies"), documents)])
            for entry in details["RoleDetailList"]]

