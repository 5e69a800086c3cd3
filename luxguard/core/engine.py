"""The one engine: rules x resources -> findings. check, scan, drift and the policy pack share it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from luxguard.core.conditions import Context, evaluate
from luxguard.core.external_access import TrustedZone, localise_grants
from luxguard.core.listing import ListingFailure
from luxguard.core.locations import Locations
from luxguard.core.messages import render_template
from luxguard.core.model import Finding, Resource, Status, sort_findings
from luxguard.core.need_to_know import Store, localise_data_reads, personal_data_stores
from luxguard.core.rules import Rule


def _message(rule: Rule, resource: Resource, pinned: str) -> str:
    """The rule's message template filled in (checked when the rule loaded; see messages.py)."""
    fields = {
        "id": resource.id,
        "type": resource.type,
        "name": resource.properties.get("name") or resource.id,
        "region": resource.region or "an unknown region",
        "country": resource.properties.get("country") or "unknown country",
        "pinned": pinned,
    }
    return render_template(rule.message, fields, resource.get)


@dataclass
class Engine:
    rules: list[Rule]
    locations: Locations
    pinned_country: str   # given by the run's Settings, the one place that resolves it
    trusted_zone: TrustedZone = field(default_factory=TrustedZone)

    def trust(self, accounts: Iterable[str] = (), organizations: Iterable[str] = ()) -> None:
        """Widen the trusted zone with the accounts (and organizations) this run is about."""
        zone = self.trusted_zone
        self.trusted_zone = TrustedZone(zone.accounts | {str(a) for a in accounts if a},
                                        zone.organizations | {str(o) for o in organizations if o})

    @classmethod
    def create(cls, rules: list[Rule], locations: Locations, pinned_country: str) -> "Engine":
        return cls(rules=rules, locations=locations, pinned_country=pinned_country)

    @property
    def context(self) -> Context:
        return Context(self.locations, self.pinned_country)

    def localise(self, resource: Resource, stores: Iterable[Store] = ()) -> None:
        """Fill what depends on the run, not the source: `country` from the catalogue (None for an
        unknown region), which grants reach outside the trusted zone, and which of an identity's
        data reads reach the run's personal-data `stores` (need to know)."""
        resource.properties["region"] = resource.region
        resource.properties["country"] = self.locations.country_of(resource.region)
        zone = self.trusted_zone
        if resource.account and resource.account not in zone.accounts:   # a resource's own account is trusted
            zone = TrustedZone(zone.accounts | {resource.account}, zone.organizations)
        localise_grants(resource.properties, zone)
        localise_data_reads(resource.properties, list(stores))

    def evaluate_rule(self, rule: Rule, resource: Resource) -> Optional[Finding]:
        """The rule's verdict on one resource, or None when the rule does not apply to it."""
        if resource.type not in rule.resource_types:
            return None
        errors = {k: reason for k, reason in resource.collection_errors.items() if rule.reads(k)}
        if errors:
            reasons = "; ".join(f"{group}: {reason}" for group, reason in sorted(errors.items()))
            return self._finding(rule, resource, Status.ERROR, f"could not read {resource.id}: {reasons}")
        ctx = self.context
        if rule.when is not None and not evaluate(rule.when, resource.get, ctx):
            return None
        if evaluate(rule.condition, resource.get, ctx):
            return self._finding(rule, resource, Status.PASS, f"{rule.title}: {resource.id}")
        return self._finding(rule, resource, Status.FAIL, _message(rule, resource, self.pinned_country))

    def listing_errors(self, failures: Iterable[ListingFailure]) -> list[Finding]:
        """One `error` per rule of the type that could not be listed, in that region and account:
        what was not seen is never a pass, nor silence."""
        findings = []
        for failure in sorted(failures, key=lambda f: f.key):
            for rule in self.rules:
                if failure.resource_type not in rule.resource_types:
                    continue
                resource = failure.resource()
                self.localise(resource)
                finding = self._finding(rule, resource, Status.ERROR,
                                        f"could not list {failure.describe()}; {rule.id} not checked there")
                finding.extra["listing"] = failure.to_dict()
                findings.append(finding)
        return findings

    def _finding(self, rule: Rule, resource: Resource, status: Status, message: str) -> Finding:
        return Finding(
            rule_id=rule.id,
            category=rule.category,
            severity=rule.severity,
            status=status,
            resource=resource,
            message=message,
            clause=rule.clause_section,
            remediation=rule.remediation,
            title=rule.title,
        )

    def evaluate(self, resources: Iterable[Resource], failures: Iterable[ListingFailure] = ()) -> list[Finding]:
        by_type: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for rtype in rule.resource_types:
                by_type.setdefault(rtype, []).append(rule)
        findings: list[Finding] = self.listing_errors(failures)
        resources = list(resources)
        stores = personal_data_stores(resources)
        for resource in resources:
            self.localise(resource, stores)
            for rule in by_type.get(resource.type, ()):
                finding = self.evaluate_rule(rule, resource)
                if finding is not None:
                    findings.append(finding)
        return sort_findings(findings)
