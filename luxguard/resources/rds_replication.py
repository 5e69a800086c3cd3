"""Where a database's data is copied to: the regions of its read replicas, of the other members
of its Aurora global cluster and of its replicated automated backups. A copy is declared on the
copy (a replica names its source, a backup replication names the instance), so a program's
copies are found by searching the program for resources that name this database; the API
answers on the source (ReadReplica...Identifiers, GlobalClusterMembers) with ARNs that carry
the copy's region.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Optional

if TYPE_CHECKING:
    from luxguard.core.model import Resource
    from luxguard.sources.pulumi_capture import CapturedResource

REPLICATION_PROPERTIES = {"replica_regions": "list"}


def arn_region(reference: Any, default: Optional[str]) -> Optional[str]:
    """The region of an RDS ARN (`arn:aws:rds:REGION:ACCOUNT:db:NAME`); a bare identifier is in `default`'s."""
    parts = str(reference).split(":")
    return parts[3] or default if str(reference).startswith("arn:") and len(parts) > 5 else default


def names(reference: Any, identifier: str, region: Optional[str]) -> bool:
    """Whether `reference` (an identifier, or an ARN as cross-region copies use) names the
    database `identifier` of `region`."""
    text = str(reference or "")
    if not text.startswith("arn:"):
        return text == identifier
    parts = text.split(":")
    return len(parts) > 5 and parts[3] in ("", region) and re.split(r"[:/]", ":".join(parts[5:]))[-1] == identifier


def regions_of(references: Iterable[Any], home: Optional[str]) -> list[str]:
    """The regions of the copies the API names (ARNs abroad; identifiers in the database's own region)."""
    return sorted({r for r in (arn_region(ref, home) for ref in references if ref) if r})


def declared_copies(res: "CapturedResource", index: Any, referrers: dict[str, str],
                    resource: "Resource") -> None:
    """`replica_regions` of a declared database: the regions of the program's resources of the
    `referrers` types (pulumi type -> the input naming their source) that name it. A reference
    not known until deployment leaves the copies undecided (an `error`, never a pass)."""
    region = index.region_of(res)
    found: set[str] = set()
    for other in index.capture.resources:
        field = referrers.get(other.type)
        if field is None or other is res or not other.inputs.get(field) and field not in other.unknown_inputs:
            continue
        if field in other.unknown_inputs:
            resource.collection_errors["replica_regions"] = (
                f"{other.name}: the database it copies ({field}) is not known until deployment")
            continue
        if names(other.inputs[field], res.id, region):
            found.add(index.region_of(other) or "")
    resource.properties["replica_regions"] = sorted(r for r in found if r)
