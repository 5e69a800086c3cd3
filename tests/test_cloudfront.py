"""CloudFront distributions: collected live from the local cloud (one listing per account), the
buckets they front and the protocols they speak, the same verdicts from `check` and `scan`, an
approved edge delivery waived, a hand-made distribution found by drift, and a refused listing
never a pass."""

from __future__ import annotations

import json

import pytest

from luxguard.resources.cloudfront_distribution import EDGE, origin_bucket
from tests.helpers import (check_and_scan, deploy, drift_failures, named, scan_live, scan_refusing, scan_with_approvals)
from tests.moto_cloud import LU, create_distribution

CDN = "AWS::CloudFront::Distribution"

# A real team's way: the bucket's regional host name (an output) as the origin, and a website
PROGRAM = """
invoices = t.bucket('lux-invoices', classification='billing')
t.distribution('invoices-cdn', bucket=invoices)
t.distribution('site', website='www.luxcloud.example')
t.distribution('plain-site', website='old.luxcloud.example', viewer='allow-all', origin_protocol='http-only')
t.distribution('approved-cdn', bucket='lux-media', classification='marketing')
t.distribution('paused-cdn', bucket='lux-archive', enabled=False)
"""

APPROVALS = """
approvals:
  - id: APR-2026-EDGE
    customer: ACME S.A.
    data_categories: [marketing]
    destinations: {regions: [cloudfront-edge]}
    scope: {name_patterns: [approved-cdn]}
    document: LC-DPA-2026-090
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
"""


@pytest.mark.parametrize("host,bucket", [
    ("lux-invoices.s3.lu-central-1.amazonaws.com", "lux-invoices"), ("lux-invoices.s3.amazonaws.com", "lux-invoices"),
    ("a.b.s3-eu-west-1.amazonaws.com", "a.b"), ("site.s3-website.eu-west-1.amazonaws.com", "site"),
    ("SITE.S3-WEBSITE-EU-WEST-1.AMAZONAWS.COM", "site"), ("www.luxcloud.example", None),
    ("lb-1.eu-west-1.elb.amazonaws.com", None), ("", None), (None, None)])
def test_origin_host_names_name_their_bucket(host, bucket):
    assert origin_bucket(host) == bucket


@pytest.fixture
def deployed(fresh_cloud, tmp_path):
    return deploy(fresh_cloud, tmp_path / "p", PROGRAM)


def test_collected_with_their_origins_and_protocols(deployed):
    _, _, endpoint = deployed
    result = scan_live(endpoint)
    assert result.failures == []
    cdns = named(result.resources, CDN)
    assert sorted(cdns) == ["approved-cdn", "invoices-cdn", "paused-cdn", "plain-site", "site"]
    invoices = cdns["invoices-cdn"].properties
    assert invoices["origin_stores"] == ["lux-invoices"] and invoices["delivery_regions"] == [EDGE]
    assert invoices["classification"] == [] and cdns["approved-cdn"].properties["classification"] == ["marketing"]
    assert cdns["plain-site"].properties["viewer_protocol_policies"] == ["allow-all"]
    assert cdns["plain-site"].properties["origin_protocol_policies"] == ["http-only"]
    assert cdns["paused-cdn"].properties["delivery_regions"] == []
    assert cdns["site"].region is None and cdns["site"].arn.startswith("arn:aws:cloudfront::")
    assert result.api_calls["cloudfront.ListDistributions"] == 1


def test_check_and_scan_agree_rule_for_rule(deployed):
    capture, _, endpoint = deployed
    planned, live = check_and_scan(capture, endpoint, CDN)
    assert planned == live
    assert {k for k, status in planned.items() if status == "fail"} == {
        ("LUX-RES-012", "invoices-cdn"), ("LUX-RES-012", "approved-cdn"), ("LUX-ENC-025", "plain-site")}


def test_an_approved_edge_delivery_is_waived(capsys, deployed, tmp_path):
    _, _, endpoint = deployed
    findings = {f["resource"]["name"]: f for f in scan_with_approvals(capsys, endpoint, LU, APPROVALS, tmp_path)
                if f["rule_id"] == "LUX-RES-012"}
    assert {name: f["status"] for name, f in findings.items()} == {"approved-cdn": "waived", "invoices-cdn": "fail",
                                                                    "paused-cdn": "pass"}
    assert "APR-2026-EDGE" in json.dumps(findings["approved-cdn"])
    assert "lux-invoices" in findings["invoices-cdn"]["message"]


def test_drift_finds_a_distribution_made_by_hand(capsys, deployed, tmp_path):
    _, provisioned, endpoint = deployed
    state = provisioned.write_state(tmp_path / "state.json")
    assert drift_failures(capsys, state, endpoint, CDN) == set()
    create_distribution(endpoint, f"lux-invoices.s3.{LU}.amazonaws.com", tags={"Name": "by-hand"})
    assert drift_failures(capsys, state, endpoint, CDN) == {("DRIFT-UNMANAGED", "unmanaged")}


def test_a_refused_listing_is_an_error(capsys, deployed):
    _, _, endpoint = deployed
    findings = [f for f in scan_refusing(capsys, endpoint, LU, "cloudfront", "ListDistributions")
                if f["resource"]["type"] == CDN]
    assert {f["rule_id"] for f in findings} == {"LUX-RES-012", "LUX-ENC-025"}
    assert {f["status"] for f in findings} == {"error"}
