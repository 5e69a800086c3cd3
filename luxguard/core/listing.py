"""A listing that failed: which resources luxguard could not see, and the cloud's reason.

Keyed by (CloudFormation type, region, account), so that the rules, drift and the history all
ask "was this resource's listing complete?" the same way (never by a progress label). A region
of None is a global listing (S3's ListBuckets) and covers every region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from luxguard.core.model import Finding, Resource

# The resource id of a finding about a listing: every resource of its type in its region and account.
EVERY_RESOURCE = "*"


@dataclass(frozen=True)
class ListingFailure:
    resource_type: str
    region: Optional[str]
    account: Optional[str]
    code: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.resource_type, self.region or "", self.account or "")

    def covers(self, resource_type: str, region: Optional[str]) -> bool:
        return resource_type == self.resource_type and (self.region is None or self.region == region)

    def describe(self) -> str:
        """'AWS::EC2::SecurityGroup in lu-central-1 (account 1234): AccessDenied: Access Denied'."""
        where = f"in {self.region}" if self.region else "in every region"
        return f"{self.resource_type} {where} (account {self.account or 'unknown'}): {self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"resource_type": self.resource_type, "region": self.region, "account": self.account,
                "code": self.code, "message": self.message}

    def resource(self) -> Resource:
        """The stand-in for the resources that could not be listed."""
        return Resource(type=self.resource_type, id=EVERY_RESOURCE, region=self.region, account=self.account)


def covering(failures: Iterable[ListingFailure], resource_type: str,
             region: Optional[str]) -> Optional[ListingFailure]:
    """The failed listing that should have returned a resource of this type and region, if any."""
    return next((f for f in failures if f.covers(resource_type, region)), None)


def is_listing_finding(finding: Finding) -> bool:
    return finding.resource.id == EVERY_RESOURCE and "listing" in finding.extra
