"""Drift rules are rule files (rules/drift/) read with the rules' schema and loader."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from luxguard.core.errors import LuxguardError
from luxguard.core.rules import DRIFT_RULES_DIR, load_drift_rules, load_rules, parse_rule

REPO = Path(__file__).resolve().parent.parent


def _document(**changes):
    document = yaml.safe_load((DRIFT_RULES_DIR / "DRIFT-KMS-ROTATION.yaml").read_text(encoding="utf-8"))
    document.update(changes)
    return document


def test_every_drift_rule_file_is_a_drift_rule_and_the_check_catalogue_has_none():
    drift = load_drift_rules()
    assert len(drift) == len(list(DRIFT_RULES_DIR.glob("*.yaml")))
    assert {r.drift["finding"] for r in drift} == {"change", "missing", "unmanaged"}
    assert all(r.drift is None for r in load_rules())
    assert not {r.id for r in drift} & {r.id for r in load_rules()}


def test_drift_rules_are_checked_against_the_model():
    with pytest.raises(LuxguardError, match=r"field drift.compares: unknown property 'rotation' for AWS::KMS::Key"):
        parse_rule(_document(drift={"finding": "change", "compares": ["rotation"]}), "x.yaml")
    with pytest.raises(LuxguardError, match="field drift.finding"):
        parse_rule(_document(drift={"finding": "moved"}), "x.yaml")
    with pytest.raises(LuxguardError, match="field id"):
        parse_rule(_document(id="LUX-ENC-099"), "x.yaml")


def test_every_type_only_in_drift_rules():
    rule = yaml.safe_load((REPO / "rules" / "LUX-ENC-005.yaml").read_text(encoding="utf-8"))
    with pytest.raises(LuxguardError, match="resource_types"):
        parse_rule({**rule, "resource_types": ["*"]}, "x.yaml")


def test_drift_rule_outside_the_drift_catalogue_is_refused(tmp_path):
    (tmp_path / "DRIFT-KMS-ROTATION.yaml").write_text(yaml.safe_dump(_document(id="DRIFT-OWN")), encoding="utf-8")
    with pytest.raises(LuxguardError, match="a drift rule; drift rules live in"):
        load_rules([tmp_path], include_builtin=False)


def test_approvals_and_waivers_do_not_import_drift():
    tree = ast.parse((REPO / "luxguard" / "policy" / "exceptions.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(name and name.startswith("luxguard.actors") for name in imported)
