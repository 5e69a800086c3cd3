"""The enforcer's building blocks: planned changes, the action registry, the run context.

Actions are small classes registered by name (Cloud Custodian style). Each one declares the
JSON Schema of its options and the resource types it repairs, and has three steps:

- `read(resource, ctx)`: the current configuration (read-only calls), for the plan and the
  audit log's before/after;
- `compute(finding, current, ctx)`: the exact change that makes the rule pass, or None when
  there is nothing to do (idempotence); raise `Blocked` when it must not run;
- `apply(change, ctx)`: execute the planned API calls, nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import jsonschema
from botocore import xform_name

from luxguard.core.errors import LuxguardError
from luxguard.core.external_access import TrustedZone
from luxguard.core.locations import Locations
from luxguard.core.model import Finding, Resource


class Blocked(Exception):
    """The change must not run (e.g. no designated key); the message says why, for people."""


@dataclass
class ApiCall:
    """One mutating API call exactly as it will be made."""

    service: str                 # boto3 service name: s3, ec2, kms, rds, dynamodb
    region: str
    operation: str               # API name, e.g. PutBucketEncryption
    params: dict[str, Any]

    def describe(self) -> str:
        return f"{self.service}.{self.operation}({json.dumps(self.params, sort_keys=True, default=str)}) [{self.region}]"

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "region": self.region, "operation": self.operation, "params": self.params}


@dataclass
class PlannedChange:
    """What one action will do to one resource for one finding."""

    action: str
    finding: Finding
    calls: list[ApiCall] = field(default_factory=list)
    before: Any = None           # configuration now (as read)
    after: Any = None            # configuration the calls produce
    diff: list[str] = field(default_factory=list)
    blocked: str | None = None  # why it will not run
    # Changes found but deliberately not made (external grants without --remove-external-grants),
    # each the exact change: a change with no calls and only these is reported, never applied.
    kept: list[str] = field(default_factory=list)

    @property
    def resource(self) -> Resource:
        return self.finding.resource

    def to_dict(self) -> dict[str, Any]:
        r = self.resource
        return {"rule_id": self.finding.rule_id, "resource": {"type": r.type, "id": r.id, "region": r.region,
                                                              "arn": r.arn},
                "source": "drift" if self.finding.drift else "rule", "action": self.action,
                "calls": [c.to_dict() for c in self.calls], "diff": self.diff, "before": self.before,
                "after": self.after, "blocked": self.blocked, "kept": self.kept}


@dataclass
class DesignatedKey:
    """The Luxembourg KMS key S3 default encryption must use (`--kms-key`); never guessed."""

    arn: str
    region: str | None
    problem: str | None = None   # why it cannot be used (unknown key, outside the pinned country...)


@dataclass
class EnforceContext:
    clients: Any                 # scanners.clients.ClientFactory
    locations: Locations
    pinned: str = "LU"
    kms_key: DesignatedKey | None = None
    quarantine: bool = False
    today: date = field(default_factory=date.today)

    _key_checks: dict = field(default_factory=dict)
    key_checker: Any = None      # callable(arn) -> DesignatedKey, for keys a drift repair restores
    # Who may be granted access: the scanned account(s) and their organization; approved
    # processors' accounts come per finding (an approval's scope, data categories and dates).
    trusted_zone: TrustedZone = field(default_factory=TrustedZone)
    approved_accounts: Any = None    # callable(Finding) -> frozenset of account ids, or None
    remove_external_grants: bool = False   # --remove-external-grants: foreign grants go too

    def zone_for(self, finding: Finding) -> tuple[TrustedZone, TrustedZone]:
        """(the trusted zone, the zone with the finding's approved processors added) for its resource."""
        own = {finding.resource.account} if finding.resource.account else set()
        zone = TrustedZone(self.trusted_zone.accounts | own, self.trusted_zone.organizations)
        approved = self.approved_accounts(finding) if self.approved_accounts else frozenset()
        return zone, TrustedZone(zone.accounts | approved, zone.organizations)

    def check_key(self, arn: str) -> DesignatedKey:
        """A declared key (drift) gets the same checks as --kms-key, once per run."""
        if self.kms_key is not None and arn == self.kms_key.arn:
            return self.kms_key
        if arn not in self._key_checks:
            self._key_checks[arn] = self.key_checker(arn) if self.key_checker else DesignatedKey(
                arn, None, "cannot verify the key")
        return self._key_checks[arn]

    def client(self, service: str, region: str | None) -> Any:
        return self.clients.client(service, region or "us-east-1")

    def country(self, region: str | None) -> str:
        return self.locations.country_of(region) or "unknown country"


class Action:
    """Base class: subclasses set `name`, `resource_types`, `schema` and implement the steps."""

    name: ClassVar[str] = ""
    resource_types: ClassVar[tuple[str, ...]] = ()
    schema: ClassVar[dict] = {"type": "object", "additionalProperties": False, "properties": {}}
    # Turning the finding into a pass is the goal; residency tagging only records (False).
    resolves_finding: ClassVar[bool] = True
    # The cloud applies the change later (RDS): a finding still failing right after is "pending".
    asynchronous: ClassVar[bool] = False

    def __init__(self, options: dict | None = None):
        self.options = dict(options or {})

    def read(self, resource: Resource, ctx: EnforceContext) -> Any:
        raise NotImplementedError

    def compute(self, finding: Finding, current: Any, ctx: EnforceContext) -> PlannedChange | None:
        raise NotImplementedError

    def plan(self, finding: Finding, ctx: EnforceContext) -> PlannedChange | None:
        """Read the current configuration and compute the change (None: nothing to do)."""
        return self.read_and_plan(finding, ctx)[1]

    def read_and_plan(self, finding: Finding, ctx: EnforceContext) -> tuple[Any, PlannedChange | None]:
        """(the configuration as read now, the change computed from it or None): applying needs
        what was read even when there is nothing to do, for the audit's before/after."""
        current = None
        try:
            current = self.read(finding.resource, ctx)
            change = self.compute(finding, current, ctx)
        except Blocked as reason:
            return current, PlannedChange(action=self.name, finding=finding, before=current, blocked=str(reason))
        if change is not None:
            change.before = current if change.before is None else change.before
        return current, change

    def change(self, finding: Finding, calls: list[ApiCall], after: Any, diff: list[str]) -> PlannedChange:
        return PlannedChange(action=self.name, finding=finding, calls=calls, after=after, diff=diff)

    def apply(self, change: PlannedChange, ctx: EnforceContext) -> None:
        """Make exactly the planned calls, in order; the first error stops this change."""
        for call in change.calls:
            client = ctx.client(call.service, call.region)
            getattr(client, xform_name(call.operation))(**call.params)


REGISTRY: dict[str, type[Action]] = {}


def register(cls: type[Action]) -> type[Action]:
    if not cls.name or cls.name in REGISTRY:
        raise RuntimeError(f"action {cls.name!r}: empty or registered twice")
    jsonschema.Draft202012Validator.check_schema(cls.schema)
    REGISTRY[cls.name] = cls
    return cls


def options_error(name: str, options: Any) -> str | None:
    """The first schema error of an action's options, as 'field: message'; None when valid."""
    validator = jsonschema.Draft202012Validator(REGISTRY[name].schema)
    errors = sorted(validator.iter_errors(options if options is not None else {}), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    where = ".".join(str(p) for p in errors[0].absolute_path)
    return f"{where + ': ' if where else ''}{errors[0].message}"


def make_action(name: str, options: dict | None = None) -> Action:
    _load_actions()
    if name not in REGISTRY:
        raise LuxguardError(f"unknown enforcer action {name!r} (known: {', '.join(sorted(REGISTRY))})")
    problem = options_error(name, options)
    if problem:
        raise LuxguardError(f"enforcer action {name}: invalid options: {problem}")
    return REGISTRY[name](options)


def validate_rule_actions(rules: list[Any]) -> None:
    """Every rule's `action`: a registered name, options valid for its schema, types it repairs.
    A LuxguardError names the rule file and field (exit 2 before anything runs)."""
    _load_actions()
    for rule in rules:
        if not rule.action:
            continue
        name = rule.action.get("name")
        source = rule.path or rule.id
        if name not in REGISTRY:
            raise LuxguardError(f"{source}: field action.name: unknown enforcer action {name!r} "
                                f"(known: {', '.join(sorted(REGISTRY))})")
        problem = options_error(name, rule.action.get("options"))
        if problem:
            raise LuxguardError(f"{source}: field action.options: {problem}")
        unsupported = [t for t in rule.resource_types if t not in REGISTRY[name].resource_types]
        if unsupported:
            raise LuxguardError(f"{source}: field action.name: {name} cannot repair {', '.join(unsupported)} "
                                f"(it repairs {', '.join(REGISTRY[name].resource_types)})")


def _load_actions() -> None:
    # registration side effects: the original actions, then one module per newer action
    from luxguard.actors.enforcer import (  # noqa: F401
        actions, default_security_group, kms_grants, policy_grants, snapshot_shares)
