"""The cloud-neutral resource model and the findings rules produce about it.

Every source (a Pulumi program, a saved plan, a live account, a stack state) becomes a list
of `Resource`; the engine turns resources into `Finding`s; every output reads findings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Optional

import yaml

from luxguard.core.datafiles import DATA_DIR

CLASSIFICATION_TAG = "data-classification"
ROLE_TAG = "luxguard:role"
DATA_CATEGORIES = ("contact", "billing", "cardholder", "accounting", "technical", "marketing")


class Status(str, Enum):
    FAIL = "fail"
    PASS = "pass"
    WAIVED = "waived"
    ERROR = "error"


SEVERITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("residency", "encryption", "access", "retention", "logging", "classification")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass
class SourceLocation:
    """Where a planned resource is declared (for SARIF and reviewers)."""

    file: str
    line: int


@dataclass
class Resource:
    """One resource in the normalised model (`properties`: luxguard/data/model.yaml and the type's descriptor)."""

    type: str                      # CloudFormation type name, e.g. AWS::S3::Bucket
    id: str                        # cloud id, or the planned name / Pulumi logical name
    region: Optional[str] = None
    properties: dict[str, Any] = field(default_factory=dict)
    arn: Optional[str] = None
    urn: Optional[str] = None      # planned and drift resources
    address: Optional[str] = None  # Terraform address (module.m.aws_s3_bucket.b) or CloudFormation logical id
    source: Optional[SourceLocation] = None
    # Property groups (top-level keys, e.g. "policy") or dotted paths ("encryption.kms_key_region")
    # that could not be read, with the reason; rules reading them give an `error` finding.
    collection_errors: dict[str, str] = field(default_factory=dict)
    account: Optional[str] = None  # the AWS account it lives in (live and drift resources)

    def get(self, path: str) -> Any:
        """Value at a dotted property path; `region` and common properties included."""
        return lookup(self.properties, path)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Resource":
        data = dict(data)
        source = data.pop("source", None)
        return cls(**data, source=SourceLocation(**source) if source else None)


def lookup(properties: dict[str, Any], path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def parse_classification(value: Optional[str]) -> list[str]:
    """'billing+accounting' / 'billing, accounting' -> ['accounting', 'billing']."""
    if not value:
        return []
    parts = value.replace("+", " ").replace(",", " ").split()
    return sorted({p.strip().lower() for p in parts if p.strip()})


def common_properties(name: Optional[str], region: Optional[str], tags: Optional[dict]) -> dict[str, Any]:
    """The properties every resource type carries, derived the same way by every source."""
    tags = dict(tags or {})
    return {
        "name": name,
        "region": region,
        "tags": tags,
        "classification": parse_classification(tags.get(CLASSIFICATION_TAG)),
        "role": tags.get(ROLE_TAG),
    }


@dataclass
class Finding:
    """One rule's verdict on one resource."""

    rule_id: str
    category: str
    severity: str
    status: Status
    resource: Resource
    message: str
    clause: str = ""
    remediation: str = ""
    title: str = ""
    waiver: Optional[dict[str, Any]] = None     # the approval or waiver that waived it
    drift: Optional[dict[str, Any]] = None      # drift details (property/declared/actual or kind)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. checkov check id

    def sort_key(self) -> tuple:
        return (-severity_rank(self.severity), self.rule_id, self.resource.type, self.resource.id)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """interface.md: by severity (highest first), then rule, then resource."""
    return sorted(findings, key=Finding.sort_key)


@lru_cache(maxsize=1)
def common_vocabulary() -> dict[str, str]:
    """The properties every resource type carries (luxguard/data/model.yaml); each type's own
    vocabulary is in its descriptor (luxguard.resources.vocabulary joins them)."""
    with open(DATA_DIR / "model.yaml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["common"])
