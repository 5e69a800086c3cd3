"""OpenSearch domains: collected live from the local cloud (encryption at rest and its key, in
transit, the access policy), the same verdicts from `check` and `scan`, an approved processor's
grant waived and a stranger's failing, drift when the policy is changed by hand, the enforcer
taking only the public statement out, and a refused read never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import (deploy, drift_changes, run_cli, scan_live, scan_refusing, scan_with_approvals,
                           verdicts_by_id)
from tests.moto_cloud import EU, LU, client

DOMAIN = "AWS::OpenSearchService::Domain"
PROCESSOR = "222233334444"

PROGRAM = f"""
t.search_domain('search')
t.search_domain('search-plain', encrypted=False)
t.search_domain('search-aws-key', cmk=False)
t.search_domain('search-http', https=False, node_to_node=False)
t.search_domain('search-stranger', policy='foreign_account')
t.search_domain('search-processor', policy='{PROCESSOR}')
t.search_domain('search-own', policy='own_account')
t.search_domain('search-ireland', region='eu-west-1')
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-SEARCH
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [search-processor]}}
    document: LC-DPA-2026-070
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_properties_and_calls(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    domains = {r.id: r for r in result.resources if r.type == DOMAIN}
    assert sorted(domains) == ["search", "search-aws-key", "search-http", "search-ireland", "search-own",
                               "search-plain", "search-processor", "search-stranger"]
    ok = domains["search"].properties
    assert domains["search"].arn == f"arn:aws:es:{LU}:123456789012:domain/search"
    assert ok["encrypted"] is True and ok["customer_managed_key"] is True and ok["kms_key_region"] == LU
    assert ok["node_to_node_encryption"] is True and ok["enforce_https"] is True
    assert ok["policy"] == {"grants": []} and ok["classification"] == ["contact"]
    assert domains["search-aws-key"].properties["kms_key_id"] == "alias/aws/es"
    assert domains["search-plain"].properties["encrypted"] is False
    assert domains["search-http"].properties["enforce_https"] is False
    assert "999999999999" in json.dumps(domains["search-stranger"].properties["policy"])
    calls = result.api_calls
    # one listing per region, one DescribeDomains per five domains, one tag read per domain
    assert calls["opensearch.ListDomainNames"] == 2 and calls["opensearch.DescribeDomains"] == 2 + 1
    assert calls["opensearch.ListTags"] == len(domains)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_by_id(check_capture(capture, settings), DOMAIN)
    live = verdicts_by_id(evaluate(settings.engine(), settings, [r for r in scan_live(endpoint).resources
                                                                 if r.type == DOMAIN], "aws"), DOMAIN)
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-021", "search-plain"), ("LUX-ENC-021", "search-aws-key"), ("LUX-ENC-022", "search-http"),
        ("LUX-ACC-011", "search-stranger"), ("LUX-ACC-011", "search-processor"),
        ("LUX-RES-001", "search-ireland"), ("LUX-RES-004", "search-ireland")}


def test_an_approved_processor_is_waived_and_a_stranger_fails(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    access = {f["resource"]["id"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
              if f["rule_id"] == "LUX-ACC-011" and f["resource"]["type"] == DOMAIN}
    assert access["search-processor"]["status"] == "waived" and "APR-2026-SEARCH" in json.dumps(access["search-processor"])
    assert access["search-stranger"]["status"] == "fail" and "999999999999" in access["search-stranger"]["message"]
    assert access["search-own"]["status"] == "pass"


PUBLIC = {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:ESHttpGet",
          "Resource": f"arn:aws:es:{LU}:123456789012:domain/search-own/*"}


def _statements(endpoint: str, name: str) -> list[dict]:
    status = client(endpoint, "opensearch", LU).describe_domain(DomainName=name)["DomainStatus"]
    return json.loads(status["AccessPolicies"])["Statement"]


def _open_to_everyone(endpoint: str, name: str) -> None:
    opensearch = client(endpoint, "opensearch", LU)
    document = {"Version": "2012-10-17", "Statement": [*_statements(endpoint, name), PUBLIC]}
    opensearch.update_domain_config(DomainName=name, AccessPolicies=json.dumps(document))


def test_drift_when_the_policy_is_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_changes(capsys, state, endpoint, DOMAIN) == set()
    _open_to_everyone(endpoint, "search-own")
    assert drift_changes(capsys, state, endpoint, DOMAIN) == {("DRIFT-RESOURCE-POLICY", "search-own", "policy.grants")}


def test_enforce_takes_out_only_the_public_statement(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    _open_to_everyone(endpoint, "search-own")

    def enforce(*args: str) -> dict:
        code, out, err = run_cli(capsys, "enforce", "--endpoint-url", endpoint, "--regions", LU, "--format", "json",
                                 "--rule", "LUX-ACC-011", "--audit-log", str(tmp_path / "audit.jsonl"),
                                 "--db", str(tmp_path / "h.db"), "--actor", "tester@ci", *args)
        assert code in (0, 1), err
        return {c["resource"]["id"]: c for c in json.loads(out)["plan"] if c["resource"]["type"] == DOMAIN}

    planned = enforce()
    assert [c["operation"] for c in planned["search-own"]["calls"]] == ["UpdateDomainConfig"]
    assert [s["Sid"] for s in _statements(endpoint, "search-own")] == ["Search", "Anyone"]   # dry-run
    enforce("--apply", "--yes")
    assert [s["Sid"] for s in _statements(endpoint, "search-own")] == ["Search"]
    assert [s["Sid"] for s in _statements(endpoint, "search-stranger")] == ["Search"]         # reported, kept
    again = enforce()
    assert "search-own" not in again and not again.get("search-stranger", {}).get("calls")


def test_a_refused_read_is_an_error_never_a_pass(capsys, deployed):
    _, _, endpoint = deployed
    listed = [f for f in scan_refusing(capsys, endpoint, LU, "es", "DescribeDomains")
              if f["resource"]["type"] == DOMAIN]
    assert {f["rule_id"] for f in listed} >= {"LUX-ENC-021", "LUX-ENC-022", "LUX-ACC-011", "LUX-RES-001"}
    assert {f["status"] for f in listed} == {"error"}
    tagged = [f for f in scan_refusing(capsys, endpoint, LU, "es", "ListTags") if f["resource"]["type"] == DOMAIN]
    assert {f["status"] for f in tagged if f["rule_id"] == "LUX-CLS-001"} == {"error"}
    assert ("LUX-ENC-022", "search-http", "fail") in {(f["rule_id"], f["resource"]["id"], f["status"]) for f in tagged}
