"""luxguard as a Pulumi CrossGuard policy pack: one stack policy per catalogue rule.

Why stack policies: rules read folded properties (a bucket's encryption, public access block and
policy are separate child resources), so a per-resource view cannot judge a bucket. Each policy
turns the stack's resources back into a luxguard `Capture` and runs `luxguard check`'s own
`check_capture` on it, so the pack and the CLI share the catalogue, normaliser and engine and
cannot disagree. The evaluation is done once per stack and shared by all the policies.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional

import pulumi.runtime
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import proxy as policy_proxy
from pulumi_policy.secret import Secret

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Finding, Status
from luxguard.pipeline import Settings, check_capture
from luxguard.sources.pulumi_capture import PHYSICAL_NAME_INPUT, Capture, CapturedResource
from luxguard.core.rules import Rule

PACK_NAME = "luxguard"
ENFORCEMENT_ENV = "LUXGUARD_ENFORCEMENT"            # e.g. "critical=mandatory,medium=disabled,LUX-LOG-001=advisory"
ENFORCEMENT_FILE_ENV = "LUXGUARD_ENFORCEMENT_FILE"  # YAML mapping with the same keys and levels
PINNED_ENV = "LUXGUARD_PINNED_COUNTRY"              # like `luxguard check --pinned-country`
RULE_DIRS_ENV = "LUXGUARD_RULE_DIRS"                # like `--rules`, os.pathsep-separated
APPROVALS_ENV = "LUXGUARD_APPROVALS"                # like `--approvals FILE`
WAIVERS_ENV = "LUXGUARD_WAIVERS"                    # like `--waivers FILE`
AS_OF_ENV = "LUXGUARD_AS_OF"                        # like `--as-of YYYY-MM-DD` (default: today)

DEFAULT_ENFORCEMENT = {
    "critical": EnforcementLevel.MANDATORY,
    "high": EnforcementLevel.MANDATORY,
    "medium": EnforcementLevel.ADVISORY,
    "low": EnforcementLevel.ADVISORY,
}
UNKNOWNS = frozenset({
    policy_proxy.UNKNOWN_BOOLEAN_VALUE, policy_proxy.UNKNOWN_NUMBER_VALUE, policy_proxy.UNKNOWN_STRING_VALUE,
    policy_proxy.UNKNOWN_ARRAY_VALUE, policy_proxy.UNKNOWN_ASSET_VALUE, policy_proxy.UNKNOWN_ARCHIVE_VALUE,
    policy_proxy.UNKNOWN_OBJECT_VALUE,
})


# --- settings from the environment -----------------------------------------------------------

def settings_from_env(environ: Mapping[str, str] = os.environ) -> Settings:
    """The same Settings `luxguard check` builds from --rules, --pinned-country, --approvals,
    --waivers and --as-of; every file is validated here, before any stack is judged."""
    dirs = tuple(Path(d) for d in environ.get(RULE_DIRS_ENV, "").split(os.pathsep) if d)
    as_of = environ.get(AS_OF_ENV)
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise LuxguardError(f"{AS_OF_ENV}={as_of!r}: not a date (YYYY-MM-DD)") from None
    settings = Settings(rule_dirs=dirs, pinned_country=environ.get(PINNED_ENV) or None,
                        approvals_file=Path(environ[APPROVALS_ENV]) if environ.get(APPROVALS_ENV) else None,
                        waivers_file=Path(environ[WAIVERS_ENV]) if environ.get(WAIVERS_ENV) else None, as_of=day)
    settings.validate_inputs()
    return settings


def _level(value: Any, where: str) -> EnforcementLevel:
    try:
        return EnforcementLevel(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(level.value for level in EnforcementLevel)
        raise LuxguardError(f"{where}: unknown enforcement level {value!r} (use {choices})") from None


def parse_enforcement(text: str, where: str = ENFORCEMENT_ENV) -> dict[str, EnforcementLevel]:
    """'critical=mandatory, LUX-LOG-001=disabled' -> {'critical': MANDATORY, 'lux-log-001': DISABLED}."""
    levels: dict[str, EnforcementLevel] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise LuxguardError(f"{where}: expected KEY=LEVEL, got {item!r}")
        levels[key.strip().lower()] = _level(value, where)
    return levels


def enforcement_overrides(environ: Mapping[str, str] = os.environ) -> dict[str, EnforcementLevel]:
    """File first, then the inline variable, so a one-off override beats the team's file."""
    levels: dict[str, EnforcementLevel] = {}
    path = environ.get(ENFORCEMENT_FILE_ENV)
    if path:
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise LuxguardError(f"{path}: cannot read enforcement file: {exc}") from None
        if not isinstance(document, dict):
            raise LuxguardError(f"{path}: enforcement file must map severities or rule ids to levels")
        levels.update({str(k).lower(): _level(v, path) for k, v in document.items()})
    levels.update(parse_enforcement(environ.get(ENFORCEMENT_ENV, "")))
    return levels


def enforcement_for(rule: Rule, overrides: Mapping[str, EnforcementLevel]) -> EnforcementLevel:
    """A rule id beats its severity, which beats the default for that severity."""
    return overrides.get(rule.id.lower()) or overrides.get(rule.severity) or DEFAULT_ENFORCEMENT[rule.severity]


# --- PolicyResource -> CapturedResource ------------------------------------------------------

def _plain(value: Any) -> Any:
    """Unwrap pulumi_policy's unknown-checking and secret proxies into plain data."""
    if isinstance(value, (policy_proxy._DictProxy, policy_proxy._ListProxy)):  # noqa: SLF001 - no public unwrap
        value = value["__target"]
    if isinstance(value, Secret):
        value = value.value
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(item) for item in value]
    return value


def _known(value: Any) -> bool:
    return not (isinstance(value, str) and value in UNKNOWNS)


