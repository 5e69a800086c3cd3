"""Drift: a stack's recorded state against the live cloud.

The declared model is the state's resources through the same `normalise` as `luxguard check`;
the live model is `scanners.collect` over the regions the state's resources are in. Each
managed resource is found live by (type, id) and its security-relevant properties compared.
Three kinds of drift finding (all `source: "drift"`, status `fail`):

- a property changed by hand: `drift = {"property", "declared", "actual"}`;
- a managed resource deleted by hand: `drift = {"kind": DriftKind.MISSING.value}`;
- a live resource no given state manages: `drift = {"kind": DriftKind.UNMANAGED.value}`.

Rule ids, the properties each compares, the control each protects (`category`), severities,
clause and remediation are rule files in rules/drift/ (the rule schema's `drift:` form); what a
type's deletion takes away and which values are the safer ones are in its descriptor. A change that makes a resource *stricter* than
declared (e.g. a public access block flag turned on by hand) is still drift, reported at
severity `low`: the next `pulumi up` would undo it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Iterable, Mapping, Optional

from luxguard.core.errors import LuxguardError
from luxguard.core.listing import ListingFailure, covering
from luxguard.core.locations import Locations
from luxguard.core.model import Finding, Resource, Status, sort_findings
from luxguard.core.rules import DRIFT_RULES_DIR, EVERY_TYPE, Rule, load_drift_rules
from luxguard.pipeline import Settings
from luxguard.resources import ResourceType, all_types, by_cfn_type
from luxguard.sinks.outputs import Report
from luxguard.sources.pulumi_normalise import normalise
from luxguard.core.security_group_rules import sort_rules
from luxguard.sources.state import StackState

class DriftKind(str, Enum):
    """What a drift rule reports (the rule file's `drift.finding`)."""

    CHANGE = "change"          # a property changed by hand
    MISSING = "missing"        # a managed resource deleted by hand
    UNMANAGED = "unmanaged"    # a live resource no given state manages


@dataclass(frozen=True)
class DriftRule:
    rule_id: str
    types: tuple[str, ...]
    properties: tuple[str, ...]
    category: str
    severity: str
    title: str
    kind: DriftKind = DriftKind.CHANGE
    clause: str = ""
    remediation: str = ""


def _drift_rule(rule: Rule) -> DriftRule:
    spec = rule.drift or {}
    return DriftRule(rule.id, rule.resource_types, tuple(spec.get("compares", ())), rule.category, rule.severity,
                     rule.title, DriftKind(spec["finding"]), rule.clause_section, rule.remediation)


def _catalogue() -> dict[DriftKind, tuple[DriftRule, ...]]:
    rules = [_drift_rule(r) for r in load_drift_rules()]
    by_kind = {kind: tuple(r for r in rules if r.kind == kind) for kind in DriftKind}
    for kind in (DriftKind.MISSING, DriftKind.UNMANAGED):
        if len(by_kind[kind]) != 1:
            raise LuxguardError(f"{DRIFT_RULES_DIR}: exactly one drift rule must report `{kind.value}` "
                                f"(found {len(by_kind[kind])})")
    return by_kind


# The drift catalogue: rules/drift/*.yaml (same schema and loader as the rules `check` evaluates).
_BY_KIND = _catalogue()
DRIFT_RULES: tuple[DriftRule, ...] = _BY_KIND[DriftKind.CHANGE]
(MISSING,), (UNMANAGED,) = _BY_KIND[DriftKind.MISSING], _BY_KIND[DriftKind.UNMANAGED]
# Types compared and searched for unmanaged resources: those whose descriptor has a drift part.
MANAGED_TYPES = tuple(d.cfn_type for d in all_types() if d.drift is not None and d.live is not None)


def rules_for(resource_type: str) -> list[DriftRule]:
    return [r for r in DRIFT_RULES if EVERY_TYPE in r.types or resource_type in r.types]


# --------------------------------------------------------------------------- comparing values

def _key_ref(value: Any) -> Any:
    """A KMS key named by ARN or by id compare equal ('arn:...:key/ID' ~ 'ID')."""
    if isinstance(value, str) and value.startswith("arn:aws:kms:") and ":key/" in value:
        return value.rsplit(":key/", 1)[1]
    return value


def _rule_atoms(rules: Optional[list[dict]]) -> set[tuple]:
    """Rules as (protocol, from, to, source) atoms: AWS may split or merge rules, atoms don't move."""
    atoms = set()
    for rule in rules or []:
        ports = tuple(rule.get("ports") or (None, None))
        for source in rule.get("sources") or ["(none)"]:
            atoms.add((rule.get("protocol"), ports[0], ports[1], source))
    return atoms


def _atom_text(atom: tuple) -> str:
    protocol, low, high, source = atom
    if protocol == "-1":
        return f"all traffic {source}"
    ports = "" if low is None else (f" {low}" if low == high else f" {low}-{high}")
    return f"{protocol}{ports} {source}"


def _grant_atoms(grants: Optional[list[dict]], owner: Optional[str]) -> set[str]:
    """Grants as "who: action" atoms: statement ids and how statements are split or merged (which
    AWS may rewrite) do not move them; a caller gaining or losing an action does. Grants to the
    owning account alone are left out: AWS writes them itself (the default SNS topic policy, a
    key's root statement) and the account's IAM policies decide who there may call; drift of a
    resource policy is about who else may."""
    atoms = set()
    for grant in grants or []:
        constraints = [[str(v) for v in c] for c in grant.get("constraints") or []]
        if owner and constraints and all(c == ["account", owner] for c in constraints):
            continue
        who = " & ".join(sorted(" ".join(c) for c in constraints)) or "anyone"
        atoms.update(f"{who}: {action}" for action in grant.get("actions") or ())
    return atoms


def _owner(resource: Resource) -> Optional[str]:
    """The account in the live resource's ARN (None when it has no account field)."""
    parts = str(resource.arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _safer(resource_type: str) -> Mapping[str, Any]:
    """The safe value of each property of the type (a change towards it is "stricter than declared")."""
    descriptor = by_cfn_type(resource_type)
    return descriptor.drift.safer if descriptor and descriptor.drift else {}


def _comparable(resource_type: str, path: str, value: Any) -> Any:
    if path.endswith("kms_key_id"):
        return _key_ref(value)
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if path in _safer(resource_type):
        return bool(value) if value is not None else False
    return value


def _differences(declared: Resource, live: Resource, rule: DriftRule) -> Iterable[tuple[str, dict[str, Any], bool]]:
    """(property, drift details, stricter) for each property of `rule` that differs."""
    for path in rule.properties:
        if path in ("ingress", "egress"):
            want, have = _rule_atoms(declared.get(path)), _rule_atoms(live.get(path))
            if want != have:
                added, removed = sorted(have - want), sorted(want - have)
                # declared/actual in the model's rule shape (what the enforcer reads), plus text for people
                yield path, {"property": path,
                             "declared": sort_rules(list(declared.get(path) or [])),
                             "actual": sort_rules(list(live.get(path) or [])),
                             "added": [_atom_text(a) for a in added],
                             "removed": [_atom_text(a) for a in removed]}, not added
            continue
        if path.endswith(".grants"):
            if declared.get(path) is None:     # no policy declared (a KMS key's default): nothing to hold to
                continue
            owner = _owner(live)
            want_atoms, have_atoms = _grant_atoms(declared.get(path), owner), _grant_atoms(live.get(path), owner)
            if want_atoms != have_atoms:
                added, removed = sorted(have_atoms - want_atoms), sorted(want_atoms - have_atoms)
                yield path, {"property": path, "declared": sorted(want_atoms), "actual": sorted(have_atoms),
                             "added": added, "removed": removed}, not added
            continue
        if path == "region":
            want, have = declared.region, live.region
        else:
            want, have = declared.get(path), live.get(path)
        if _comparable(declared.type, path, want) == _comparable(declared.type, path, have):
            continue
        safer = _safer(declared.type)
        stricter = path in safer and have == safer[path]
        yield path, {"property": path, "declared": want, "actual": have}, stricter


# --------------------------------------------------------------------------- findings

class DriftDetector:
    """Compare declared resources (one or more stacks) with one live collection."""

    def __init__(self, locations: Locations, pinned_country: str):
        self.locations = locations     # both from the run's Settings, the one place that resolves them
        self.pinned = pinned_country

    def _finding(self, rule: DriftRule, resource: Resource, message: str, drift: dict[str, Any],
                 category: Optional[str] = None, severity: Optional[str] = None,
                 status: Status = Status.FAIL) -> Finding:
        resource.properties["country"] = self.locations.country_of(resource.region)
        return Finding(rule_id=rule.rule_id, category=category or rule.category, severity=severity or rule.severity,
                       status=status, resource=resource, message=message, title=rule.title,
                       remediation=rule.remediation, drift=drift, clause=rule.clause)

    def compare(self, declared: list[Resource], live: list[Resource], failures: list[ListingFailure],
                scanned_regions: list[str]) -> tuple[list[Finding], list[str]]:
        findings: list[Finding] = []
        notes: list[str] = []
        live_index = {(r.type, r.id): r for r in live}
        managed = {(r.type, r.id) for r in declared}
        for want in declared:
            if want.type not in MANAGED_TYPES:
                continue
            have = live_index.get((want.type, want.id))
            descriptor = _descriptor(want.type)
            if have is None:
                failure = covering(failures, want.type, want.region)
                if failure is not None:
                    findings.append(self._finding(
                        MISSING, copy.deepcopy(want), f"{_kind(want.type)} {want.id}: could not check whether it "
                        f"still exists ({failure.code}: {failure.message})", {"kind": DriftKind.MISSING.value},
                        category=descriptor.drift.missing_category, status=Status.ERROR))
                    continue
                findings.append(self._finding(
                    MISSING, copy.deepcopy(want), f"{_kind(want.type)} {want.id} is declared by the stack "
                    f"but no longer exists (deleted outside Pulumi)", {"kind": DriftKind.MISSING.value},
                    category=descriptor.drift.missing_category))
                continue
            have = copy.deepcopy(have)
            have.urn = want.urn
            for rule in rules_for(want.type):
                # A property that could not be read is undecided, whether or not the rest differs.
                unread = [p for p in rule.properties if p.split(".")[0] in have.collection_errors]
                for path in unread:
                    findings.append(self._finding(
                        rule, have, f"{_kind(want.type)} {want.id}: could not read {path} to compare "
                        f"({have.collection_errors[path.split('.')[0]]})",
                        {"property": path, "declared": want.region if path == "region" else want.get(path),
                         "actual": None}, status=Status.ERROR))
                for path, drift, stricter in _differences(want, have, rule):
                    if path not in unread:
                        findings.append(self._finding(
                            rule, have, _change_message(want, path, drift, stricter), drift,
                            severity="low" if stricter else None))
        for res in live:
            if res.type not in MANAGED_TYPES or (res.type, res.id) in managed:
                continue
            descriptor = _descriptor(res.type)
            if not descriptor.drift.manageable(res):
                continue
            if descriptor.live.scope != "global" and res.region not in scanned_regions:
                continue
            country = self.locations.country_of(res.region)
            outside = country != self.pinned
            where = f"{res.region} ({country or 'unknown country'})"
            message = (f"{_kind(res.type)} {res.id} in {where} is not managed by any given stack"
                       + (f"; it is outside {self.pinned}" if outside else ""))
            findings.append(self._finding(UNMANAGED, copy.deepcopy(res), message, {"kind": DriftKind.UNMANAGED.value},
                                          category="residency" if outside else "access"))
        for failure in failures:
            if failure.resource_type in MANAGED_TYPES:   # unmanaged resources there cannot be found either
                finding = self._finding(
                    UNMANAGED, failure.resource(), f"could not list {failure.describe()}: resources no stack "
                    f"manages cannot be found there", {"kind": DriftKind.UNMANAGED.value}, category="access",
                    status=Status.ERROR)
                finding.extra["listing"] = failure.to_dict()
                findings.append(finding)
            notes.append(f"could not list {failure.describe()}")
        return sort_findings(findings), notes


def _descriptor(resource_type: str) -> ResourceType:
    """The descriptor of a managed type (drift and live parts present)."""
    descriptor = by_cfn_type(resource_type)
    assert descriptor is not None and descriptor.drift is not None and descriptor.live is not None
    return descriptor


def _kind(resource_type: str) -> str:
    descriptor = by_cfn_type(resource_type)
    return descriptor.kind if descriptor else resource_type


def _show(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):                  # as the findings JSON and the report show it, not Python's True
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    return str(value)


def _change_message(want: Resource, path: str, drift: dict[str, Any], stricter: bool) -> str:
    head = f"{_kind(want.type)} {want.id}: {path}"
    if "added" in drift:          # rule atoms (security groups) or grant atoms (policies, shares)
        parts = []
        if drift["added"]:
            parts.append("added by hand: " + ", ".join(drift["added"]))
        if drift["removed"]:
            parts.append("removed by hand: " + ", ".join(drift["removed"]))
        what = " rules" if path in ("ingress", "egress") else ""
        text = f"{head}{what} differ from the stack ({'; '.join(parts)})"
    else:
        text = f"{head} is {_show(drift['actual'])}, the stack declares {_show(drift['declared'])}"
    return text + (" (stricter than declared; `pulumi up` would revert it)" if stricter else "")


# --------------------------------------------------------------------------- the stage

def declared_resources(states: list[StackState]) -> list[Resource]:
    resources: list[Resource] = []
    for state in states:
        try:
            resources.extend(normalise(state.capture))
        except LuxguardError as exc:      # name the state file the resource came from
            raise LuxguardError(f"{state.where}: {exc}") from None
    return resources


def state_regions(resources: list[Resource], default: str) -> list[str]:
    regions = sorted({r.region for r in resources if r.region})
    return regions or [default]


def run_drift(states: list[StackState], settings: Settings, endpoint_url: Optional[str] = None,
              profile: Optional[str] = None, workers: int = 8,
              progress: Callable[[str], None] = lambda _m: None) -> tuple[Report, str]:
    """Collect the live resources in the states' regions and compare; returns (report, target)."""
    from scanners import collect, open_session

    declared = declared_resources(states)
    home = settings.home()
    regions = state_regions(declared, home)
    session = open_session(profile, regions[0] if regions else home)
    result = collect(session, regions, endpoint_url, max_workers=workers, progress=progress)
    detector = DriftDetector(settings.locations(), settings.pinned())
    findings, notes = detector.compare(declared, result.resources, result.failures, regions)
    report = Report(source="drift", findings=findings, resources=len([r for r in declared if r.type in MANAGED_TYPES]),
                    notes=notes)
    stacks = ",".join(sorted({s.target for s in states}))
    target = f"{stacks}@{endpoint_url or 'aws'}#{result.account_id or 'unknown'}"
    return report, target
