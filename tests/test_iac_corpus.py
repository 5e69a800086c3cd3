"""One rule-case corpus in three forms: every rule's compliant and violating example (the rule
file's `examples:`) as Pulumi, Terraform (a directory and its plan JSON) and CloudFormation, and
every form must give the same verdicts, rule for rule. A form the rule file writes out
(`terraform:`, `cloudformation:`) is checked as written; the others are generated from the
Pulumi example (tests/programs/iac_forms.py), so no rule lacks a form."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from luxguard.core.model import Status
from luxguard.core.rules import load_rules
from luxguard.pipeline import Settings, check_capture, check_infrastructure_code
from luxguard.sources.infrastructure_code import IacOptions
from luxguard.sources.pulumi_capture import capture_program
from tests.helpers import LIVE_ONLY, write_program
from tests.programs import iac_forms

EXAMPLES = {rule.id: rule.examples for rule in load_rules() if rule.examples and "pulumi" in rule.examples.compliant}

# CloudFormation has no resource type for these; their examples exist in two forms only.
NOT_IN_CLOUDFORMATION = {"LUX-ENC-007": "EBS snapshots", "LUX-ACC-008": "EBS snapshot permissions",
                         "LUX-ACC-012": "EBS snapshot permissions", "LUX-ACC-013": "the account password policy",
                         "LUX-ENC-010": "EBS encryption by default", "LUX-ACC-006": "default security groups",
                         "LUX-ACC-018": "KMS grants",
                         "LUX-ENC-015": "SecureString parameters (CloudFormation creates String and StringList only)"}

# pulumi-aws accepts a "replica" in the table's own region (the compliant LUX-RES-006 example);
# a CloudFormation GlobalTable always lists its own region, which is the table itself, not a copy.
NOT_APPLICABLE_IN = {("LUX-RES-006", "compliant", "cloudformation"): "LUX-RES-006"}


def verdicts(report) -> Counter:
    """(rule, resource type, status) counted: what must agree between the forms."""
    return Counter((f.rule_id, f.resource.type, f.status.value) for f in report.findings)


def failing(report) -> set[str]:
    return {f.rule_id for f in report.findings if f.status == Status.FAIL}


def _iac(path: Path) -> object:
    return check_infrastructure_code(path, Settings(), IacOptions(), with_checkov=False)


def _forms(tmp: Path, example: dict[str, str]) -> dict:
    capture = capture_program(write_program(tmp / "pulumi", example["pulumi"]), "test")
    reports = {"pulumi": check_capture(capture, Settings())}
    terraform = tmp / "terraform"
    terraform.mkdir()
    (terraform / "main.tf").write_text(example.get("terraform") or iac_forms.terraform(capture))
    reports["terraform"] = _iac(terraform)
    plan = tmp / "tfplan.json"
    plan.write_text(json.dumps(iac_forms.terraform_plan(capture), indent=1))
    reports["terraform plan"] = _iac(plan)
    templates = {"template.yaml": example["cloudformation"]} if "cloudformation" in example \
        else iac_forms.cloudformation(capture)
    if templates is not None:
        folder = tmp / "cloudformation"
        folder.mkdir()
        for name, text in templates.items():
            (folder / name).write_text(text)
        reports["cloudformation"] = _iac(folder if len(templates) > 1 else folder / next(iter(templates)))
    return reports


CASE_PARAMS = [pytest.param(rule_id, kind, id=f"{rule_id}-{kind}") for rule_id in sorted(EXAMPLES)
               for kind in ("compliant", "violating")]


def test_every_rule_has_an_example_in_every_form():
    assert len(EXAMPLES) == len(load_rules()) - len(LIVE_ONLY)
    written = {rid for rid, e in EXAMPLES.items() if "terraform" in e.compliant and "terraform" in e.violating}
    assert len(written) >= 15
    # a written CloudFormation form is one template; a multi-region example stays generated (one per region)
    assert len([rid for rid in written if "cloudformation" in EXAMPLES[rid].compliant]) >= 10


@pytest.mark.parametrize("rule_id,kind", CASE_PARAMS)
def test_every_form_gives_the_same_verdicts(rule_id, kind, tmp_path):
    examples = EXAMPLES[rule_id]
    reports = _forms(tmp_path, getattr(examples, kind))
    expected = set(examples.fails) if kind == "violating" else set()
    assert ("cloudformation" in reports) == (rule_id not in NOT_IN_CLOUDFORMATION)
    for form, report in reports.items():
        assert failing(report) == expected, form
        assert report.count(Status.ERROR) == 0, (form, [f.message for f in report.findings if f.status == Status.ERROR])
        expected_verdicts = verdicts(reports["pulumi"])
        if (rule_id, kind, form) in NOT_APPLICABLE_IN:
            expected_verdicts = Counter({k: n for k, n in expected_verdicts.items()
                                         if k[0] != NOT_APPLICABLE_IN[(rule_id, kind, form)]})
        assert verdicts(report) == expected_verdicts, form
    if kind == "violating":
        for form, report in reports.items():
            assert rule_id in failing(report), form