# Inputs that refer to another resource (bucket=b.id, kmsMasterKeyId=key.arn, ...): during a
# preview their unknown value is the resource they depend on. Any other unknown value (a policy
# document built with .apply) is genuinely unknown.
_REFERENCE_KEY = re.compile(r"(id|arn|bucket|bucketname)$", re.IGNORECASE)


def _fill_unknowns(value: Any, replacement: Optional[str], key: str = "",
                   unresolved: Optional[list[bool]] = None) -> Any:
    """Replace preview unknowns: a reference by the one resource it depends on, anything else by
    None; `unresolved` records whether any value stayed unknown."""
    if isinstance(value, dict):
        return {k: _fill_unknowns(v, replacement, k, unresolved) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_unknowns(v, replacement, key, unresolved) for v in value]
    if _known(value):
        return value
    if replacement is not None and _REFERENCE_KEY.search(key):
        return replacement
    if unresolved is not None:
        unresolved.append(True)
    return None


def physical_id(resource_type: str, name: str, props: Mapping[str, Any]) -> str:
    """The id children use to refer to a resource, as the capture's mock ids are chosen."""
    for candidate in (props.get("id"), props.get(PHYSICAL_NAME_INPUT.get(resource_type, ""))):
        if isinstance(candidate, str) and candidate and _known(candidate):
            return candidate
    return name


def to_captured(resource: PolicyResource, ids: Mapping[str, str]) -> CapturedResource:
    """One stack resource as the capture would have recorded it (`ids`: urn -> physical id)."""
    props = _plain(resource.props)
    dependencies = getattr(resource, "property_dependencies", None) or {}
    inputs: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in props.items():
        deps = [ids.get(d.urn) for d in dependencies.get(key, [])]
        unresolved: list[bool] = []
        inputs[key] = _fill_unknowns(value, deps[0] if len(deps) == 1 else None, key, unresolved)
        if unresolved:
            unknown.append(key)
    parent = resource.parent.urn if resource.parent is not None else getattr(resource.opts, "parent", None)
    return CapturedResource(
        urn=resource.urn, type=resource.resource_type, name=resource.name,
        id=ids.get(resource.urn) or physical_id(resource.resource_type, resource.name, props), inputs=inputs,
        provider=resource.provider.urn if resource.provider is not None else None, parent=parent or None,
        unknown_inputs=sorted(unknown),
    )


def stack_config() -> dict[str, Any]:
    """The stack config the CLI hands the pack (PULUMI_CONFIG), e.g. aws:region for default providers."""
    return dict(pulumi.runtime.get_config_env())


def capture_from_stack(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Capture:
    """The stack as a luxguard Capture; providers only seen as `resource.provider` are added so that
    their region reaches the normaliser exactly as a captured provider's would."""
    ids = {r.urn: physical_id(r.resource_type, r.name, _plain(r.props)) for r in resources}
    captured = {r.urn: to_captured(r, ids) for r in resources}
    for r in resources:
        provider = r.provider
        if provider is not None and provider.urn not in captured:
            captured[provider.urn] = CapturedResource(
                urn=provider.urn, type=provider.resource_type, name=provider.name, id=provider.name,
                inputs=_fill_unknowns(_plain(provider.props), None))
    return Capture(project=os.environ.get("PULUMI_PROJECT", ""), stack=os.environ.get("PULUMI_STACK", ""),
                   config=dict(config), resources=sorted(captured.values(), key=lambda c: c.urn))


# --- evaluation shared by all policies -------------------------------------------------------

class StackEvaluator:
    """Runs `check_capture` once per distinct stack and hands each policy its rule's failures."""

    def __init__(self, settings: Settings, config: Callable[[], Mapping[str, Any]] = stack_config):
        self._settings = settings
        self._config = config
        self._lock = threading.Lock()
        self._last: tuple[str, dict[str, list[Finding]]] = ("", {})

    def failures(self, resources: Sequence[PolicyResource]) -> dict[str, list[Finding]]:
        capture = capture_from_stack(resources, self._config())
        fingerprint = hashlib.sha256(capture.to_json().encode()).hexdigest()
        with self._lock:
            if self._last[0] != fingerprint:
                by_rule: dict[str, list[Finding]] = {}
                for finding in check_capture(capture, self._settings).findings:
                    if finding.status == Status.FAIL:
                        by_rule.setdefault(finding.rule_id, []).append(finding)
                self._last = (fingerprint, by_rule)
            return self._last[1]


def violation_message(finding: Finding) -> str:
    return (f"{finding.rule_id} ({finding.severity}): {finding.message}\n"
            f"Privacy policy clause: {finding.clause}\nRemediation: {finding.remediation}")


def _validator(rule_id: str, evaluator: StackEvaluator) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for finding in evaluator.failures(args.resources).get(rule_id, []):
            report_violation(violation_message(finding), finding.resource.urn or None)
    return validate


def build_policies(settings: Optional[Settings] = None,
                   environ: Mapping[str, str] = os.environ,
                   config: Callable[[], Mapping[str, Any]] = stack_config) -> list[StackValidationPolicy]:
    """One StackValidationPolicy per catalogue rule, named after the rule id (lowercased)."""
    settings = settings or settings_from_env(environ)
    overrides = enforcement_overrides(environ)
    evaluator = StackEvaluator(settings, config)
    return [
        StackValidationPolicy(
            name=rule.id.lower(),
            description=rule.title,
            validate=_validator(rule.id, evaluator),
            enforcement_level=enforcement_for(rule, overrides),
            display_name=f"{rule.id} {rule.title}",
            severity=Severity(rule.severity),
            tags=[rule.category, *rule.gdpr],
            remediation_steps=rule.remediation,
        )
        for rule in settings.rules()
    ]
