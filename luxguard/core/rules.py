"""Loading the rule catalogue: every file is checked against rules/schema.json and the model.

Rules are data (Cloud Custodian's lesson): a rule that names an unknown resource type or
property is refused when it loads, with the file and field, before anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from luxguard.core.conditions import walk_properties
from luxguard.core.datafiles import read_yaml, validate
from luxguard.core.errors import LuxguardError
from luxguard.core.messages import property_paths
from luxguard.core.packaged import rules_dir
from luxguard.resources import item_kind, property_kind, resource_types

RULES_DIR = rules_dir()   # the checkout's rules/, or the copy a wheel ships
DRIFT_RULES_DIR = RULES_DIR / "drift"     # the drift catalogue: same schema, `drift:` instead of `condition:`
SCHEMA = RULES_DIR / "schema.json"
EVERY_TYPE = "*"                          # drift rules only: a rule on every managed type


SOURCE_FORMS = ("pulumi", "terraform", "cloudformation")


@dataclass(frozen=True)
class Examples:
    """A rule's own compliant and violating programs, keyed by source form (pulumi, terraform,
    cloudformation); the catalogue's tests are generated from them, so a rule documents itself."""
    compliant: dict[str, str]
    violating: dict[str, str]
    # The exact rule ids the violating program fails, whatever its source form.
    fails: frozenset[str]


@dataclass(frozen=True)
class Fix:
    """Copy-pasteable fixes for the rule's failing resources (rendered by sinks/reports/hints.py)."""
    # resource type -> shell command templates, with {id} and {region} as the only placeholders
    cli: dict[str, tuple[str, ...]]
    # the change to make in the Pulumi program
    pulumi: Optional[str] = None


FIX_PLACEHOLDERS = ("id", "region")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    severity: str
    resource_types: tuple[str, ...]
    condition: dict
    message: str
    clause_section: str
    clause_quote: str
    gdpr: tuple[str, ...]
    remediation: str
    when: Optional[dict] = None
    action: Optional[dict] = None
    examples: Optional[Examples] = None
    fix: Optional[Fix] = None
    checkov_same_as: tuple[str, ...] = ()   # checkov checks saying the same thing (merged into this rule)
    drift: Optional[dict] = None           # drift rules: {"finding": change|missing|unmanaged, "compares": [...]}
    path: str = ""
    # Top-level property groups the rule reads: a collection error there makes it `error`.
    property_groups: frozenset[str] = field(default_factory=frozenset)
    # Every property path it reads (`encryption.kms_key_region`): an unknown path makes it `error`.
    property_paths: frozenset[str] = field(default_factory=frozenset)

    def reads(self, key: str) -> bool:
        """Whether the rule reads the property group or dotted path `key` (or something under it)."""
        return key in self.property_groups or any(p == key or p.startswith(key + ".") for p in self.property_paths)

    @property
    def clause(self) -> str:
        return self.clause_section


def _check_properties(document: dict, source: str) -> tuple[frozenset[str], frozenset[str]]:
    known_types = set(resource_types()) | ({EVERY_TYPE} if "drift" in document else set())
    for rtype in document["resource_types"]:
        if rtype not in known_types:
            raise LuxguardError(
                f"{source}: field resource_types: unknown resource type {rtype!r} "
                f"(known: {', '.join(sorted(known_types))})"
            )
    groups: set[str] = set()
    paths: set[str] = set()
    for path in document.get("drift", {}).get("compares", []):
        missing = [t for t in document["resource_types"] if property_kind(t, path) is None]
        if missing:
            raise LuxguardError(f"{source}: field drift.compares: unknown property {path!r} for {', '.join(missing)}")
        groups.add(path.split(".")[0])
        paths.add(path)
    for key in ("when", "condition"):
        if key not in document:
            continue
        for list_property, path in walk_properties(document[key]):
            if list_property is None:
                missing = [t for t in document["resource_types"] if property_kind(t, path) is None]
                if missing:
                    raise LuxguardError(
                        f"{source}: field {key}: unknown property {path!r} for {', '.join(missing)}"
                    )
                groups.add(path.split(".")[0])
                paths.add(path)
            elif item_kind(list_property, path) is None:
                raise LuxguardError(
                    f"{source}: field {key}: unknown property {path!r} of items of {list_property!r}"
                )
    for path in property_paths(document.get("message", ""), source):
        missing = [t for t in document["resource_types"] if property_kind(t, path) is None]
        if missing:
            raise LuxguardError(f"{source}: field message: unknown property {path!r} for {', '.join(missing)}")
    return frozenset(groups), frozenset(paths)


