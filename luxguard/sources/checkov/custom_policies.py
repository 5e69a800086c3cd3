"""luxguard rules -> checkov YAML custom policies, generated (never written by hand).

A rule is exported when every property its `condition` and `when` read has a Terraform and a
CloudFormation attribute (the resource-type descriptors' `terraform` and `cloudformation` forms,
viewed as PROPERTIES below); other rules are listed with the reason they are not
(`export_rules(...).skipped`). A rule's `when` becomes `or: [not when, condition]`.

Residency (`region ... in_pinned_country`) needs care, because neither Terraform resources nor
CloudFormation resources usually state their region:

* Terraform plan JSON: terraform-provider-aws v6 (pulumi-aws v7) gives every resource a `region`
  argument and `terraform show -json` prints it; our Pulumi plan writer sets it. A resource without
  it is judged by its provider: an extra policy on the `aws` provider blocks requires their
  `region` to be within the pinned country (an unset or variable region fails: unknown is outside).
* CloudFormation: a template has no region; it is deployed to one. luxguard reads it from the
  template's `Metadata: {luxguard: {region: ...}}` (or --region) and writes it into a scan copy as
  each resource's `Metadata.LuxguardRegion`, which the policy reads (see iac.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from luxguard.core.locations import Locations
from luxguard.core.rules import Rule
from luxguard.resources import all_types

CFN_REGION_ATTRIBUTE = "Metadata.LuxguardRegion"
CHECKOV_CATEGORY = {"residency": "GENERAL_SECURITY", "encryption": "ENCRYPTION", "access": "NETWORKING",
                    "logging": "LOGGING", "retention": "BACKUP_AND_RECOVERY", "classification": "GENERAL_SECURITY"}

# Normalised model type -> (Terraform type, CloudFormation type): the descriptors with both forms.
TYPES: dict[str, tuple[str, str]] = {d.cfn_type: (d.terraform.type, d.cfn_type) for d in all_types()
                                     if d.terraform is not None and d.cloudformation is not None}
CFN_HAS_NO_TYPE = {d.cfn_type for d in all_types() if d.cloudformation is not None and not d.cloudformation.has_type}


def _properties() -> dict[tuple[str, str], tuple[str, str, str]]:
    """(model type, property) -> (kind, Terraform attribute, CloudFormation attribute), from the
    descriptors' `terraform.attributes` and `cloudformation.properties` (same kind in both).
    Kinds: bool (true/false), bool_default_true (absent means true), key (customer-managed key id
    present), region (in_pinned_country), const_customer, enabled_state."""
    table = {(t, "region"): ("region", "region", CFN_REGION_ATTRIBUTE) for t in TYPES}
    for descriptor in all_types():
        if descriptor.cfn_type not in TYPES:
            continue
        cfn = descriptor.cloudformation.properties if descriptor.cloudformation else {}
        for prop, (kind, tf_attr) in descriptor.terraform.attributes.items() if descriptor.terraform else ():
            if prop in cfn:
                table[(descriptor.cfn_type, prop)] = (kind, tf_attr, cfn[prop][1])
    return table


PROPERTIES: dict[tuple[str, str], tuple[str, str, str]] = _properties()


class NotExportable(Exception):
    pass


def policy_id(rule_id: str) -> str:
    """LUX-RES-001 -> CKV2_LUX_RES_001 (checkov ids are CKV_/CKV2_ + word characters)."""
    return "CKV2_" + rule_id.replace("-", "_")


def _attr(resource_types: list[str], attribute: str, operator: str, value: Any = None) -> dict:
    cond = {"cond_type": "attribute", "resource_types": resource_types, "attribute": attribute, "operator": operator}
    if value is not None:
        cond["value"] = value
    return cond


def _leaf(model_type: str, prop: str, op: str, expected: Any, framework: str, regions: list[str]) -> dict:
    spec = PROPERTIES.get((model_type, prop))
    if spec is None:
        raise NotExportable(f"property {prop!r} of {model_type} has no Terraform/CloudFormation attribute")
    kind, tf_attr, cfn_attr = spec
    tf_type, cfn_type = TYPES[model_type]
    types = [tf_type] if framework == "terraform" else [cfn_type]
    attr = tf_attr if framework == "terraform" else cfn_attr
    positive: bool
    if kind == "region":
        if op != "in_pinned_country":
            raise NotExportable(f"operator {op} on region")
        positive = bool(expected)
        cond = _attr(types, attr, "within", regions)
        if framework == "terraform":   # no region argument: the provider policy judges the region
            cond = {"or": [_attr(types, attr, "not_exists"), cond]}
        return cond if positive else _negate(cond)
    if kind == "const_customer":   # Terraform/CloudFormation only declare customer-managed keys
        truth = (op == "equals" and expected == "CUSTOMER") or (op == "not_equals" and expected != "CUSTOMER")
        return _attr(types, "luxguard_never_set", "not_exists") if truth else _attr(types, "luxguard_never_set", "exists")
    if kind == "enabled_state":
        if not (op in ("equals", "not_equals") and expected in ("Enabled", "Disabled")):
            raise NotExportable(f"operator {op} {expected!r} on {prop}")
        enabled = (op == "equals") == (expected == "Enabled")
        cond = {"or": [_attr(types, attr, "not_exists"), _attr(types, attr, "equals", True)]}
        return cond if enabled else _negate(cond)
    if op not in ("equals", "not_equals") or not isinstance(expected, bool):
        raise NotExportable(f"operator {op} {expected!r} on {prop}")
    want_true = (op == "equals") == expected
    if kind == "bool":
        cond = _attr(types, attr, "equals", True)
    elif kind == "bool_default_true":
        cond = {"or": [_attr(types, attr, "not_exists"), _attr(types, attr, "equals", True)]}
    elif kind == "key":
        # `exists` only: checkov drops a resource from a string operator (not_starting_with) when
        # the value is an unresolved reference (kms_key_id = aws_kms_key.x.arn), so the policy
        # cannot tell alias/aws/* apart; checkov's CKV_AWS_189/119/... do.
        cond = _attr(types, attr, "exists")
    else:  # pragma: no cover - table typo
        raise NotExportable(kind)
    return cond if want_true else _negate(cond)


NEGATED = {"equals": "not_equals", "not_equals": "equals", "exists": "not_exists", "not_exists": "exists",
           "within": "not_within", "not_within": "within", "starting_with": "not_starting_with",
           "not_starting_with": "starting_with"}


def _negate(cond: dict) -> dict:
    if "and" in cond:
        return {"or": [_negate(c) for c in cond["and"]]}
    if "or" in cond:
        return {"and": [_negate(c) for c in cond["or"]]}
    negated = dict(cond)
    # `not_equals true` also holds for an absent attribute, exactly as `equals true` fails for it
    negated["operator"] = NEGATED[cond["operator"]]
    return negated


def _translate(condition: dict, model_type: str, framework: str, regions: list[str]) -> dict:
    if "all" in condition:
        return {"and": [_translate(c, model_type, framework, regions) for c in condition["all"]]}
    if "any" in condition:
        return {"or": [_translate(c, model_type, framework, regions) for c in condition["any"]]}
    if "not" in condition:
        return _negate(_translate(condition["not"], model_type, framework, regions))
    if any(q in condition for q in ("every", "some", "none")):
        raise NotExportable("list quantifiers (every/some/none) have no attribute-policy equivalent")
    prop = condition["property"]
    op = next(k for k in condition if k != "property")
    return _leaf(model_type, prop, op, condition[op], framework, regions)


def _retype(cond: Any, types: list[str]) -> Any:
    if isinstance(cond, dict):
        return {k: (list(types) if k == "resource_types" else _retype(v, types)) for k, v in cond.items()}
    if isinstance(cond, list):
        return [_retype(c, types) for c in cond]
    return cond


def _flatten(cond: Any) -> Any:
    """{and: [a, {and: [b, c]}]} -> {and: [a, b, c]} (checkov drops some nested same-kind groups)."""
    for key in ("and", "or"):
        if key in cond:
            items: list = []
            for child in (_flatten(c) for c in cond[key]):
                items += child[key] if key in child else [child]
            return items[0] if len(items) == 1 else {key: items}
    return cond


def _definitions(rule: Rule, framework: str, regions: list[str]) -> list[dict]:
    """One definition when the rule reads the same attributes on every type (resource_types merged:
    checkov evaluates each sub-condition of an `and` on every resource, so per-type branches
    cannot be joined), else one per type."""
    per_type: dict[str, dict] = {}
    for model_type in rule.resource_types:
        if model_type not in TYPES:
            raise NotExportable(f"{model_type} has no Terraform/CloudFormation twin here")
        if framework == "cloudformation" and model_type in CFN_HAS_NO_TYPE:
            continue
        cond = _translate(rule.condition, model_type, framework, regions)
        if rule.when is not None:
            cond = {"or": [_negate(_translate(rule.when, model_type, framework, regions)), cond]}
        per_type[model_type] = _flatten(cond)
    if not per_type:
        raise NotExportable(f"no {framework} resource type")
    shapes = {json.dumps(_retype(c, []), sort_keys=True) for c in per_type.values()}
    if len(shapes) == 1:
        column = 0 if framework == "terraform" else 1
        types = [TYPES[t][column] for t in per_type]
        return [_retype(next(iter(per_type.values())), types)]
    return list(per_type.values())


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass
class Export:
    policies: dict[str, dict] = field(default_factory=dict)     # file name -> policy document
    skipped: dict[str, str] = field(default_factory=dict)       # rule id -> reason
    rules: dict[str, Rule] = field(default_factory=dict)        # checkov id -> rule

    def write(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name, document in sorted(self.policies.items()):
            text = yaml.dump(document, Dumper=_NoAliases, sort_keys=False)
            (directory / name).write_text(text, encoding="utf-8")
        return directory


def export_rules(rules: list[Rule], locations: Locations, pinned_country: str) -> Export:
    """Every exportable rule as one Terraform and one CloudFormation policy (+ a provider policy for
    residency). The pinned country's regions come from the location catalogue."""
    regions = locations.regions_in(pinned_country)
    export = Export()
    for rule in rules:
        if not rule.checkov_export:
            export.skipped[rule.id] = "checkov.export is false in the rule file"
            continue
        try:
            docs = {fw: _definitions(rule, fw, regions) for fw in ("terraform", "cloudformation")}
        except NotExportable as exc:
            export.skipped[rule.id] = str(exc)
            continue
        base = policy_id(rule.id)
        for framework, definitions in docs.items():
            # One check id per framework (and per type when they differ): checkov keeps one
            # definition per id.
            prefix = base if framework == "terraform" else base.replace("CKV2_LUX_", "CKV2_LUXCFN_")
            for n, definition in enumerate(definitions, 1):
                check_id = prefix if len(definitions) == 1 else f"{prefix}_{n}"
                export.rules[check_id] = rule
                export.policies[f"{check_id}.yaml"] = {
                    "metadata": {"id": check_id, "name": f"{rule.id}: {rule.title}",
                                 "category": CHECKOV_CATEGORY[rule.category], "guideline": rule.clause_section},
                    "definition": definition,
                }
        if any(leaf_reads_region(rule)):
            check_id = f"{base}_PROVIDER"
            export.rules[check_id] = rule
            export.policies[f"{check_id}.yaml"] = {
                "metadata": {"id": check_id, "name": f"{rule.id}: {rule.title} (provider region)",
                             "category": CHECKOV_CATEGORY[rule.category], "guideline": rule.clause_section},
                "scope": {"provider": "aws"},
                "definition": _attr(["provider"], "region", "within", regions),
            }
    return export


def leaf_reads_region(rule: Rule):
    from luxguard.core.conditions import walk_properties

    for key in ("condition", "when"):
        cond = getattr(rule, key)
        if cond:
            for _, path in walk_properties(cond):
                yield path == "region"
