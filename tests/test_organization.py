"""Organisation accounts: listed through Organizations on the local cloud, roles assumed into
member accounts (moto keeps one backend per account, so member resources are really apart)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from luxguard.core.errors import LuxguardError
from luxguard.sources.organization import (
    Account,
    AccountFilter,
    AccountUnavailable,
    assume,
    list_organization_accounts,
    load_accounts_file,
    with_role,
)
from tests.moto_cloud import ACCOUNT, EU


@pytest.fixture
def organization(fresh_cloud: str) -> dict:
    org = boto3.client("organizations", endpoint_url=fresh_cloud, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    prod = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    eu_ou = org.create_organizational_unit(ParentId=prod, Name="prod-eu")["OrganizationalUnit"]["Id"]
    made = {}
    for name, parent, env in (("billing", eu_ou, "prod"), ("web", prod, "prod"), ("sandbox", root, "dev")):
        status = org.create_account(Email=f"{name}@luxcloud.lu", AccountName=name,
                                    Tags=[{"Key": "env", "Value": env}])["CreateAccountStatus"]
        if parent != root:
            org.move_account(AccountId=status["AccountId"], SourceParentId=root, DestinationParentId=parent)
        made[name] = status["AccountId"]
    return {"endpoint": fresh_cloud, "accounts": made, "ous": {"prod": prod, "prod-eu": eu_ou}}


def session() -> boto3.Session:
    return boto3.Session(region_name="us-east-1")


def test_lists_every_active_account_with_the_role_to_assume(organization):
    found = list_organization_accounts(session(), organization["endpoint"], "AuditRole")
    accounts = found.accounts
    assert found.id.startswith("o-") and set(organization["accounts"].values()) < found.member_ids
    by_name = {a.name: a for a in accounts}
    assert sorted(by_name) == sorted(["billing", "web", "sandbox", *[a.name for a in accounts
                                                                      if a.id == ACCOUNT]])
    assert by_name["web"].role_arn == f"arn:aws:iam::{organization['accounts']['web']}:role/AuditRole"
    management = [a for a in accounts if a.id == ACCOUNT]
    assert management and management[0].role_arn is None  # the caller's own account: no role to assume
    assert [a.id for a in accounts] == sorted(a.id for a in accounts)


def test_filters_by_ou_including_nested_units_and_by_tag(organization):
    prod = list_organization_accounts(session(), organization["endpoint"], "R",
                                      AccountFilter(ous=(organization["ous"]["prod"],))).accounts
    assert sorted(a.name for a in prod) == ["billing", "web"]
    nested = [a for a in prod if a.name == "billing"][0]
    assert nested.parents == (organization["ous"]["prod"], organization["ous"]["prod-eu"])
    dev = list_organization_accounts(session(), organization["endpoint"], "R", AccountFilter(tags=(("env", "dev"),))).accounts
    assert [a.name for a in dev] == ["sandbox"]


def test_assumed_sessions_see_only_their_account(organization):
    endpoint = organization["endpoint"]
    billing = organization["accounts"]["billing"]
    target = Account(id=billing, role_arn=f"arn:aws:iam::{billing}:role/OrganizationAccountAccessRole",
                     endpoint_url=endpoint)
    member = assume(session(), target, region=EU)
    s3 = member.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="billing-invoices", CreateBucketConfiguration={"LocationConstraint": EU})
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["billing-invoices"]
    own = boto3.client("s3", endpoint_url=endpoint, region_name=EU)
    assert "billing-invoices" not in [b["Name"] for b in own.list_buckets()["Buckets"]]


def test_a_role_that_lands_in_another_account_is_refused(organization):
    web, billing = organization["accounts"]["web"], organization["accounts"]["billing"]
    wrong = Account(id=web, role_arn=f"arn:aws:iam::{billing}:role/OrganizationAccountAccessRole",
                    endpoint_url=organization["endpoint"])
    with pytest.raises(AccountUnavailable, match="WrongAccount"):
        assume(session(), wrong)


def test_an_unreachable_account_endpoint_is_unavailable_not_skipped(organization):
    web = organization["accounts"]["web"]
    target = Account(id=web, role_arn=f"arn:aws:iam::{web}:role/R", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(AccountUnavailable) as raised:
        assume(session(), target)
    assert raised.value.account == target and raised.value.code


def test_listing_refused_outside_an_organization_is_one_line(fresh_cloud):
    with pytest.raises(LuxguardError, match="cannot list the organization's accounts"):
        list_organization_accounts(session(), fresh_cloud, "R")


def test_a_filter_matching_nothing_is_an_error_not_an_empty_scan(organization):
    with pytest.raises(LuxguardError, match="no active account"):
        list_organization_accounts(session(), organization["endpoint"], "R", AccountFilter(tags=(("env", "qa"),)))


def test_accounts_file(tmp_path: Path):
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n"
                    "  - {id: '222222222222', regions: [lu-central-1]}\n"
                    "  - {id: '111111111111', role_arn: 'arn:aws:iam::111111111111:role/Audit', name: core}\n")
    accounts = with_role(load_accounts_file(path), "OrganizationAccountAccessRole", "xid-1")
    assert [(a.id, a.role_arn, a.regions, a.external_id) for a in accounts] == [
        ("111111111111", "arn:aws:iam::111111111111:role/Audit", None, "xid-1"),
        ("222222222222", "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", ("lu-central-1",), "xid-1"),
    ]


@pytest.mark.parametrize("text, problem", [
    ("accounts: []", "accounts"),
    ("accounts:\n  - {id: '12345'}", "id"),
    ("accounts:\n  - {id: '111111111111', role_arn: 'not-an-arn'}", "role_arn"),
    ("accounts:\n  - {id: '111111111111'}\n  - {id: '111111111111'}", "listed twice"),
    ("accounts:\n  - {id: '111111111111', colour: blue}", "colour"),
])
def test_bad_accounts_files_are_one_line(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    with pytest.raises(LuxguardError, match=problem) as raised:
        load_accounts_file(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_report_narrows_to_an_ou_asked_of_organizations_or_read_from_an_accounts_file(organization, tmp_path, capsys):
    """`report --ou`: the accounts under the OU (nested units included) scope the report."""
    from datetime import datetime, timezone

    from luxguard.core.model import Finding, Resource, Status
    from luxguard.sinks.history import HistoryStore
    from luxguard.sinks.outputs.json_format import finding_to_dict
    from tests.helpers import run_cli

    ids = organization["accounts"]
    findings = [Finding("LUX-RES-001", "residency", "critical", Status.FAIL,
                        Resource("AWS::S3::Bucket", f"{name}-data", region=EU, account=account), f"{name} abroad")
                for name, account in ids.items()]
    db = str(tmp_path / "history.db")
    HistoryStore(db).record_run("aws", "org", datetime.now(timezone.utc), findings, len(findings), {"failed": 3},
                                [finding_to_dict(f) for f in findings])
    code, out, err = run_cli(capsys, "report", "--db", db, "--format", "markdown", "--ou", organization["ous"]["prod"],
                             "--endpoint-url", organization["endpoint"])
    assert code == 0, err
    assert "billing-data" in out and "web-data" in out and "sandbox-data" not in out

    listed = tmp_path / "accounts.yaml"
    listed.write_text(f"accounts:\n  - {{id: '{ids['sandbox']}', parents: [ou-dev]}}\n"
                      f"  - {{id: '{ids['web']}', parents: [{organization['ous']['prod']}]}}\n")
    code, out, err = run_cli(capsys, "report", "--db", db, "--format", "markdown", "--ou", "ou-dev",
                             "--accounts", str(listed))
    assert code == 0, err
    assert "sandbox-data" in out and "web-data" not in out
    code, _, err = run_cli(capsys, "report", "--db", db, "--ou", "ou-nowhere", "--accounts", str(listed))
    assert code == 2 and "no account lists ou-nowhere among its parents" in err
