"""ECR repositories: collected live from the local cloud (region, encryption key, repository
policy, the registry's replication), the same verdicts from `check` and `scan`, an approved
processor's pull grant and an approved copy abroad waived, drift when changed by hand, and a
refused GetRepositoryPolicy or DescribeRegistry never a pass."""

from __future__ import annotations

import json

import boto3
import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from scanners import collect
from tests.helpers import deploy, run_cli, scan_refusing, scan_with_approvals
from tests.moto_cloud import EU, LU, client

REPOSITORY = "AWS::ECR::Repository"
PROCESSOR = "222233334444"

PROGRAM = f"""
t.repository(name='repo-ok')
t.repository(name='repo-aes', encryption='AES256')
t.repository(name='repo-aws-key', cmk=False)
t.repository(name='repo-ireland', region='eu-west-1', key_region='eu-west-1')
t.repository(name='repo-own-puller', policy='own_account')
t.repository(name='repo-foreign-puller', policy='foreign_account')
t.repository(name='repo-processor', policy='{PROCESSOR}')
t.repository(name='repo-unclassified', classification=None)
t.repository(name='mirror-orders')
t.repository(name='mirror-billing')
# the local cloud takes one replication rule: the mirrors go to Ireland and to the processor's registry
t.aws.ecr.ReplicationConfiguration('registry-replication', replication_configuration={{'rules': [
    {{'destinations': [{{'region': 'eu-west-1', 'registry_id': t.ACCOUNT}},
                      {{'region': 'lu-central-1', 'registry_id': '{PROCESSOR}'}}],
     'repository_filters': [{{'filter': 'mirror-', 'filter_type': 'PREFIX_MATCH'}}]}}]}}, opts=t.opts())
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-PAYROLL
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [repo-processor, mirror-orders]}}
    document: LC-DPA-2026-031
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
  - id: APR-2026-MIRROR
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{countries: [IE]}}
    scope: {{resource_ids: [mirror-orders]}}
    document: LC-DPA-2026-032
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def scan(endpoint: str, regions=(LU, EU)):
    return collect(boto3.Session(region_name=LU), list(regions), endpoint)


def verdicts(report) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.resource.id): f.status.value for f in report.findings if f.resource.type == REPOSITORY}


def test_collected_properties_and_calls(deployed):
    _, _, endpoint = deployed
    result = scan(endpoint)
    assert result.failures == []
    found = {r.id: r for r in result.resources if r.type == REPOSITORY}
    assert sorted(found) == ["mirror-billing", "mirror-orders", "repo-aes", "repo-aws-key", "repo-foreign-puller",
                             "repo-ireland", "repo-ok", "repo-own-puller", "repo-processor", "repo-unclassified"]
    ok = found["repo-ok"]
    assert ok.arn == f"arn:aws:ecr:{LU}:123456789012:repository/repo-ok"
    assert ok.properties["customer_managed_key"] is True and ok.properties["kms_key_region"] == LU
    assert ok.properties["classification"] == ["contact"] and ok.properties["policy"] == {"grants": []}
    assert ok.properties["replica_regions"] == []
    assert found["repo-aes"].properties["kms_key_id"] is None
    assert found["repo-aes"].properties["customer_managed_key"] is False
    assert found["repo-aws-key"].properties["kms_key_id"] == "alias/aws/ecr"
    assert found["repo-ireland"].region == EU
    assert found["repo-unclassified"].properties["classification"] == []
    assert found["mirror-orders"].properties["replica_regions"] == [EU, LU]
    assert sorted(p for g in found["mirror-orders"].properties["sharing"]["grants"] for p in g["principals"]) == [
        "123456789012", PROCESSOR]
    [grant] = found["repo-foreign-puller"].properties["policy"]["grants"]
    assert "999999999999" in json.dumps(grant) and "ecr:BatchGetImage" in json.dumps(grant)
    calls = result.api_calls
    # one listing and one registry read per region; a policy and a tag read per repository
    assert calls["ecr.DescribeRepositories"] == 2 and calls["ecr.DescribeRegistry"] == 2
    assert calls["ecr.GetRepositoryPolicy"] == len(found) and calls["ecr.ListTagsForResource"] == len(found)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts(check_capture(capture, settings))
    live = verdicts(evaluate(settings.engine(), settings, [r for r in scan(endpoint).resources
                                                           if r.type == REPOSITORY], "aws"))
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-019", "repo-aes"), ("LUX-ENC-019", "repo-aws-key"),
        ("LUX-RES-001", "repo-ireland"), ("LUX-RES-004", "repo-ireland"),
        ("LUX-ACC-011", "repo-foreign-puller"), ("LUX-ACC-011", "repo-processor"),
        ("LUX-CLS-001", "repo-unclassified"),
        ("LUX-RES-009", "mirror-orders"), ("LUX-RES-009", "mirror-billing"),
        ("LUX-ACC-025", "mirror-orders"), ("LUX-ACC-025", "mirror-billing")}


def test_approvals_waive_a_processor_and_a_copy_abroad(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = [f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
                if f["resource"]["type"] == REPOSITORY]
    access = {f["resource"]["id"]: f for f in findings if f["rule_id"] == "LUX-ACC-011"}
    assert access["repo-processor"]["status"] == "waived" and "APR-2026-PAYROLL" in json.dumps(access["repo-processor"])
    assert access["repo-foreign-puller"]["status"] == "fail" and "999999999999" in access["repo-foreign-puller"]["message"]
    assert access["repo-own-puller"]["status"] == "pass"
    copies = {f["resource"]["id"]: f["status"] for f in findings if f["rule_id"] == "LUX-RES-009"}
    assert copies == {"mirror-orders": "waived", "mirror-billing": "fail"}
    # replication into the processor's registry: approved for the orders mirror only
    shared = {f["resource"]["id"]: f for f in findings if f["rule_id"] == "LUX-ACC-025"}
    assert shared["mirror-orders"]["status"] == "waived" and shared["repo-ok"]["status"] == "pass"
    assert shared["mirror-billing"]["status"] == "fail" and PROCESSOR in shared["mirror-billing"]["message"]


def test_drift_when_repositories_are_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")

    def drifted() -> set[tuple]:
        code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                                 "--no-history")
        assert code in (0, 1), err
        return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property") or f["drift"].get("kind"))
                for f in json.loads(out)["findings"] if f["status"] == "fail" and f["resource"]["type"] == REPOSITORY}

    assert drifted() == set()
    ecr = client(endpoint, "ecr", LU)
    ecr.untag_resource(resourceArn=f"arn:aws:ecr:{LU}:123456789012:repository/repo-ok",
                       tagKeys=["data-classification"])
    ecr.delete_repository(repositoryName="repo-aes")
    ecr.create_repository(repositoryName="hand-made")
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": "us-east-1", "registryId": "123456789012"}],
        "repositoryFilters": [{"filter": "repo-own", "filterType": "PREFIX_MATCH"}]}]})
    assert drifted() == {("DRIFT-CLASSIFICATION", "repo-ok", "classification"), ("DRIFT-MISSING", "repo-aes", "missing"),
                         ("DRIFT-UNMANAGED", "hand-made", "unmanaged"),
                         ("DRIFT-ECR-REPLICATION", "repo-own-puller", "replica_regions"),
                         ("DRIFT-ECR-REPLICATION", "mirror-orders", "replica_regions"),
                         ("DRIFT-ECR-REPLICATION", "mirror-billing", "replica_regions"),
                         # the processor's registry no longer receives the mirrors
                         ("DRIFT-ECR-REPLICATION", "mirror-orders", "sharing.grants"),
                         ("DRIFT-ECR-REPLICATION", "mirror-billing", "sharing.grants")}


def test_a_refused_policy_read_is_an_error_for_the_access_rule_only(capsys, deployed):
    _, _, endpoint = deployed
    repositories = [f for f in scan_refusing(capsys, endpoint, LU, "ecr", "GetRepositoryPolicy")
                    if f["resource"]["type"] == REPOSITORY]
    access = [f for f in repositories if f["rule_id"] == "LUX-ACC-011"]
    assert access and {f["status"] for f in access} == {"error"}
    assert all("AccessDenied" in f["message"] for f in access)
    assert {(f["rule_id"], f["resource"]["id"], f["status"]) for f in repositories if f["rule_id"] == "LUX-ENC-019"} >= {
        ("LUX-ENC-019", "repo-aes", "fail"), ("LUX-ENC-019", "repo-ok", "pass")}


def test_a_refused_registry_read_is_an_error_for_the_replication_rule(capsys, deployed):
    _, _, endpoint = deployed
    repositories = [f for f in scan_refusing(capsys, endpoint, LU, "ecr", "DescribeRegistry")
                    if f["resource"]["type"] == REPOSITORY]
    copies = {f["resource"]["id"]: f["status"] for f in repositories if f["rule_id"] == "LUX-RES-009"}
    assert copies and set(copies.values()) == {"error"} and "repo-ok" in copies
    assert {f["status"] for f in repositories if f["rule_id"] == "LUX-ACC-011"} == {"pass", "fail"}


def test_a_refused_listing_is_an_error_for_every_repository_rule(capsys, deployed):
    _, _, endpoint = deployed
    repositories = [f for f in scan_refusing(capsys, endpoint, LU, "ecr", "DescribeRepositories")
                    if f["resource"]["type"] == REPOSITORY]
    assert {f["rule_id"] for f in repositories} >= {"LUX-ACC-011", "LUX-ENC-019", "LUX-RES-001", "LUX-CLS-001"}
    assert {f["status"] for f in repositories} == {"error"}


def test_the_enforcer_removes_a_public_pull_grant_and_keeps_the_rest(fresh_cloud, capsys, tmp_path):
    from tests.test_enforcer import enforce

    ecr = client(fresh_cloud, "ecr", LU)
    ecr.create_repository(repositoryName="crm-images", tags=[{"Key": "data-classification", "Value": "contact"}])
    owner = {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "ecr:*"}
    anyone = {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}
    ecr.set_repository_policy(repositoryName="crm-images",
                              policyText=json.dumps({"Version": "2012-10-17", "Statement": [owner, anyone]}))
    code, plan, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ACC-011")
    (change,) = [c for c in plan["plan"] if c["resource"]["id"] == "crm-images"]
    assert [c["operation"] for c in change["calls"]] == ["SetRepositoryPolicy"]
    code, applied, err = enforce(capsys, fresh_cloud, tmp_path, "--rule", "LUX-ACC-011", "--apply", "--yes")
    assert code == 0, err
    policy = json.loads(ecr.get_repository_policy(repositoryName="crm-images")["policyText"])
    assert [s["Sid"] for s in policy["Statement"]] == ["Owner"]
