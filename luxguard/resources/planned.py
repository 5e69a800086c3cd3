"""Helpers the descriptors' Pulumi converters share: the model resource a captured resource
starts as, and the inputs every type has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luxguard.core.model import Resource, SourceLocation, common_properties

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

# Inputs of every type -> the model groups computed from them (see PulumiType.inputs).
COMMON_INPUTS: dict[str, tuple[str, ...]] = {
    "region": ("region",),
    "tags": ("tags", "classification", "role"),
}


def planned_resource(res: "CapturedResource", index: Any, cfn_type: str, **properties: Any) -> Resource:
    """The model resource of a captured one: common properties, region, source location."""
    region = index.region_of(res)
    source = None
    if res.source_file and "site-packages" not in res.source_file:
        source = SourceLocation(file=res.source_file, line=int(res.source_line or 1))
    props = common_properties(res.name, region, res.inputs.get("tags"))
    props.update(properties)
    return Resource(type=cfn_type, id=res.id, region=region, properties=props, urn=res.urn, source=source,
                    arn=None)


def sandbox_tags(values: dict) -> list[dict[str, str]]:
    """The program's tag map as the `[{Key, Value}]` list the AWS create calls take (sorted)."""
    return [{"Key": str(k), "Value": str(v)} for k, v in sorted((values.get("tags") or {}).items())]


def inputs(**groups: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """A converter's input declaration: the common inputs plus `camelCaseInput=(groups...)`."""
    return {**COMMON_INPUTS, **groups}
