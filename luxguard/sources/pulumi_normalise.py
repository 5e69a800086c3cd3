"""Captured Pulumi resources -> the normalised model (CloudFormation type names).

Each pulumi-aws type has one small converter, declared by its resource-type descriptor
(luxguard/resources/). Child configuration resources (SSE, public access block, policy,
versioning, ...) fold into the bucket they configure, and security group rule resources into
their group, so that a rule sees one `AWS::S3::Bucket` whichever way the program spelled it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Optional

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Resource
from luxguard.resources import pulumi_type, pulumi_types
from luxguard.sources.pulumi_capture import PROVIDER_PREFIX, Capture, CapturedResource


@dataclass
class PlanIndex:
    """Lookups across the whole program: providers, keys, aliases, buckets by id."""

    capture: Capture
    provider_regions: dict[str, Optional[str]] = field(default_factory=dict)
    by_type_id: dict[tuple[str, str], CapturedResource] = field(default_factory=dict)
    alias_targets: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for res in self.capture.resources:
            if res.type.startswith(PROVIDER_PREFIX):
                self.provider_regions[res.urn] = res.inputs.get("region")
            self.by_type_id[(res.type, res.id)] = res
            if res.type == "aws:kms/alias:Alias" and res.inputs.get("name"):
                self.alias_targets[str(res.inputs["name"])] = str(res.inputs.get("targetKeyId", ""))

    def region_of(self, res: CapturedResource) -> Optional[str]:
        """pulumi-aws v7: own `region` input, else explicit provider's, else stack's aws:region."""
        if res.inputs.get("region"):
            return str(res.inputs["region"])
        if res.provider:
            return self.provider_regions.get(res.provider) or self.capture.config.get("aws:region")
        return self.capture.config.get("aws:region")

    def key_facts(self, key_ref: Optional[str], resource_region: Optional[str]) -> dict[str, Any]:
        """Region and manager of the KMS key a resource names by ARN, id or alias."""
        if not key_ref:
            return {"kms_key_id": None, "kms_key_region": None, "customer_managed_key": False}
        ref = str(key_ref)
        if ref.startswith("arn:aws:kms:"):
            region, tail = ref.split(":")[3], ref.split(":", 5)[5]
            managed_by_aws = tail.startswith("alias/aws/")
            return {"kms_key_id": ref, "kms_key_region": region, "customer_managed_key": not managed_by_aws}
        if ref.startswith("alias/aws/"):
            return {"kms_key_id": ref, "kms_key_region": resource_region, "customer_managed_key": False}
        target = self.alias_targets.get(ref, ref)
        if target.startswith("arn:aws:kms:"):
            return {**self.key_facts(target, resource_region), "kms_key_id": ref}
        key = self.by_type_id.get(("aws:kms/key:Key", target))
        region = self.region_of(key) if key else None
        return {"kms_key_id": ref, "kms_key_region": region, "customer_managed_key": key is not None}

    def bucket_region(self, bucket_name: Optional[str]) -> Optional[str]:
        for bucket_type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            bucket = self.by_type_id.get((bucket_type, str(bucket_name)))
            if bucket:
                return self.region_of(bucket)
        return None


UNKNOWN_AT_PREVIEW = "not known until the update runs (preview)"


def modelled_pulumi_types() -> set[str]:
    """Every Pulumi type the model reads: converted, or folded into a converted parent."""
    return {spec.type for spec in pulumi_types() if spec.convert is not None or spec.fold is not None}


def _parent(res: CapturedResource, by_type_id: Mapping[tuple[str, str], Any]) -> Any:
    """The resource a configuration resource folds into, if the program declares it."""
    spec = pulumi_type(res.type)
    folding = spec.fold if spec is not None else None
    if folding is None:
        return None
    return folding.parent_in(res.inputs, by_type_id)


def coverage_notes(capture: Capture) -> list[str]:
    """What the rules did not see, for the report's notes: types luxguard does not model,
    configuration resources whose parent the program does not declare, and resources the program
    only reads (`Resource.get()`), which exist already and are not judged as declared."""
    declared = {(r.type, r.id): r for r in capture.resources
                if (spec := pulumi_type(r.type)) is not None and spec.convert is not None}
    skipped: dict[str, int] = {}
    orphans: dict[str, int] = {}
    for res in capture.resources:
        if not res.custom or res.type.startswith(PROVIDER_PREFIX) or res.type.startswith("pulumi:"):
            continue
        spec = pulumi_type(res.type)
        if spec is not None and spec.fold is not None:
            if _parent(res, declared) is None:
                orphans[res.type] = orphans.get(res.type, 0) + 1
        elif spec is None:
            skipped[res.type] = skipped.get(res.type, 0) + 1
    notes = [f"not modelled: {t} ({n})" for t, n in sorted(skipped.items())]
    notes += [f"not evaluated: {t} ({n}): configures a resource the program does not declare"
              for t, n in sorted(orphans.items())]
    notes += [f"existing resource read with .get(), not declared by the program and not judged: {r.type} {r.id}"
              for r in capture.existing]
    return notes


def normalise(capture: Capture) -> list[Resource]:
    """Every supported resource of the capture in the model; unsupported types are skipped.

    Converters, foldings and account-wide settings come from the resource-type descriptors
    (luxguard/resources/)."""
    index = PlanIndex(capture)
    by_urn: dict[str, Resource] = {}
    by_type_id: dict[tuple[str, str], Resource] = {}
    for res in capture.resources:
        spec = pulumi_type(res.type)
        if spec is not None and spec.convert is not None:
            with _shape_checked(res):
                resource = spec.convert(res, index)
            by_urn[res.urn] = resource
            by_type_id[(res.type, res.id)] = resource
            _mark_unknown(resource, res, [group for name in res.unknown_inputs for group in spec.inputs.get(name, ())])
    for res in capture.resources:
        spec = pulumi_type(res.type)
        if spec is None or spec.fold is None:
            continue
        folding = spec.fold
        parent = _parent(res, by_type_id)
        if parent is not None:
            with _shape_checked(res):
                folding.fold(res, parent, index)
            _mark_unknown(parent, res, list(folding.groups) if res.unknown_inputs else [])
    resources = sorted(by_urn.values(), key=lambda r: (r.type, r.id))
    for res in capture.resources:
        spec = pulumi_type(res.type)
        if spec is not None and spec.account_wide is not None:
            with _shape_checked(res):
                spec.account_wide(res, resources, index)
    return resources


@contextmanager
def _shape_checked(res: CapturedResource) -> Iterator[None]:
    """Plans and states are files: an input of the wrong type (tags: "x") is bad input naming the
    resource, never a crash."""
    try:
        yield
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise LuxguardError(f"resource {res.urn}: inputs of an unexpected shape for {res.type} "
                            f"({type(exc).__name__}: {exc})") from None


def snake_case(name: str) -> str:
    """Pulumi's camelCase input names as the model's (and Terraform's) snake_case."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name).lower()


def _mark_unknown(resource: Resource, res: CapturedResource, groups: list[str]) -> None:
    """During a preview, values computed from other resources' outputs are not known yet: rules
    reading those property groups give `error` (undecided), never a false `fail`."""
    for group in groups:
        if group in resource.properties:
            resource.collection_errors[group] = f"{res.name}: {UNKNOWN_AT_PREVIEW}"
