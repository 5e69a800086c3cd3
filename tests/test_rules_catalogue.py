"""Every rule: its compliant example passes everything, its violating example fails exactly the rule ids
it names. The examples live in the rule files (`examples:`); the tests are generated from them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from luxguard.core.datafiles import read_yaml
from luxguard.core.errors import LuxguardError
from luxguard.core.rules import RULES_DIR, load_rules, parse_rule
from tests.helpers import LIVE_ONLY, failing_rule_ids, pulumi_examples, run_cli, write_program

RULES = load_rules()
RULE_IDS = [rule.id for rule in RULES]
EXAMPLES = {rule.id: rule.examples for rule in RULES}


def test_every_rule_has_examples_and_there_are_at_least_20():
    assert len(RULE_IDS) >= 20
    missing = [rule.path for rule in RULES if rule.examples is None and rule.id not in LIVE_ONLY]
    assert missing == [], "rule files without examples:"
    for rule_id, examples in EXAMPLES.items():
        if examples is not None:
            assert examples.fails <= set(RULE_IDS), f"{rule_id}: examples.violating.fails names unknown rules"
    assert set(pulumi_examples("compliant")) == set(pulumi_examples("violating")) == set(RULE_IDS) - set(LIVE_ONLY)
    assert all(EXAMPLES[rule_id] is None for rule_id in LIVE_ONLY)


@pytest.mark.parametrize("rule_id", pulumi_examples("compliant"))
def test_compliant_program_has_no_failing_finding(rule_id, tmp_path, capsys):
    program = write_program(tmp_path / "ok", EXAMPLES[rule_id].compliant["pulumi"])
    code, out, err = run_cli(capsys, "check", program, "--stack", "test", "--format", "json")
    assert failing_rule_ids(out) == set(), out
    assert code == 0, err
    findings = json.loads(out)["findings"]
    assert any(f["rule_id"] == rule_id and f["status"] == "pass" for f in findings), f"{rule_id} never evaluated"


@pytest.mark.parametrize("rule_id", pulumi_examples("violating"))
def test_violating_program_fails_exactly_expected_rules_in_every_format(rule_id, tmp_path, capsys):
    expected = EXAMPLES[rule_id].fails
    program = write_program(tmp_path / "bad", EXAMPLES[rule_id].violating["pulumi"])
    plan = tmp_path / "plan.json"
    code, out, err = run_cli(capsys, "check", program, "--stack", "test", "--format", "json", "--save-plan", plan)
    assert code == 1, err
    assert failing_rule_ids(out) == expected

    # The other formats, from the saved plan (no second program run).
    code, sarif, _ = run_cli(capsys, "check", "--plan", plan, "--format", "sarif")
    assert code == 1
    results = json.loads(sarif)["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == expected

    code, junit, _ = run_cli(capsys, "check", "--plan", plan, "--format", "junit")
    assert code == 1
    failed = {case.get("classname") for case in ET.fromstring(junit).iter("testcase") if case.find("failure") is not None}
    assert failed == expected

    code, text, _ = run_cli(capsys, "check", "--plan", plan, "--format", "text")
    assert code == 1
    assert {rid for rid in RULE_IDS if f" {rid} " in text} == expected


def test_examples_are_checked_when_a_rule_loads():
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["examples"]["violating"]["fails"] = ["LUX-ENC-006"]
    with pytest.raises(LuxguardError, match="examples.violating.fails: must include the rule's own id LUX-ENC-005"):
        parse_rule(document, "LUX-ENC-005.yaml")
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["examples"]["compliant"]["fails"] = ["LUX-ENC-005"]
    with pytest.raises(LuxguardError, match="field examples.compliant"):
        parse_rule(document, "LUX-ENC-005.yaml")
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["examples"]["violating"] = {"fails": ["LUX-ENC-005"]}
    with pytest.raises(LuxguardError, match="field examples.violating"):
        parse_rule(document, "LUX-ENC-005.yaml")
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["examples"]["compliant"]["terraform"] = 'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n'
    assert parse_rule(document, "LUX-ENC-005.yaml").examples.compliant["terraform"].startswith("resource")


def test_fixes_are_checked_when_a_rule_loads():
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["fix"]["cli"]["AWS::KMS::Key"] = ["aws kms enable-key-rotation --key-id {key}"]
    with pytest.raises(LuxguardError, match=r"field fix.cli.AWS::KMS::Key: unknown placeholder \{key\}"):
        parse_rule(document, "LUX-ENC-005.yaml")
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["fix"]["cli"] = {"AWS::S3::Bucket": ["aws s3api get-bucket-acl --bucket {id}"]}
    with pytest.raises(LuxguardError, match="field fix.cli: AWS::S3::Bucket is not one of the rule's resource_types"):
        parse_rule(document, "LUX-ENC-005.yaml")
    document = read_yaml(RULES_DIR / "LUX-ENC-005.yaml")
    document["fix"]["shell"] = "rm -rf /"
    with pytest.raises(LuxguardError, match=r"field fix: unknown field \"shell\" \(known fields: cli, pulumi\)"):
        parse_rule(document, "LUX-ENC-005.yaml")


def test_every_copy_paste_fix_names_the_resource_it_fixes():
    for rule in RULES:
        for rtype, commands in (rule.fix.cli.items() if rule.fix else ()):
            assert all("{id}" in c or "{region}" in c for c in commands), f"{rule.id} {rtype}"