def _examples(document: dict, source: str) -> Optional[Examples]:
    if "examples" not in document:
        return None
    compliant, violating = document["examples"]["compliant"], document["examples"]["violating"]
    fails = frozenset(violating["fails"])
    if document["id"] not in fails:
        raise LuxguardError(f"{source}: field examples.violating.fails: must include the rule's own id {document['id']}")
    return Examples(compliant={form: compliant[form] for form in SOURCE_FORMS if form in compliant},
                    violating={form: violating[form] for form in SOURCE_FORMS if form in violating},
                    fails=fails)


def _fix(document: dict, source: str) -> Optional[Fix]:
    if "fix" not in document:
        return None
    cli = document["fix"].get("cli", {})
    for rtype, commands in cli.items():
        if rtype not in document["resource_types"]:
            raise LuxguardError(f"{source}: field fix.cli: {rtype} is not one of the rule's resource_types")
        for command in commands:
            unknown = sorted(set(_PLACEHOLDER.findall(command)) - set(FIX_PLACEHOLDERS))
            if unknown:
                raise LuxguardError(f"{source}: field fix.cli.{rtype}: unknown placeholder {{{unknown[0]}}} "
                                    f"(known: {', '.join('{' + p + '}' for p in FIX_PLACEHOLDERS)})")
    return Fix(cli={rtype: tuple(commands) for rtype, commands in cli.items()}, pulumi=document["fix"].get("pulumi"))


def _check_patterns(node: Any, source: str, field_name: str) -> None:
    """Every `matches` pattern compiles, so a bad regex is refused at load, not mid-scan."""
    if isinstance(node, list):
        for child in node:
            _check_patterns(child, source, field_name)
    elif isinstance(node, dict):
        if isinstance(node.get("matches"), str):
            try:
                re.compile(node["matches"])
            except re.error as exc:
                raise LuxguardError(f"{source}: field {field_name}: invalid regular expression "
                                    f"{node['matches']!r} ({exc})") from None
        for child in node.values():
            _check_patterns(child, source, field_name)


def parse_rule(document: Any, source: str) -> Rule:
    """Validate one rule document (schema, then model) and build the Rule."""
    validate(document, SCHEMA, source)
    groups, paths = _check_properties(document, source)
    for key in ("when", "condition"):
        _check_patterns(document.get(key), source, key)
    return Rule(
        id=document["id"],
        title=document["title"],
        category=document.get("category", ""),   # drift rules may take it from the resource type
        severity=document["severity"],
        resource_types=tuple(document["resource_types"]),
        condition=document.get("condition", {}),
        when=document.get("when"),
        message=document.get("message", ""),
        clause_section=document["clause"]["section"],
        clause_quote=document["clause"].get("quote", ""),
        gdpr=tuple(document.get("gdpr", ())),
        remediation=document["remediation"].strip(),
        action=document.get("action"),
        examples=_examples(document, source),
        fix=_fix(document, source),
        checkov_same_as=tuple(document.get("checkov", {}).get("same_as", ())),
        drift=document.get("drift"),
        path=source,
        property_groups=groups,
        property_paths=paths,
    )


def rule_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise LuxguardError(f"{directory}: rules directory not found")
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))


def load_rules(extra_dirs: Iterable[Path] = (), include_builtin: bool = True) -> list[Rule]:
    """The built-in catalogue plus extra folders; a duplicate id is an error naming both files.
    Only files directly in a folder are read (the drift catalogue is rules/drift/)."""
    directories = ([RULES_DIR] if include_builtin else []) + [Path(d) for d in extra_dirs]
    return _load(directories, drift=False)


def load_drift_rules() -> list[Rule]:
    """The drift catalogue (rules/drift/), read with the same schema and checks."""
    return _load([DRIFT_RULES_DIR], drift=True)


def _load(directories: list[Path], drift: bool) -> list[Rule]:
    rules: dict[str, Rule] = {}
    for directory in directories:
        for path in rule_files(directory):
            rule = parse_rule(read_yaml(path), str(path))
            if rule.drift is not None and not drift:
                raise LuxguardError(f"{path}: field drift: a drift rule; drift rules live in {DRIFT_RULES_DIR}")
            if rule.drift is None and drift:
                raise LuxguardError(f"{path}: field drift: missing (every rule in {DRIFT_RULES_DIR} is a drift rule)")
            if rule.id in rules:
                raise LuxguardError(f"{path}: field id: {rule.id} is already defined in {rules[rule.id].path}")
            rules[rule.id] = rule
    return sorted(rules.values(), key=lambda r: r.id)


def find_rule(rules: list[Rule], rule_id: str) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    raise LuxguardError(f"unknown rule id {rule_id!r} (see `luxguard rules list`)")

