"""Customers' written approvals (residency) and reviewed waivers (other rules).

A residency finding is compliant only while a recorded approval covers it: the resource is in
the approval's scope, every foreign place it reaches is an approved destination, its data
categories are approved, and today lies between grant and expiry. Waivers do the same for any
other rule. Waived findings stay in every output with the approval or waiver that waived them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from luxguard.core.conditions import walk_properties
from luxguard.core.datafiles import DATA_DIR, read_yaml, validate
from luxguard.core.errors import LuxguardError
from luxguard.core.schema_errors import summary
from luxguard.core.locations import Locations, unknown_countries
from luxguard.core.model import Finding, Status
from luxguard.core.rules import Rule, load_drift_rules

EXPIRY_WARNING_DAYS = 30


def _parse_date(value: Any) -> date:
    """A YAML date (unquoted 2026-12-31) or its text; the schema has already checked the form,
    so a ValueError here is a date that does not exist (2026-13-01)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _dates(entry: dict, names: tuple[str, ...], where: str, problems: list[str]) -> dict[str, date]:
    """The entry's dates; one that does not exist is a problem of the file, not a crash."""
    found = {}
    for name in names:
        try:
            found[name] = _parse_date(entry[name])
        except ValueError:
            problems.append(f"field {where}.{name}: \"{entry[name]}\" is not a date that exists (YYYY-MM-DD)")
    return found


def _refuse(source: str, problems: list[str]) -> None:
    """Every problem of the file in one line (the CLI's one-line refusal), if there is any."""
    if problems:
        raise LuxguardError(summary(source, problems))


