"""What Terraform and CloudFormation sources share: unknown values, the resources they declare,
and the road into the model.

A Terraform resource or a CloudFormation resource is read as the pulumi-aws resource it is the
twin of (pulumi-aws is generated from terraform-provider-aws; CloudFormation properties map onto
the same inputs), so the one normaliser (luxguard/sources/pulumi_normalise.py) folds children,
resolves keys and applies AWS defaults for every source alike, and a resource gets the same
verdicts whichever language declared it.

Values that cannot be known before deploy (a variable without a value, a data source, an
attribute computed at apply) are `Unknown`, never a value: the rules that read them give `error`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from luxguard.core.model import Resource, SourceLocation
from luxguard.core.unknowns import Unknown, first_unknown
from luxguard.resources import pulumi_type
from luxguard.sources.pulumi_capture import DEFAULT_ACCOUNT, PHYSICAL_NAME_INPUT, Capture, CapturedResource
from luxguard.sources.pulumi_normalise import normalise, snake_case


Region = Union[str, Unknown, None]


@dataclass
class DeclaredResource:
    """One resource of a Terraform configuration, plan or CloudFormation template, read as the
    pulumi-aws resource it is the twin of."""

    address: str                  # aws_s3_bucket.b, module.m.aws_db_instance.d[0], or a logical id
    declared_type: str            # aws_s3_bucket / AWS::S3::Bucket: what the user wrote
    pulumi_type: str
    name: str                     # the Terraform name label or the CloudFormation logical id
    id: str                       # physical name where set, else the address
    inputs: dict[str, Any]        # pulumi-aws inputs (camelCase); may hold Unknown values
    region: Region
    file: Optional[str] = None
    line: Optional[int] = None


@dataclass
class DeclaredModel:
    """The normalised resources of one source and what the user should know about it."""

    resources: list[Resource]
    by_address: dict[str, Resource] = field(default_factory=dict)   # children -> what they fold into
    notes: list[str] = field(default_factory=list)


# Properties holding the region of another resource, and the property naming that resource.
REGION_LINKS = {
    "kms_key_region": "kms_key_id",
    "encryption.kms_key_region": "encryption.kms_key_id",
    "logging.target_region": "logging.target_bucket",
    "replication.destination_regions": "replication.destination_buckets",
    "s3_bucket_region": "s3_bucket",
}


def _captured(entry: DeclaredResource) -> CapturedResource:
    inputs: dict[str, Any] = {}
    unknown: list[str] = []
    physical_input = PHYSICAL_NAME_INPUT.get(entry.pulumi_type)
    for key, value in entry.inputs.items():
        if key == physical_input and first_unknown(value) is not None:
            continue                     # a name known only at deploy: the resource keeps its address as id
        if first_unknown(value) is not None:
            unknown.append(key)
        elif value is not None:
            inputs[key] = value
    if isinstance(entry.region, str):
        inputs["region"] = entry.region
    return CapturedResource(urn=entry.address, type=entry.pulumi_type, name=entry.name, id=entry.id, inputs=inputs,
                            source_file=entry.file, source_line=entry.line, unknown_inputs=unknown)


def _unknown_reasons(entries: list[DeclaredResource]) -> dict[str, str]:
    """address -> why its region is unknown."""
    return {e.address: e.region.reason for e in entries if isinstance(e.region, Unknown)}


def _mark_unknown_inputs(resource: Resource, entry: DeclaredResource) -> None:
    """Unknown inputs make the groups their descriptor says they feed undecided; an input it does
    not declare makes every group of the resource undecided (fail closed, never a guess)."""
    spec = pulumi_type(entry.pulumi_type)
    declared = spec.inputs if spec is not None else {}
    groups = [k for k in resource.properties if k not in ("name", "region", "country", "tags", "classification", "role")]
    for key, value in entry.inputs.items():
        unknown = first_unknown(value)
        if unknown is None or key == PHYSICAL_NAME_INPUT.get(entry.pulumi_type):
            continue
        reason = f"{entry.address}.{snake_case(key)}: {unknown.reason}"
        for group in declared.get(key) or groups:
            if group in resource.properties:
                resource.collection_errors[group] = reason


def _mark_unknown_regions(resource: Resource, own_reason: Optional[str], by_id_reason: dict[str, str]) -> None:
    """An unknown region is no country: residency of the resource, and of whatever names it
    (a bucket's key, log target, replica), is undecided."""
    if own_reason:
        resource.collection_errors["region"] = own_reason
    for region_path, link_path in REGION_LINKS.items():
        linked = resource.get(link_path)
        linked_ids = linked if isinstance(linked, list) else [linked]
        reasons = [by_id_reason[str(i)] for i in linked_ids if i is not None and str(i) in by_id_reason]
        region = resource.get(region_path)
        own_default = own_reason and linked not in (None, []) and region in (None, [], "unknown")
        if reasons or own_default:
            resource.collection_errors[region_path] = reasons[0] if reasons else str(own_reason)


def to_model(entries: list[DeclaredResource], account: str = DEFAULT_ACCOUNT) -> DeclaredModel:
    """Declared resources -> the normalised model, each resource carrying its address and source."""
    captured = [_captured(e) for e in entries]
    capture = Capture(project="iac", stack="", config={"luxguard:accountId": account}, resources=captured)
    resources = normalise(capture)
    entry_by_address = {e.address: e for e in entries}
    unknown_regions = _unknown_reasons(entries)
    by_id_reason = {entry_by_address[a].id: r for a, r in unknown_regions.items()}
    by_address: dict[str, Resource] = {}
    by_type_id = {(c.type, c.id): r for c in captured for r in resources if r.urn == c.urn}
    for resource in resources:
        address = str(resource.urn)
        entry = entry_by_address[address]
        resource.urn = None
        resource.address = address
        if entry.file:
            resource.source = SourceLocation(entry.file, int(entry.line or 1))
        _mark_unknown_inputs(resource, entry)
        _mark_unknown_regions(resource, unknown_regions.get(address), by_id_reason)
        by_address[address] = resource
    for entry, res in zip(entries, captured):
        spec = pulumi_type(res.type)
        if spec is None or spec.fold is None:
            continue
        folding = spec.fold
        parent = folding.parent_in(res.inputs, by_type_id)
        if parent is None:
            continue
        by_address[entry.address] = parent
        for key, value in entry.inputs.items():
            unknown = first_unknown(value)
            for group in folding.groups if unknown is not None else ():
                parent.collection_errors[group] = f"{entry.address}.{snake_case(key)}: {unknown.reason}"
    return DeclaredModel(resources=resources, by_address=by_address)


def not_modelled_notes(types: list[str]) -> list[str]:
    """interface.md: `not modelled: TYPE (N)` for every declared type luxguard does not read."""
    counts: dict[str, int] = {}
    for name in types:
        counts[name] = counts.get(name, 0) + 1
    return [f"not modelled: {name} ({count})" for name, count in sorted(counts.items())]
