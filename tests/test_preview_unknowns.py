"""Preview unknowns by declaration: a Pulumi input unknown at preview makes exactly the model
groups its converter declares undecided (`error`), never a `fail`. The resources reach luxguard
as the policy pack receives them (pulumi_policy's unknown sentinel in PolicyResource props)."""

from __future__ import annotations

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.policy import PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

from luxguard.core.model import Status
from luxguard.pipeline import Settings, check_capture
from luxguard.resources import pulumi_type
from policypack import luxguard_pack

REGION = {"aws:region": "lu-central-1"}
TAGS = {"data-classification": "billing"}
# (pulumi type, compliant inputs, the input unknown at preview, its unknown value, the rule reading it)
CASES = [
    ("aws:kms/key:Key", {"enableKeyRotation": True, "tags": TAGS}, "enableKeyRotation", UNKNOWN_BOOLEAN_VALUE,
     "LUX-ENC-005"),
    ("aws:dynamodb/table:Table",
     {"name": "orders", "serverSideEncryption": {"enabled": True, "kmsKeyArn":
                                                 "arn:aws:kms:lu-central-1:123456789012:key/k1"}, "tags": TAGS},
     "serverSideEncryption", {"enabled": True, "kmsKeyArn": UNKNOWN_STRING_VALUE}, "LUX-ENC-009"),
    ("aws:cloudtrail/trail:Trail",
     {"name": "audit", "isMultiRegionTrail": True, "enableLogFileValidation": True, "s3BucketName": "logs"},
     "isMultiRegionTrail", UNKNOWN_BOOLEAN_VALUE, "LUX-LOG-002"),
]


def _findings(pulumi_type_name: str, inputs: dict):
    resource = PolicyResource(pulumi_type_name, unknown_checking_proxy(inputs),
                              f"urn:pulumi:s::p::{pulumi_type_name}::r", "r",
                              PolicyResourceOptions(False, [], None, [], None, [], None), None, None, [], {})
    capture = luxguard_pack.capture_from_stack([resource], REGION)
    return capture, {f.rule_id: f for f in check_capture(capture, Settings()).findings}


@pytest.mark.parametrize("type_name,inputs,unknown,value,rule_id", CASES, ids=[c[4] for c in CASES])
def test_unknown_input_makes_its_rules_undecided(type_name, inputs, unknown, value, rule_id):
    _capture, known = _findings(type_name, inputs)
    assert known[rule_id].status == Status.PASS
    capture, previewed = _findings(type_name, {**inputs, unknown: value})
    assert capture.resources[0].unknown_inputs == [unknown]
    assert previewed[rule_id].status == Status.ERROR, previewed[rule_id].message
    assert "not known until the update runs" in previewed[rule_id].message
    # exactly the declared groups: rules reading other groups keep their verdict
    groups = set(pulumi_type(type_name).inputs[unknown])
    for other_id, finding in previewed.items():
        if finding.status == Status.ERROR:
            continue
        assert finding.status == known[other_id].status, other_id
    assert set(previewed[rule_id].resource.collection_errors) == groups & set(previewed[rule_id].resource.properties)


@pytest.mark.parametrize("type_name,inputs,unknown,value,rule_id", CASES, ids=[c[4] for c in CASES])
def test_unknown_input_that_would_violate_is_not_a_failure(type_name, inputs, unknown, value, rule_id):
    """The same rule fails when the input is known and wrong; unknown is never that failure."""
    wrong = {**inputs, unknown: False if isinstance(inputs[unknown], bool) else {"enabled": False}}
    _capture, violated = _findings(type_name, wrong)
    assert violated[rule_id].status == Status.FAIL
    _capture, previewed = _findings(type_name, {**inputs, unknown: value})
    assert previewed[rule_id].status == Status.ERROR


def test_undeclared_input_marks_nothing():
    """An input no converter reads (a description) decides no group, even when unknown."""
    _capture, previewed = _findings("aws:kms/key:Key", {"enableKeyRotation": True, "tags": TAGS,
                                                        "description": UNKNOWN_STRING_VALUE})
    assert all(f.status != Status.ERROR for f in previewed.values())