@dataclass(frozen=True)
class Approval:
    id: str
    customer: str
    data_categories: frozenset[str]
    countries: frozenset[str]
    regions: frozenset[str]
    resource_ids: tuple[str, ...]
    name_patterns: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    document: str
    approved_by: str
    granted: date
    expires: date
    grantees: frozenset[str] = frozenset()   # destinations.accounts: a processor's accounts that may be granted access
    accounts: frozenset[str] = frozenset()   # empty: every account; else only findings in these (as a waiver's)

    def in_scope(self, finding: Finding) -> bool:
        resource = finding.resource
        if self.accounts and resource.account not in self.accounts:
            return False   # a finding of no known account is not in a named one: the approval does not apply
        names = [n for n in (resource.id, resource.properties.get("name"), resource.arn) if n]
        if resource.id in self.resource_ids or (resource.arn and resource.arn in self.resource_ids):
            return True
        if any(fnmatch.fnmatchcase(n, p) for n in names for p in self.name_patterns):
            return True
        tags = resource.properties.get("tags") or {}
        return bool(self.tags) and all(tags.get(k) == v for k, v in self.tags)

    def covers_destination(self, region: Optional[str], locations: Locations) -> bool:
        return region in self.regions or (locations.country_of(region) or "??") in self.countries

    def describe(self) -> dict[str, Any]:
        return {"kind": "approval", "id": self.id, "customer": self.customer, "document": self.document,
                "approved_by": self.approved_by, "granted": self.granted.isoformat(),
                "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class Waiver:
    id: str
    rule: str
    resource: str
    reason: str
    owner: str
    expires: date
    accounts: frozenset[str] = frozenset()   # empty: every account; else only findings in these

    def matches(self, finding: Finding) -> bool:
        names = [n for n in (finding.resource.id, finding.resource.arn) if n]
        if self.accounts and finding.resource.account not in self.accounts:
            return False   # a finding of no known account is not in a named one: the waiver does not apply
        return finding.rule_id == self.rule and any(fnmatch.fnmatchcase(n, self.resource) for n in names)

    def describe(self) -> dict[str, Any]:
        return {"kind": "waiver", "id": self.id, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat()}


def load_approvals(path: Path) -> list[Approval]:
    """An approvals file; every problem of the file (schema, dates, duplicates) at once."""
    source = str(path)
    document = validate(read_yaml(path), DATA_DIR / "approvals.schema.json", source)
    approvals, problems = [], []
    for i, entry in enumerate(document["approvals"]):
        dates = _dates(entry, ("granted", "expires"), f"approvals.{i}", problems)
        if len(dates) < 2:
            continue
        granted, expires = dates["granted"], dates["expires"]
        if expires <= granted:
            problems.append(f"field approvals.{i}.expires: {expires} is not after granted {granted}")
            continue
        scope, destinations = entry["scope"], entry["destinations"]
        approvals.append(Approval(
            id=entry["id"], customer=entry["customer"], data_categories=frozenset(entry["data_categories"]),
            countries=frozenset(destinations.get("countries", [])), regions=frozenset(destinations.get("regions", [])),
            grantees=frozenset(str(a) for a in destinations.get("accounts", [])),
            accounts=frozenset(entry.get("accounts", [])),
            resource_ids=tuple(scope.get("resource_ids", [])), name_patterns=tuple(scope.get("name_patterns", [])),
            tags=tuple(sorted((scope.get("tags") or {}).items())), document=entry["document"],
            approved_by=entry["approved_by"], granted=granted, expires=expires))
    problems += unknown_countries((f"approvals.{i}.destinations.countries.{j}", code)
                                  for i, e in enumerate(document["approvals"])
                                  for j, code in enumerate(e["destinations"].get("countries", [])))
    problems += _duplicates([e["id"] for e in document["approvals"]], "approvals")
    _refuse(source, problems)
    return approvals


def load_waivers(path: Path, rules: Iterable[Rule] = ()) -> list[Waiver]:
    """A waivers file judged against the rule catalogue; every problem of the file at once."""
    source = str(path)
    document = validate(read_yaml(path), DATA_DIR / "waivers.schema.json", source)
    by_id = {rule.id: rule for rule in rules}
    known = set(by_id) | _drift_rule_ids()
    waivers, problems = [], []
    for i, entry in enumerate(document["waivers"]):
        rule = by_id.get(entry["rule"])
        if by_id and entry["rule"] not in known:
            problems.append(f"field waivers.{i}.rule: unknown rule {entry['rule']} (see `luxguard rules list`)")
        elif rule is not None and rule.category == "residency":
            problems.append(f"field waivers.{i}.rule: {rule.id} is a residency rule; transfers need the "
                            "customer's written approval in the approvals file, not a waiver")
        dates = _dates(entry, ("expires",), f"waivers.{i}", problems)
        if "expires" in dates:
            waivers.append(Waiver(id=entry["id"], rule=entry["rule"], resource=entry["resource"],
                                  reason=entry["reason"], owner=entry["owner"], expires=dates["expires"],
                                  accounts=frozenset(entry.get("accounts", []))))
    problems += _duplicates([e["id"] for e in document["waivers"]], "waivers")
    _refuse(source, problems)
    return waivers


def _drift_rule_ids() -> set[str]:
    """Drift findings can be waived too (e.g. a reviewed manual change), except residency drift."""
    return {rule.id for rule in load_drift_rules() if rule.category != "residency"}


def _duplicates(ids: list[str], kind: str) -> list[str]:
    seen: set[str] = set()
    found = []
    for i, identifier in enumerate(ids):
        if identifier in seen:
            found.append(f"field {kind}.{i}.id: duplicate id {identifier}")
        seen.add(identifier)
    return found


def external_principals(rule: Rule, finding: Finding) -> list[str]:
    """The callers outside the trusted zone an external-access finding names (its rule reads an
    `external_principals` property); [] for any other rule."""
    found: list[str] = []
    for _, path in walk_properties(rule.condition):
        if path.endswith("external_principals"):
            found.extend(finding.resource.get(path) or [])
    return sorted(set(found))


def foreign_regions(rule: Optional[Rule], finding: Finding, locations: Locations, pinned: str) -> list[Optional[str]]:
    """The places outside the pinned country that a residency finding is about (for a drift
    finding, which has no catalogue rule: the resource's own region)."""
    if rule is None:
        return [] if locations.is_in(finding.resource.region, pinned) else [finding.resource.region]
    regions: list[Optional[str]] = []
    for _, path in walk_properties(rule.condition):
        value = finding.resource.get(path)
        for region in value if isinstance(value, list) else [value]:
            if not locations.is_in(region, pinned):
                regions.append(region)
    return regions


@dataclass
class Exceptions:
    """Approvals and waivers in force on `today`."""

    approvals: list[Approval] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    today: date = field(default_factory=date.today)

    def notes(self) -> list[str]:
        """Warnings for people: approvals and waivers about to lapse, and those that lapsed."""
        soon = self.today + timedelta(days=EXPIRY_WARNING_DAYS)
        notes = []
        for approval in self.approvals:
            if approval.expires < self.today:
                notes.append(f"approval {approval.id} ({approval.customer}) expired on {approval.expires} "
                             "and no longer covers transfers")
            elif approval.expires <= soon:
                notes.append(f"approval {approval.id} ({approval.customer}) expires on {approval.expires}")
        for waiver in self.waivers:
            if waiver.expires < self.today:
                notes.append(f"waiver {waiver.id} for {waiver.rule} expired on {waiver.expires} and no longer waives")
            elif waiver.expires <= soon:
                notes.append(f"waiver {waiver.id} for {waiver.rule} expires on {waiver.expires}")
        return sorted(notes)

    def apply(self, findings: list[Finding], rules: list[Rule], locations: Locations, pinned: str) -> None:
        """Turn covered failing findings into `waived`; explain lapsed approvals in the message."""
        by_id = {rule.id: rule for rule in rules}
        for finding in findings:
            if finding.status != Status.FAIL:
                continue
            rule = by_id.get(finding.rule_id)
            if finding.category == "residency":
                places = foreign_regions(rule, finding, locations, pinned)
                self._apply_approval(finding, lambda a: all(a.covers_destination(r, locations) for r in places))
            elif rule is not None and external_principals(rule, finding):
                grantees = external_principals(rule, finding)
                self._apply_approval(finding, lambda a: "*" not in grantees and set(grantees) <= a.grantees)
            else:
                self._apply_waiver(finding)

    def _apply_approval(self, finding: Finding, covers: Callable[[Approval], bool]) -> None:
        """Waive a finding that an approval in force covers (scope, destination, data, dates);
        otherwise say in the message which approval lapsed and why."""
        categories = set(finding.resource.properties.get("classification") or [])
        candidates = [a for a in self.approvals if a.in_scope(finding) and covers(a)]
        for approval in candidates:
            if self._in_force(approval, categories):
                finding.status = Status.WAIVED
                finding.waiver = approval.describe()
                return
        reasons = []
        for approval in candidates:
            if not categories:
                reasons.append(f"approval {approval.id} cannot cover unclassified data (no data-classification tag)")
            elif not categories <= approval.data_categories:
                missing = ", ".join(sorted(categories - approval.data_categories))
                reasons.append(f"approval {approval.id} does not cover {missing} data")
            elif self.today < approval.granted:
                reasons.append(f"approval {approval.id} is granted only from {approval.granted}")
            else:
                reasons.append(f"approval {approval.id} expired on {approval.expires}")
        if reasons:
            finding.message = f"{finding.message} ({'; '.join(reasons)})"

    def _in_force(self, approval: Approval, categories: set[str]) -> bool:
        """Covers all of the resource's data categories (unclassified data: none) today."""
        return bool(categories) and categories <= approval.data_categories and \
            approval.granted <= self.today <= approval.expires

    def approved_accounts(self, finding: Finding) -> frozenset[str]:
        """The processors' accounts approvals in force let reach this finding's resource (the
        enforcer never touches their grants)."""
        categories = set(finding.resource.properties.get("classification") or [])
        return frozenset(account for a in self.approvals if a.in_scope(finding) and self._in_force(a, categories)
                         for account in a.grantees)

    def _apply_waiver(self, finding: Finding) -> None:
        for waiver in self.waivers:
            if not waiver.matches(finding):
                continue
            if self.today <= waiver.expires:
                finding.status = Status.WAIVED
                finding.waiver = waiver.describe()
                return
            finding.message = f"{finding.message} (waiver {waiver.id} expired on {waiver.expires})"
