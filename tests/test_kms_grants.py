"""KMS grants (17): a grant lets its grantee use a key whatever the key policy says. Collected
live with ListGrants, judged against the trusted zone (LUX-ACC-018: an approved processor waived,
another company's account failing), the same verdicts from `check`, drift when a grant is added
by hand, a refused ListGrants an `error`, and the enforcer revoking a foreign grant only with
--remove-external-grants."""

from __future__ import annotations

import json

import boto3
import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from luxguard.sandbox.provision import provision_capture
from luxguard.sources.pulumi_capture import capture_program
from scanners import collect
from tests.helpers import run_cli, scan_refusing, scan_with_approvals, write_program
from tests.moto_cloud import LU, client

KEY = "AWS::KMS::Key"
PROCESSOR, STRANGER = "222233334444", "999999999999"

PROGRAM = f"""
t.key_grant(name='own')
t.key_grant(name='stranger', grantee='foreign_account')
t.key_grant(name='processor', grantee='{PROCESSOR}')
t.key('no-grant')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    capture = capture_program(write_program(tmp_path / "p", PROGRAM), "test")
    provisioned = provision_capture(capture, fresh_cloud)
    keys = {r.name.removesuffix("-key"): r.id for r in provisioned.capture.resources if r.type == "aws:kms/key:Key"}
    return capture, provisioned, fresh_cloud, keys


def names(keys: dict[str, str]) -> dict[str, str]:
    return {key_id: name for name, key_id in keys.items()}


def approvals(key_id: str) -> str:
    return f"""
approvals:
  - id: APR-2026-KEYS
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: ['{key_id}']}}
    document: LC-DPA-2026-044
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


def test_grants_are_collected_with_one_listing_per_key(deployed):
    _, _, endpoint, keys = deployed
    result = collect(boto3.Session(region_name=LU), [LU], endpoint)
    assert result.failures == []
    found = {r.id: r for r in result.resources if r.type == KEY}
    [grant] = found[keys["stranger"]].properties["sharing"]["grants"]
    assert grant["principals"] == [STRANGER] and grant["actions"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert found[keys["no-grant"]].properties["sharing"] == {"grants": []}
    customer = [r for r in found.values() if r.properties.get("key_manager") == "CUSTOMER"]
    assert result.api_calls["kms.ListGrants"] == len(customer) == 4


def test_check_and_scan_agree_and_a_stranger_fails(deployed):
    capture, _, endpoint, keys = deployed
    settings = Settings()

    planned = {f.resource.properties.get("name"): f.status.value for f in check_capture(capture, settings).findings
               if f.rule_id == "LUX-ACC-018"}
    live_resources = [r for r in collect(boto3.Session(region_name=LU), [LU], endpoint).resources if r.type == KEY
                      and r.properties.get("key_manager") == "CUSTOMER"]
    by_id = names(keys)
    live = {by_id[f.resource.id]: f.status.value for f in evaluate(settings.engine(), settings, live_resources, "aws").findings
            if f.rule_id == "LUX-ACC-018"}
    assert {name.removesuffix("-key"): status for name, status in planned.items()} == live == {
        "own": "pass", "stranger": "fail", "processor": "fail", "no-grant": "pass"}


def test_an_approved_processor_is_waived(capsys, deployed, tmp_path):
    _, _, endpoint, keys = deployed
    found = {f["resource"]["id"]: f for f in scan_with_approvals(capsys, endpoint, LU, approvals(keys["processor"]),
                                                                    tmp_path) if f["rule_id"] == "LUX-ACC-018"}
    assert found[keys["processor"]]["status"] == "waived" and "APR-2026-KEYS" in json.dumps(found[keys["processor"]])
    stranger = found[keys["stranger"]]
    assert stranger["status"] == "fail" and STRANGER in stranger["message"] and "kms:Decrypt" in stranger["message"]
    assert found[keys["own"]]["status"] == "pass"


def test_a_refused_list_grants_is_an_error_for_the_grant_rule_only(capsys, deployed):
    _, _, endpoint, keys = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "kms", "ListGrants") if f["resource"]["id"] in keys.values()]
    assert {f["status"] for f in findings if f["rule_id"] == "LUX-ACC-018"} == {"error"}
    assert {f["status"] for f in findings if f["rule_id"] == "LUX-ACC-009"} == {"pass"}


def test_drift_when_a_grant_is_added_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint, keys = deployed
    state = provisioned.write_state(tmp_path / "state.json")

    def drifted() -> set[tuple]:
        code, out, err = run_cli(capsys, "drift", "--state", state, "--endpoint-url", endpoint, "--format", "json",
                                 "--no-history")
        assert code in (0, 1), err
        return {(f["rule_id"], f["resource"]["id"], f["drift"].get("property"), tuple(f["drift"].get("added", ())))
                for f in json.loads(out)["findings"] if f["status"] == "fail"}

    assert drifted() == set()
    client(endpoint, "kms", LU).create_grant(KeyId=keys["own"], GranteePrincipal=f"arn:aws:iam::{STRANGER}:root",
                                             Operations=["Decrypt"])
    assert drifted() == {("DRIFT-KMS-POLICY", keys["own"], "sharing.grants", (f"account {STRANGER}: kms:Decrypt",))}


def test_enforcer_revokes_a_foreign_grant_only_when_asked(capsys, deployed, tmp_path):
    _, _, endpoint, keys = deployed
    (tmp_path / "approvals.yaml").write_text(approvals(keys["processor"]))

    def enforce(*extra: str) -> dict:
        code, out, err = run_cli(capsys, "enforce", "--endpoint-url", endpoint, "--regions", LU, "--format", "json",
                                 "--rule", "LUX-ACC-018", "--approvals", str(tmp_path / "approvals.yaml"),
                                 "--audit-log", str(tmp_path / "audit.jsonl"), "--db", str(tmp_path / "h.db"),
                                 "--actor", "tester@ci", *extra)
        assert code in (0, 1), err
        return json.loads(out)

    def grantees(name: str) -> list[str]:
        return sorted(g["GranteePrincipal"] for g in client(endpoint, "kms", LU).list_grants(KeyId=keys[name])["Grants"])

    plan = enforce()
    assert plan["mode"] == "dry-run" and [c for c in plan["plan"] if c["calls"]] == []
    [kept] = [s for s in plan["skipped"] if s["resource"]["id"] == keys["stranger"]]
    assert kept["kind"] == "kept" and f"aws kms revoke-grant --key-id {keys['stranger']}" in json.dumps(kept)
    enforce("--apply", "--yes")
    assert grantees("stranger") == [f"arn:aws:iam::{STRANGER}:role/processor"]

    removed = enforce("--remove-external-grants", "--apply", "--yes")
    [result] = [r for r in removed["results"] if r["resource"]["id"] == keys["stranger"]]
    assert result["outcome"] == "succeeded" and result["verification"] == "now passes"
    assert grantees("stranger") == [] and grantees("processor") == [f"arn:aws:iam::{PROCESSOR}:role/processor"]
    assert grantees("own") == ["arn:aws:iam::123456789012:role/processor"]
    again = enforce("--remove-external-grants")
    assert [c for c in again["plan"] if c["calls"]] == []
