"""Every rule: its compliant program passes everything, its violating program fails exactly the expected rules."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from luxguard.core.rules import load_rules
from tests.helpers import failing_rule_ids, run_cli, write_program
from tests.rule_cases import CASES

RULE_IDS = [rule.id for rule in load_rules()]


def test_every_rule_has_cases_and_there_are_at_least_20():
    assert len(RULE_IDS) >= 20
    assert sorted(CASES) == RULE_IDS


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_compliant_program_has_no_failing_finding(rule_id, tmp_path, capsys):
    program = write_program(tmp_path / "ok", CASES[rule_id][0])
    code, out, err = run_cli(capsys, "check", program, "--stack", "test", "--format", "json")
    assert failing_rule_ids(out) == set(), out
    assert code == 0, err
    findings = json.loads(out)["findings"]
    assert any(f["rule_id"] == rule_id and f["status"] == "pass" for f in findings), f"{rule_id} never evaluated"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_violating_program_fails_exactly_expected_rules_in_every_format(rule_id, tmp_path, capsys):
    expected = CASES[rule_id][2]
    program = write_program(tmp_path / "bad", CASES[rule_id][1])
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
