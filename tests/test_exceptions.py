"""Approvals and waivers in check, with dates controlled by --as-of."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import run_cli, write_program

APPROVAL = {
    "id": "APR-ACME-1", "customer": "ACME S.A.", "data_categories": ["contact"],
    "destinations": {"countries": ["IE"]}, "scope": {"name_patterns": ["acme-*"]},
    "document": "LC-DPA-2026-014", "approved_by": "J. Doe, ACME DPO",
    "granted": "2026-01-01", "expires": "2026-12-31",
}
IRISH_BUCKET = "t.bucket(name='acme-crm', region='eu-west-1')"   # key and logs stay in LU


def write_yaml(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def program(tmp_path):
    return write_program(tmp_path / "p", IRISH_BUCKET)


def residency(capsys, program, *args):
    code, out, err = run_cli(capsys, "check", program, "--format", "json", *args)
    finding = next(f for f in json.loads(out)["findings"]
                   if f["rule_id"] == "LUX-RES-001" and f["resource"]["id"] == "acme-crm")
    return code, finding, json.loads(out)


def test_valid_approval_waives_and_names_itself(tmp_path, program, capsys):
    approvals = write_yaml(tmp_path / "approvals.yaml", {"approvals": [APPROVAL]})
    code, finding, document = residency(capsys, program, "--approvals", approvals, "--as-of", "2026-06-01")
    assert code == 0
    assert finding["status"] == "waived"
    assert finding["waiver"]["id"] == "APR-ACME-1" and finding["waiver"]["document"] == "LC-DPA-2026-014"
    assert document["summary"]["waived"] == 1 and document["summary"]["failed"] == 0


@pytest.mark.parametrize("as_of, needle", [("2027-01-05", "approval APR-ACME-1 expired on 2026-12-31"),
                                           ("2025-12-01", "approval APR-ACME-1 is granted only from 2026-01-01")])
def test_expired_and_future_approvals_fail_and_say_why(tmp_path, program, capsys, as_of, needle):
    approvals = write_yaml(tmp_path / "approvals.yaml", {"approvals": [APPROVAL]})
    code, finding, _ = residency(capsys, program, "--approvals", approvals, "--as-of", as_of)
    assert code == 1 and finding["status"] == "fail"
    assert needle in finding["message"]


@pytest.mark.parametrize("change", [
    {"scope": {"name_patterns": ["other-*"]}},            # resource out of scope
    {"destinations": {"countries": ["DE"]}},              # destination not approved
    {"data_categories": ["billing"]},                    # data category not approved
])
def test_out_of_scope_approval_does_not_waive(tmp_path, program, capsys, change):
    approvals = write_yaml(tmp_path / "approvals.yaml", {"approvals": [{**APPROVAL, **change}]})
    code, finding, _ = residency(capsys, program, "--approvals", approvals, "--as-of", "2026-06-01")
    assert code == 1 and finding["status"] == "fail"


def test_approval_expiring_within_30_days_is_a_warning(tmp_path, program, capsys):
    approvals = write_yaml(tmp_path / "approvals.yaml", {"approvals": [APPROVAL]})
    code, finding, document = residency(capsys, program, "--approvals", approvals, "--as-of", "2026-12-10")
    assert finding["status"] == "waived"
    assert document["notes"] == ["approval APR-ACME-1 (ACME S.A.) expires on 2026-12-31"]
    _, text, _ = run_cli(capsys, "check", program, "--approvals", approvals, "--as-of", "2026-12-10")
    assert "warning: approval APR-ACME-1 (ACME S.A.) expires on 2026-12-31" in text


@pytest.mark.parametrize("broken, needle", [
    ({**APPROVAL, "granted": "yesterday"}, "field approvals.0.granted"),
    ({k: v for k, v in APPROVAL.items() if k != "document"}, 'missing required field "document"'),
    ({**APPROVAL, "expires": "2025-01-01"}, "field approvals.0.expires"),
    ({**APPROVAL, "data_categories": ["secrets"]}, "field approvals.0.data_categories.0"),
])
def test_malformed_approvals_are_one_line_exit_2(tmp_path, program, capsys, broken, needle):
    approvals = write_yaml(tmp_path / "approvals.yaml", {"approvals": [broken]})
    for args in (["check", program, "--approvals", approvals], ["approvals", "validate", approvals]):
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1
        assert "approvals.yaml" in err and needle in err


WAIVER = {"id": "WVR-1", "rule": "LUX-LOG-001", "resource": "legacy-*", "reason": "migrating to CloudTrail data events",
          "owner": "platform-team", "expires": "2026-12-31"}


def test_waiver_waives_matching_rule_and_resource_only(tmp_path, capsys):
    program = write_program(tmp_path / "p", "t.bucket(name='legacy-crm', logging=False)\nt.bucket(name='new-crm', logging=False)")
    waivers = write_yaml(tmp_path / "waivers.yaml", {"waivers": [WAIVER]})
    code, out, _ = run_cli(capsys, "check", program, "--format", "json", "--waivers", waivers, "--as-of", "2026-06-01")
    statuses = {(f["rule_id"], f["resource"]["id"]): f["status"] for f in json.loads(out)["findings"]}
    assert statuses[("LUX-LOG-001", "legacy-crm")] == "waived"
    assert statuses[("LUX-LOG-001", "new-crm")] == "fail"
    assert code == 1
    # waived findings appear in SARIF as suppressions and in JUnit as skipped
    _, sarif, _ = run_cli(capsys, "check", program, "--format", "sarif", "--waivers", waivers, "--as-of", "2026-06-01")
    suppressed = [r for r in json.loads(sarif)["runs"][0]["results"] if r.get("suppressions")]
    assert [r["locations"][0]["logicalLocations"][0]["name"] for r in suppressed] == ["legacy-crm"]
    _, junit, _ = run_cli(capsys, "check", program, "--format", "junit", "--waivers", waivers, "--as-of", "2026-06-01")
    assert junit.count("<skipped") == 1 and "waived by WVR-1" in junit


def test_expired_waiver_stops_waiving_and_is_reported(tmp_path, capsys):
    program = write_program(tmp_path / "p", "t.bucket(name='legacy-crm', logging=False)")
    waivers = write_yaml(tmp_path / "waivers.yaml", {"waivers": [WAIVER]})
    code, out, _ = run_cli(capsys, "check", program, "--format", "json", "--waivers", waivers, "--as-of", "2027-02-01")
    document = json.loads(out)
    finding = next(f for f in document["findings"] if f["rule_id"] == "LUX-LOG-001")
    assert code == 1 and finding["status"] == "fail" and "waiver WVR-1 expired on 2026-12-31" in finding["message"]
    assert document["notes"] == ["waiver WVR-1 for LUX-LOG-001 expired on 2026-12-31 and no longer waives"]


@pytest.mark.parametrize("broken, needle", [
    ({**WAIVER, "rule": "LUX-RES-001"}, "residency rule"),
    ({**WAIVER, "rule": "LUX-LOG-999"}, "unknown rule LUX-LOG-999"),
    ({k: v for k, v in WAIVER.items() if k != "owner"}, 'missing required field "owner"'),
])
def test_malformed_waivers_are_one_line_exit_2(tmp_path, capsys, broken, needle):
    program = write_program(tmp_path / "p", "t.key()")
    waivers = write_yaml(tmp_path / "waivers.yaml", {"waivers": [broken]})
    for args in (["check", program, "--waivers", waivers], ["waivers", "validate", waivers]):
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err


def test_list_commands_show_status(tmp_path, capsys):
    approvals = write_yaml(tmp_path / "a.yaml", {"approvals": [APPROVAL, {**APPROVAL, "id": "APR-OLD", "expires": "2026-02-01"}]})
    code, out, _ = run_cli(capsys, "approvals", "list", approvals, "--as-of", "2026-12-15")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("APR-ACME-1  expiring") and lines[1].startswith("APR-OLD  expired")
    waivers = write_yaml(tmp_path / "w.yaml", {"waivers": [WAIVER]})
    code, out, _ = run_cli(capsys, "waivers", "list", waivers, "--as-of", "2026-06-01")
    assert code == 0 and out.startswith("WVR-1  active     LUX-LOG-001  legacy-*")


def test_a_waiver_limited_to_accounts_covers_only_their_findings(tmp_path):
    from luxguard.core.errors import LuxguardError
    from luxguard.core.model import Finding, Resource, Status
    from luxguard.core.rules import load_rules
    from luxguard.policy.exceptions import load_waivers

    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - {id: WVR-9, rule: LUX-ENC-010, resource: '*', accounts: ['111111111111'],\n"
                    "     reason: sandbox holds no data, owner: me, expires: 2099-01-01}\n")
    [waiver] = load_waivers(path, load_rules())

    def finding(account):
        return Finding("LUX-ENC-010", "encryption", "high", Status.FAIL,
                       Resource("AWS::EC2::EBSEncryptionByDefault", "ebs-default-encryption", account=account), "off")

    assert waiver.matches(finding("111111111111"))
    assert not waiver.matches(finding("222222222222")) and not waiver.matches(finding(None))
    path.write_text(path.read_text().replace("'111111111111'", "'1111'"))
    with pytest.raises(LuxguardError, match="waivers.0.accounts.0"):
        load_waivers(path, load_rules())


def test_an_approval_limited_to_accounts_covers_only_their_findings(tmp_path):
    """`accounts` scopes an approval to findings in those accounts, for residency and
    external-access findings alike (both go through the approval's scope)."""
    from luxguard.core.errors import LuxguardError
    from luxguard.core.model import Finding, Resource, Status
    from luxguard.policy.exceptions import load_approvals

    path = write_yaml(tmp_path / "a.yaml", {"approvals": [{**APPROVAL, "accounts": ["111111111111"]}]})
    [approval] = load_approvals(path)

    def finding(account):
        return Finding("LUX-RES-001", "residency", "high", Status.FAIL,
                       Resource("AWS::S3::Bucket", "acme-crm", region="eu-west-1", account=account), "abroad")

    assert approval.in_scope(finding("111111111111"))
    assert not approval.in_scope(finding("222222222222")) and not approval.in_scope(finding(None))
    [everywhere] = load_approvals(write_yaml(tmp_path / "b.yaml", {"approvals": [APPROVAL]}))
    assert everywhere.in_scope(finding("222222222222")) and everywhere.in_scope(finding(None))
    write_yaml(path, {"approvals": [{**APPROVAL, "accounts": [111111111111]}]})   # unquoted in YAML: a number
    with pytest.raises(LuxguardError, match="approvals.0.accounts.0: 111111111111 is not text, expected a 12-digit"):
        load_approvals(path)
