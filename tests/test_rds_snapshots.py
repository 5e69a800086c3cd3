"""RDS DB snapshots: collected live from the local cloud (region, encryption, who may restore),
the same verdicts from `check` and `scan`, an approved processor's share waived, and a refused
DescribeDBSnapshotAttributes never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import deploy, scan_live, scan_refusing, scan_with_approvals, verdicts_by_id
from tests.moto_cloud import EU, LU

SNAPSHOT = "AWS::RDS::DBSnapshot"
PROCESSOR = "222233334444"

PROGRAM = f"""
t.db_snapshot(name='snap-ok')
t.db_snapshot(name='snap-plain', encrypted=False)
t.db_snapshot(name='snap-public', public=True)
t.db_snapshot(name='snap-stranger', shared_with='999999999999')
t.db_snapshot(name='snap-processor', shared_with='{PROCESSOR}')
t.db_snapshot(name='snap-ireland', region='eu-west-1')
"""

APPROVALS = f"""
approvals:
  - id: APR-2026-BACKUP
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{accounts: ['{PROCESSOR}']}}
    scope: {{resource_ids: [snap-processor]}}
    document: LC-DPA-2026-040
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
    manual = {r.id: r for r in result.resources if r.type == SNAPSHOT and r.id.startswith("snap-")}
    assert sorted(manual) == ["snap-ireland", "snap-ok", "snap-plain", "snap-processor", "snap-public",
                              "snap-stranger"]
    ok = manual["snap-ok"].properties
    assert ok["encrypted"] is True and ok["customer_managed_key"] is True and ok["kms_key_region"] == LU
    assert ok["public"] is False and ok["sharing"] == {"grants": []} and ok["classification"] == ["contact"]
    assert manual["snap-plain"].properties["encrypted"] is False
    assert manual["snap-public"].properties["public"] is True
    assert "999999999999" in json.dumps(manual["snap-stranger"].properties["sharing"])
    assert manual["snap-ireland"].region == EU
    calls = result.api_calls
    assert calls["rds.DescribeDBSnapshots"] == 2 and calls["rds.DescribeDBSnapshotAttributes"] == len(manual)


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_by_id(check_capture(capture, settings), SNAPSHOT)
    live_resources = [r for r in scan_live(endpoint).resources if r.type == SNAPSHOT and r.id in
                      {k[1] for k in planned}]
    live = verdicts_by_id(evaluate(settings.engine(), settings, live_resources, "aws"), SNAPSHOT)
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-007", "snap-plain"), ("LUX-ACC-008", "snap-public"), ("LUX-ACC-012", "snap-public"),
        ("LUX-ACC-012", "snap-stranger"), ("LUX-ACC-012", "snap-processor"),
        ("LUX-RES-001", "snap-ireland")}


def test_an_approved_processor_is_waived_and_a_stranger_fails(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    shares = {f["resource"]["id"]: f for f in scan_with_approvals(capsys, endpoint, f"{LU},{EU}", APPROVALS, tmp_path)
              if f["rule_id"] == "LUX-ACC-012" and f["resource"]["type"] == SNAPSHOT}
    assert shares["snap-processor"]["status"] == "waived" and "APR-2026-BACKUP" in json.dumps(shares["snap-processor"])
    assert shares["snap-stranger"]["status"] == "fail" and "999999999999" in shares["snap-stranger"]["message"]
    assert shares["snap-ok"]["status"] == "pass"


def test_a_refused_attribute_read_is_an_error_for_the_sharing_rules(capsys, deployed):
    _, _, endpoint = deployed
    manual = [f for f in scan_refusing(capsys, endpoint, LU, "rds", "DescribeDBSnapshotAttributes")
              if f["resource"]["type"] == SNAPSHOT
              and f["resource"]["id"].startswith("snap-")]
    sharing = [f for f in manual if f["rule_id"] in ("LUX-ACC-008", "LUX-ACC-012")]
    assert sharing and {f["status"] for f in sharing} == {"error"}
    assert {(f["rule_id"], f["resource"]["id"], f["status"]) for f in manual} >= {
        ("LUX-ENC-007", "snap-plain", "fail"), ("LUX-ENC-007", "snap-ok", "pass")}
