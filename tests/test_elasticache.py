"""ElastiCache replication groups: collected live from the local cloud (encryption at rest and its
key, in transit; tags from the region's tagging pass), the same verdicts from `check` and `scan`,
drift when a group's tags are changed by hand, and a refused read never a pass."""

from __future__ import annotations

import pytest

from luxguard.pipeline import Settings, check_capture, evaluate
from tests.helpers import deploy, drift_changes, scan_live, scan_refusing, verdicts_by_id
from tests.moto_cloud import LU, client

CACHE = "AWS::ElastiCache::ReplicationGroup"

PROGRAM = """
t.cache('sessions')
t.cache('cache-plain', encrypted=False)
t.cache('cache-aws-key', cmk=False)
t.cache('cache-clear-wire', transit=False)
t.cache('cache-unclassified', classification=None)
t.cache('cache-ireland', region='eu-west-1')
"""


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_properties_and_calls(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    groups = {r.id: r for r in result.resources if r.type == CACHE}
    assert sorted(groups) == ["cache-aws-key", "cache-clear-wire", "cache-ireland", "cache-plain",
                              "cache-unclassified", "sessions"]
    ok = groups["sessions"].properties
    assert groups["sessions"].arn == f"arn:aws:elasticache:{LU}:123456789012:replicationgroup:sessions"
    assert ok["encrypted"] is True and ok["customer_managed_key"] is True and ok["kms_key_region"] == LU
    assert ok["transit_encryption"] is True and ok["classification"] == ["contact"]
    assert groups["cache-aws-key"].properties["kms_key_id"] == "alias/aws/elasticache"
    assert groups["cache-plain"].properties["encrypted"] is False
    assert groups["cache-clear-wire"].properties["transit_encryption"] is False
    assert groups["cache-unclassified"].properties["classification"] == []
    assert result.api_calls["elasticache.DescribeReplicationGroups"] == 2     # tags: the tagging pass
    assert "elasticache.ListTagsForResource" not in result.api_calls


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    settings = Settings()
    planned = verdicts_by_id(check_capture(capture, settings), CACHE)
    live = verdicts_by_id(evaluate(settings.engine(), settings, [r for r in scan_live(endpoint).resources
                                                                 if r.type == CACHE], "aws"), CACHE)
    assert planned.keys() == live.keys()
    assert {k: (planned[k], live[k]) for k in planned if planned[k] != live[k]} == {}
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-ENC-023", "cache-plain"), ("LUX-ENC-023", "cache-aws-key"), ("LUX-ENC-023", "cache-clear-wire"),
        ("LUX-CLS-001", "cache-unclassified"), ("LUX-RES-001", "cache-ireland"), ("LUX-RES-004", "cache-ireland")}


def test_drift_when_a_cache_is_changed_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_changes(capsys, state, endpoint, CACHE) == set()
    elasticache = client(endpoint, "elasticache", LU)
    elasticache.remove_tags_from_resource(ResourceName=f"arn:aws:elasticache:{LU}:123456789012:replicationgroup:sessions",
                                          TagKeys=["data-classification"])
    elasticache.create_replication_group(ReplicationGroupId="cache-by-hand", ReplicationGroupDescription="x",
                                         Engine="redis", CacheNodeType="cache.t3.micro")
    assert drift_changes(capsys, state, endpoint, CACHE) == {
        ("DRIFT-CLASSIFICATION", "sessions", "classification"), ("DRIFT-UNMANAGED", "cache-by-hand", "unmanaged")}


def test_a_refused_read_is_an_error_never_a_pass(capsys, deployed):
    _, _, endpoint = deployed
    listed = [f for f in scan_refusing(capsys, endpoint, LU, "elasticache", "DescribeReplicationGroups")
              if f["resource"]["type"] == CACHE]
    assert {f["rule_id"] for f in listed} == {"LUX-ENC-023", "LUX-RES-001", "LUX-RES-004", "LUX-CLS-001"}
    assert {f["status"] for f in listed} == {"error"}
    tagged = [f for f in scan_refusing(capsys, endpoint, LU, "tagging", "GetResources") if f["resource"]["type"] == CACHE]
    assert {f["status"] for f in tagged if f["rule_id"] == "LUX-CLS-001"} == {"error"}
    assert ("LUX-ENC-023", "cache-plain", "fail") in {(f["rule_id"], f["resource"]["id"], f["status"]) for f in tagged}
