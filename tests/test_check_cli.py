"""`luxguard check` end to end: bad input is one clear line and exit 2; good input is stable output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_program

RULE = (Path(__file__).parent.parent / "rules" / "LUX-ENC-005.yaml").read_text()


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def compliant(tmp_path: Path) -> Path:
    return write_program(tmp_path / "program", "t.key()")


def extra_rule(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "extra-rules"
    folder.mkdir()
    (folder / "LUX-ENC-901.yaml").write_text(text)
    return folder


def test_malformed_yaml_rule(tmp_path, compliant, capsys):
    folder = extra_rule(tmp_path, "id: LUX-ENC-901\ntitle: [unclosed\n")
    code, _, err = run_cli(capsys, "check", compliant, "--rules", folder)
    one_line_error(code, err, "LUX-ENC-901.yaml:", "malformed YAML")


def test_rule_breaking_the_schema(tmp_path, compliant, capsys):
    folder = extra_rule(tmp_path, RULE.replace("LUX-ENC-005", "LUX-ENC-901").replace("severity: medium", "severity: urgent"))
    code, _, err = run_cli(capsys, "check", compliant, "--rules", folder)
    one_line_error(code, err, "LUX-ENC-901.yaml", "field severity")


def test_rule_naming_unknown_resource_type(tmp_path, compliant, capsys):
    folder = extra_rule(tmp_path, RULE.replace("LUX-ENC-005", "LUX-ENC-901").replace("AWS::KMS::Key", "AWS::KMS::Keyring"))
    code, _, err = run_cli(capsys, "check", compliant, "--rules", folder)
    one_line_error(code, err, "LUX-ENC-901.yaml", "unknown resource type 'AWS::KMS::Keyring'")


def test_rule_naming_unknown_property(tmp_path, compliant, capsys):
    folder = extra_rule(tmp_path, RULE.replace("LUX-ENC-005", "LUX-ENC-901").replace("property: rotation_enabled", "property: rotation_on"))
    code, _, err = run_cli(capsys, "check", compliant, "--rules", folder)
    one_line_error(code, err, "LUX-ENC-901.yaml", "field condition", "unknown property 'rotation_on'")


def test_duplicate_rule_id_names_both_files(tmp_path, compliant, capsys):
    folder = extra_rule(tmp_path, RULE)
    code, _, err = run_cli(capsys, "check", compliant, "--rules", folder)
    one_line_error(code, err, "LUX-ENC-005 is already defined in")


def test_program_that_raises(tmp_path, capsys):
    program = write_program(tmp_path / "p", "raise RuntimeError('no region configured')")
    code, _, err = run_cli(capsys, "check", program)
    one_line_error(code, err, "__main__.py", "RuntimeError: no region configured", "__main__.py:2")


def test_missing_stack_config(compliant, capsys):
    code, _, err = run_cli(capsys, "check", compliant, "--stack", "staging")
    one_line_error(code, err, "Pulumi.staging.yaml", "stack config not found")


def test_unknown_format(compliant, capsys):
    code, _, err = run_cli(capsys, "check", compliant, "--format", "xml")
    one_line_error(code, err, "--format", "xml")


def test_missing_path(tmp_path, capsys):
    code, _, err = run_cli(capsys, "check", tmp_path / "nowhere")
    one_line_error(code, err, "nowhere", "path not found")


def test_directory_that_is_not_a_pulumi_project(tmp_path, capsys):
    code, _, err = run_cli(capsys, "check", tmp_path)
    one_line_error(code, err, "not a Pulumi project (no Pulumi.yaml) nor a Terraform directory")


def test_malformed_and_foreign_plan_files(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run_cli(capsys, "check", "--plan", broken)
    one_line_error(code, err, "broken.json", "invalid JSON")
    foreign = tmp_path / "state.json"
    foreign.write_text(json.dumps({"version": 3, "deployment": {}}))
    code, _, err = run_cli(capsys, "check", "--plan", foreign)
    one_line_error(code, err, "state.json", "not a luxguard plan")


def test_malformed_locations_file(tmp_path, compliant, capsys):
    locations = tmp_path / "locations.yaml"
    locations.write_text("locations:\n  - {region: lu-north-1, country: Luxembourg}\n")
    code, _, err = run_cli(capsys, "check", compliant, "--locations", locations)
    one_line_error(code, err, "locations.yaml", "field locations.0.country")


def test_unknown_option_is_one_line(compliant, capsys):
    code, _, err = run_cli(capsys, "check", compliant, "--frobnicate")
    one_line_error(code, err, "--frobnicate")


def test_output_file_is_written_whole_and_failed_write_leaves_nothing(tmp_path, capsys):
    program = write_program(tmp_path / "p", "t.key(rotation=False)")
    report = tmp_path / "reports" / "findings.json"
    code, _, _ = run_cli(capsys, "check", program, "--format", "json", "--output", report)
    assert code == 1
    assert json.loads(report.read_text())["summary"]["failed"] == 1
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    code, _, err = run_cli(capsys, "check", program, "--format", "json", "--output", blocked / "findings.json")
    one_line_error(code, err, "cannot write output")


def test_fail_on_threshold_sets_exit_code(tmp_path, capsys):
    program = write_program(tmp_path / "p", "t.key(rotation=False)")   # one medium failure
    assert run_cli(capsys, "check", program, "--fail-on", "medium")[0] == 1
    assert run_cli(capsys, "check", program, "--fail-on", "high")[0] == 0


def test_user_locations_and_pinned_country(tmp_path, capsys):
    """A private cloud region added by the user counts as Luxembourg; an unknown one never does."""
    program = write_program(tmp_path / "p", "t.key(region='lu-north-9')")
    code, out, _ = run_cli(capsys, "check", program, "--format", "json")
    assert code == 1 and "LUX-RES-001" in out and '"country": null' in out
    locations = tmp_path / "locations.yaml"
    locations.write_text("locations:\n  - {region: lu-north-9, country: LU}\n")
    assert run_cli(capsys, "check", program, "--locations", locations)[0] == 0
    assert run_cli(capsys, "check", program, "--locations", locations, "--pinned-country", "DE")[0] == 1


def test_findings_json_follows_interface_and_is_deterministic(tmp_path, capsys):
    program = write_program(tmp_path / "p", "t.bucket(sse='AES256', pab=False)\nt.security_group(ingress=[{'protocol': '-1', 'from_port': 0, 'to_port': 0, 'cidr_blocks': ['0.0.0.0/0']}])")
    _, first, _ = run_cli(capsys, "check", program, "--format", "json")
    _, second, _ = run_cli(capsys, "check", program, "--format", "json")
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "started_at"}  # noqa: E731
    assert strip(first) == strip(second)
    document = json.loads(first)
    assert document["schema_version"] == 1 and document["source"] == "pulumi"
    assert set(document["summary"]) == {"resources", "failed", "passed", "waived", "errors"}
    severities = ["critical", "high", "medium", "low"]
    keys = [(severities.index(f["severity"]), f["rule_id"], f["resource"]["type"], f["resource"]["id"]) for f in document["findings"]]
    assert keys == sorted(keys)
    sg = next(f for f in document["findings"] if f["rule_id"] == "LUX-ACC-004")
    assert sg["status"] == "fail" and sg["resource"]["urn"].endswith("::app")
    assert sg["clause"] == "How Does LuxCloud Protect the Personal Data it Holds?"
    # declared by the toolkit function the program calls: the frame that constructed the resource
    assert sg["resource"]["source"]["file"].endswith("toolkit.py") and sg["resource"]["source"]["line"] > 1


def test_sarif_points_at_the_declaring_line(tmp_path, capsys):
    program = write_program(tmp_path / "p", "import pulumi_aws as aws\n\naws.kms.Key('k', enable_key_rotation=False)")
    _, out, _ = run_cli(capsys, "check", program, "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"LUX-ENC-005"}
    (result,) = run["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "__main__.py"
    assert location["region"]["startLine"] == 4
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "LUX-ENC-005"


def test_rules_commands(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "rules", "list")
    assert code == 0 and len(out.splitlines()) >= 20 and out.splitlines()[0].startswith("LUX-ACC-001")
    code, out, _ = run_cli(capsys, "rules", "show", "LUX-RES-001")
    assert code == 0 and "Does LuxCloud Transfer Personal Data outside of Luxembourg?" in out and "Art. 44" in out
    code, _, err = run_cli(capsys, "rules", "show", "LUX-NOPE-1")
    one_line_error(code, err, "unknown rule id")
    code, out, _ = run_cli(capsys, "rules", "validate")
    rule_files = list((Path(__file__).parent.parent / "rules").glob("*.yaml"))
    assert code == 0 and out.startswith(f"{len(rule_files)} rules valid")
    broken = tmp_path / "broken"
    shutil.copytree(Path(__file__).parent.parent / "rules", broken)
    (broken / "LUX-ACC-001.yaml").write_text("id: 1\n")
    code, _, err = run_cli(capsys, "rules", "validate", broken)
    one_line_error(code, err, "LUX-ACC-001.yaml")


def test_schema_lists_exactly_the_registered_operators():
    from luxguard.core.conditions import OPERATORS
    from luxguard.core.rules import SCHEMA

    comparison = json.loads(SCHEMA.read_text())["$defs"]["comparison"]["properties"]
    assert set(comparison) - {"property"} == set(OPERATORS)
