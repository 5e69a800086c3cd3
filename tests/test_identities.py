"""Identities, live against the local cloud: the password policy, console users without MFA, root
access keys, old or unused access keys and need to know, in a compliant and a violating account;
check = scan for what code declares; a refused IAM call is an `error` per rule, never a pass."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from luxguard.sandbox.provision import provision_capture
from luxguard.sources.pulumi_capture import capture_program
from scanners import collect
from tests.fault_proxy import FaultProxy
from tests.helpers import write_program
from tests.moto_cloud import ACCOUNT, LU, client

IAM_TYPES = {"AWS::IAM::AccountPasswordPolicy", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role",
             "AWS::IAM::RootUser"}
IAM_RULES = {"LUX-ACC-013", "LUX-ACC-014", "LUX-ACC-015", "LUX-ACC-016", "LUX-ACC-017"}
STRONG = dict(MinimumPasswordLength=14, RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
              RequireNumbers=True, RequireSymbols=True, PasswordReusePrevention=24, MaxPasswordAge=90)


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _read(actions, resource="*", condition=None) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


TRUST = _document({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}})


def _backend():
    from moto.iam.models import iam_backends

    return iam_backends[ACCOUNT]["aws"]


def _with_mfa(iam, user: str) -> None:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=user, SerialNumber=device, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")


def _seed_compliant(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    iam.update_account_password_policy(**STRONG)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Long-Enough-Passw0rd!")
    _with_mfa(iam, "alice")
    iam.create_user(UserName="deployer")
    iam.create_access_key(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="scoped", PolicyDocument=_document(
        _read("s3:GetObject", "arn:aws:s3:::customer-data/*", {"StringEquals": {"aws:SourceVpce": "vpce-1"}})))
    iam.create_role(RoleName="assets", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="assets", PolicyName="read", PolicyDocument=_document(
        _read("s3:GetObject", "arn:aws:s3:::public-assets/*")))
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="customer-data", CreateBucketConfiguration={"LocationConstraint": LU})
    s3.put_bucket_tagging(Bucket="customer-data", Tagging={"TagSet": [{"Key": "data-classification", "Value": "contact"}]})


def _seed_violating(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Long-Enough-Passw0rd!")
    iam.create_user(UserName="old-key")
    iam.create_access_key(UserName="old-key")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="customers", PolicyDocument=_document(
        _read(["s3:Get*"], "arn:aws:s3:::customer-data/*")))
    managed = iam.create_policy(PolicyName="everything", PolicyDocument=_document(_read("*")))["Policy"]["Arn"]
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=managed)
    iam.create_user(UserName="carol")
    iam.add_user_to_group(GroupName="admins", UserName="carol")
    iam.create_role(RoleName="batch", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="batch", PolicyName="tables", PolicyDocument=_document(_read(["dynamodb:*"])))
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=TRUST)
    # a managed policy is judged by its default version (v2 here), read from the account
    versioned = iam.create_policy(PolicyName="ops-read", PolicyDocument=_document(
        _read("s3:GetObject", "arn:aws:s3:::public-assets/*")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=versioned, PolicyDocument=_document(_read("kms:Decrypt")), SetAsDefault=True)
    iam.attach_role_policy(RoleName="ops", PolicyArn=versioned)
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="customer-data", CreateBucketConfiguration={"LocationConstraint": LU})
    s3.put_bucket_tagging(Bucket="customer-data", Tagging={"TagSet": [{"Key": "data-classification", "Value": "contact"}]})
    backend = _backend()
    backend.users["old-key"].access_keys[0].create_date = datetime.now(timezone.utc) - timedelta(days=120)
    backend.account_summary._account_access_keys_present = 1


def _scan(endpoint: str):
    return collect(boto3.Session(region_name=LU), [LU], endpoint)


def _verdicts(result) -> dict[tuple[str, str, str], str]:
    settings = Settings()
    report = evaluate(settings.engine(), settings, result.resources, "aws", failures=result.failures)
    return {(f.rule_id, f.resource.type, f.resource.id): f.status.value
            for f in report.findings if f.rule_id in IAM_RULES}


def test_a_compliant_account_passes_every_identity_rule(fresh_cloud):
    _seed_compliant(fresh_cloud)
    result = _scan(fresh_cloud)
    verdicts = _verdicts(result)
    assert verdicts == {
        ("LUX-ACC-013", "AWS::IAM::AccountPasswordPolicy", "account-password-policy"): "pass",
        ("LUX-ACC-014", "AWS::IAM::User", "alice"): "pass", ("LUX-ACC-014", "AWS::IAM::User", "deployer"): "pass",
        ("LUX-ACC-015", "AWS::IAM::RootUser", "root"): "pass",
        ("LUX-ACC-016", "AWS::IAM::User", "alice"): "pass", ("LUX-ACC-016", "AWS::IAM::User", "deployer"): "pass",
        ("LUX-ACC-017", "AWS::IAM::User", "alice"): "pass", ("LUX-ACC-017", "AWS::IAM::User", "deployer"): "pass",
        ("LUX-ACC-017", "AWS::IAM::Role", "assets"): "pass",
    }
    users = {r.id: r for r in result.resources if r.type == "AWS::IAM::User"}
    assert users["alice"].properties["console_access"] and users["alice"].properties["mfa_enabled"]
    assert [k["active"] for k in users["deployer"].properties["access_keys"]] == [True]
    # IAM is global: listed once, whatever the regions
    assert result.api_calls["iam.GetAccountAuthorizationDetails"] == 1
    assert result.api_calls["iam.GetAccountPasswordPolicy"] == result.api_calls["iam.GetAccountSummary"] == 1


def test_a_violating_account_fails_each_identity_rule(fresh_cloud):
    _seed_violating(fresh_cloud)
    result = _scan(fresh_cloud)
    failing = {(rule, rid) for (rule, _t, rid), status in _verdicts(result).items() if status == "fail"}
    assert failing == {
        ("LUX-ACC-013", "account-password-policy"), ("LUX-ACC-014", "bob"), ("LUX-ACC-015", "root"),
        ("LUX-ACC-016", "old-key"),
        ("LUX-ACC-017", "reader"),     # s3:Get* on the objects of a personal-data bucket
        ("LUX-ACC-017", "admins"),     # '*' through a customer managed policy
        ("LUX-ACC-017", "carol"),      # ... inherited from the group
        ("LUX-ACC-017", "batch"),      # dynamodb:* on '*'
        ("LUX-ACC-017", "ops"),        # kms:Decrypt on '*' in the default version of a managed policy
    }
    users = {r.id: r for r in result.resources if r.type == "AWS::IAM::User"}
    assert users["old-key"].properties["access_keys"][0]["age_days"] >= 120
    reads = users["reader"].properties["access"]["personal_data_reads"]
    assert reads == ["s3:GetObject, s3:GetObjectVersion on arn:aws:s3:::customer-data/* (inline customers): customer-data"]


def test_no_password_policy_at_all_fails(fresh_cloud):
    result = _scan(fresh_cloud)
    [policy] = [r for r in result.resources if r.type == "AWS::IAM::AccountPasswordPolicy"]
    assert policy.properties["present"] is False
    assert _verdicts(result)[("LUX-ACC-013", "AWS::IAM::AccountPasswordPolicy", "account-password-policy")] == "fail"


@pytest.mark.parametrize("operation,types", [
    ("GetAccountAuthorizationDetails", {"AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"}),
    ("GetAccountPasswordPolicy", {"AWS::IAM::AccountPasswordPolicy"}),
    ("GetAccountSummary", {"AWS::IAM::RootUser"}),
])
def test_a_refused_iam_listing_is_an_error_per_rule(fresh_cloud, operation, types, monkeypatch):
    import scanners.clients

    monkeypatch.setattr(scanners.clients, "MAX_ATTEMPTS", 0)
    _seed_violating(fresh_cloud)
    with FaultProxy(fresh_cloud) as proxy:
        proxy.inject("denied", {("iam", operation)})
        result = _scan(proxy.url)
    assert {(f.resource_type, f.region) for f in result.failures} == {(t, None) for t in types}
    verdicts = _verdicts(result)
    errors = {(rule, rtype) for (rule, rtype, rid), status in verdicts.items() if status == "error" and rid == "*"}
    expected = {(rule, rtype) for rule, rtype in {
        ("LUX-ACC-013", "AWS::IAM::AccountPasswordPolicy"), ("LUX-ACC-014", "AWS::IAM::User"),
        ("LUX-ACC-015", "AWS::IAM::RootUser"), ("LUX-ACC-016", "AWS::IAM::User"), ("LUX-ACC-017", "AWS::IAM::User"),
        ("LUX-ACC-017", "AWS::IAM::Group"), ("LUX-ACC-017", "AWS::IAM::Role")} if rtype in types}
    assert errors == expected
    assert not any(rtype in types and status == "pass" for (_r, rtype, _i), status in verdicts.items())


def test_a_refused_credential_report_makes_user_credentials_errors(fresh_cloud, monkeypatch):
    import scanners.clients

    monkeypatch.setattr(scanners.clients, "MAX_ATTEMPTS", 0)
    _seed_compliant(fresh_cloud)
    with FaultProxy(fresh_cloud) as proxy:
        proxy.inject("denied", {("iam", "GetCredentialReport")})
        result = _scan(proxy.url)
    verdicts = _verdicts(result)
    assert verdicts[("LUX-ACC-014", "AWS::IAM::User", "alice")] == "error"
    assert verdicts[("LUX-ACC-016", "AWS::IAM::User", "deployer")] == "error"
    assert verdicts[("LUX-ACC-017", "AWS::IAM::User", "deployer")] == "pass"   # policies were read


PROGRAM = """
t.password_policy(minimum_password_length=10)
t.user(name='eq-console', console=True)
t.user(name='eq-keys', keys=1)
t.bucket(name='eq-customers')
t.reader(name='eq-reader', resource='arn:aws:s3:::eq-customers/*')
t.reader(name='eq-scoped', resource='arn:aws:s3:::eq-customers/*', condition={'Bool': {'aws:MultiFactorAuthPresent': 'true'}})
"""


def test_check_and_scan_agree_on_identities(fresh_cloud, tmp_path):
    capture = capture_program(write_program(tmp_path / "p", PROGRAM), "test")
    provision_capture(capture, fresh_cloud)
    settings = Settings()
    planned = {k: v for k, v in _plain(check_capture(capture, settings)).items() if k[1] in IAM_TYPES}
    live = {k: v for k, v in _verdicts(_scan(fresh_cloud)).items() if k[1] in IAM_TYPES and k[1] != "AWS::IAM::RootUser"}
    assert planned == live
    assert {(rule, rid) for (rule, _t, rid), status in planned.items() if status == "fail"} == {
        ("LUX-ACC-013", "account-password-policy"), ("LUX-ACC-014", "eq-console"), ("LUX-ACC-017", "eq-reader")}


def _plain(report) -> dict[tuple[str, str, str], str]:
    return {(f.rule_id, f.resource.type, f.resource.id): f.status.value for f in report.findings if f.rule_id in IAM_RULES}


def test_drift_finds_a_password_policy_weakened_or_deleted_by_hand(capsys, fresh_cloud, tmp_path):
    from tests.helpers import run_cli

    capture = capture_program(write_program(tmp_path / "p", "t.password_policy()\nt.user(name='d-user')"), "test")
    state = provision_capture(capture, fresh_cloud).write_state(tmp_path / "state.json")

    def drift() -> set[tuple]:
        code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", fresh_cloud, "--format", "json",
                                 "--no-history")
        assert code in (0, 1), err
        return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"))
                for f in json.loads(out)["findings"] if f["status"] == "fail"}

    assert drift() == set()
    iam = client(fresh_cloud, "iam")
    iam.update_account_password_policy(**{**STRONG, "MinimumPasswordLength": 8, "RequireSymbols": False})
    assert drift() == {("DRIFT-IAM-PASSWORD-POLICY", "account-password-policy", "minimum_length"),
                       ("DRIFT-IAM-PASSWORD-POLICY", "account-password-policy", "require_symbols")}
    iam.delete_account_password_policy()
    assert ("DRIFT-IAM-PASSWORD-POLICY", "account-password-policy", "present") in drift()


MANAGED = """
import json
import pulumi_aws as aws
trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
for name, arn in [("basic", "service-role/AWSLambdaBasicExecutionRole"), ("s3-reader", "AmazonS3ReadOnlyAccess"),
                  ("ddb-admin", "AmazonDynamoDBFullAccess")]:
    role = aws.iam.Role(name, assume_role_policy=trust)
    aws.iam.RolePolicyAttachment(f"{name}-policy", role=role.name, policy_arn=f"arn:aws:iam::aws:policy/{arn}")
"""


def test_well_known_aws_managed_policies_are_judged_by_their_document_in_check(tmp_path):
    """Programs attach AWS managed policies by ARN: the common ones are known by content (their
    published documents), any other stays undecided, never a pass."""
    capture = capture_program(write_program(tmp_path / "p", MANAGED), "test")
    report = check_capture(capture, Settings())
    need_to_know = {f.resource.id: f.status.value for f in report.findings if f.rule_id == "LUX-ACC-017"}
    assert need_to_know == {"basic": "pass", "s3-reader": "fail", "ddb-admin": "error"}
