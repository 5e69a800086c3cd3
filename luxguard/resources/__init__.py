"""The resource-type registry: one module per model type in this package, each defining a
`DESCRIPTOR` (a `ResourceType`, see base.py). Adding a type is adding a module here.

Every table a stage needs (converters, foldings, physical-name inputs, Terraform twins, the
model vocabulary, the types drift compares, the enforcer's tagging, the sandbox handlers) is a
view derived from the registered descriptors by the accessors below.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any, Callable, Optional

from luxguard.core.model import common_vocabulary

from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    Folding,
    LiveCollector,
    PolicyAccess,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)

__all__ = ["CloudFormationForm", "CloudFormationType", "cloudformation_type", "terraform_twin", "Drift", "Folding", "LiveCollector", "PolicyAccess", "PulumiType", "ResourceType", "Tagging",
           "TerraformForm", "all_types", "by_cfn_type", "by_pulumi_type", "by_terraform_type", "collector",
           "item_kind", "property_kind", "pulumi_type", "pulumi_types", "resource_types", "vocabulary"]

HELPER_MODULES = {"base", "planned", "cloudformation_forms", "resource_policy", "iam_identity", "rds_replication"}


@lru_cache(maxsize=1)
def _registry() -> dict[str, ResourceType]:
    found: dict[str, ResourceType] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name in HELPER_MODULES:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        descriptor = getattr(module, "DESCRIPTOR", None)
        if not isinstance(descriptor, ResourceType):
            raise TypeError(f"{module.__name__}: a resource module defines DESCRIPTOR = ResourceType(...)")
        if descriptor.cfn_type in found:
            raise TypeError(f"{module.__name__}: {descriptor.cfn_type} is already registered")
        problems = descriptor.problems(common_vocabulary())
        if problems:
            raise TypeError(f"{module.__name__}: incomplete descriptor: {'; '.join(problems)}")
        found[descriptor.cfn_type] = descriptor
    return dict(sorted(found.items()))


def all_types() -> tuple[ResourceType, ...]:
    """Every registered type, sorted by model type name."""
    return tuple(_registry().values())


def by_cfn_type(name: str) -> Optional[ResourceType]:
    return _registry().get(name)


@lru_cache(maxsize=1)
def _pulumi_index() -> dict[str, tuple[ResourceType, PulumiType]]:
    index: dict[str, tuple[ResourceType, PulumiType]] = {}
    for descriptor in all_types():
        for spec in descriptor.pulumi:
            if spec.type in index:
                raise TypeError(f"{spec.type} belongs to {index[spec.type][0].cfn_type} and {descriptor.cfn_type}")
            index[spec.type] = (descriptor, spec)
    return index


def by_pulumi_type(pulumi_type: str) -> Optional[ResourceType]:
    """The model type a pulumi-aws type converts into, folds into or helps (None: not modelled)."""
    entry = _pulumi_index().get(pulumi_type)
    return entry[0] if entry else None


def pulumi_type(pulumi_type_name: str) -> Optional[PulumiType]:
    entry = _pulumi_index().get(pulumi_type_name)
    return entry[1] if entry else None


def pulumi_types() -> tuple[PulumiType, ...]:
    """Every pulumi-aws type some descriptor claims."""
    return tuple(spec for _descriptor, spec in _pulumi_index().values())


def by_terraform_type(terraform_type: str) -> Optional[ResourceType]:
    """The model type of a Terraform resource type (its own form, or the twin of one of its Pulumi types)."""
    for descriptor in all_types():
        if descriptor.terraform is not None and descriptor.terraform.type == terraform_type:
            return descriptor
    for descriptor, spec in _pulumi_index().values():
        if spec.terraform == terraform_type:
            return descriptor
    return None


@lru_cache(maxsize=1)
def _twins() -> dict[str, PulumiType]:
    return {spec.terraform: spec for spec in pulumi_types() if spec.terraform}


def terraform_twin(terraform_type: str) -> Optional[PulumiType]:
    """The pulumi-aws type a Terraform resource type is read as (None: not modelled)."""
    return _twins().get(terraform_type)


@lru_cache(maxsize=1)
def _cloudformation_types() -> dict[str, CloudFormationType]:
    return {cfn.name: cfn for d in all_types() if d.cloudformation for cfn in d.cloudformation.types}


def cloudformation_type(name: str) -> Optional[CloudFormationType]:
    """How a CloudFormation resource type reads (None: not modelled)."""
    return _cloudformation_types().get(name)


def collector(live: LiveCollector) -> Callable:
    """The collector function a descriptor names (imports scanners/ only when asked)."""
    return getattr(importlib.import_module(live.module), live.function)


# --------------------------------------------------------------------------- the model vocabulary

def vocabulary() -> dict[str, Any]:
    """The whole model vocabulary: {"common": ..., "types": {type: {path: kind}}, "items": ...}."""
    return {"common": common_vocabulary(),
            "types": {d.cfn_type: dict(d.properties) for d in all_types()},
            "items": {name: dict(fields) for d in all_types() for name, fields in d.items.items()}}


def resource_types() -> list[str]:
    return [d.cfn_type for d in all_types()]


def property_kind(resource_type: str, path: str) -> Optional[str]:
    """Kind of `path` on `resource_type` (None when the model has no such property)."""
    common = common_vocabulary()
    if path in common:
        return common[path]
    descriptor = by_cfn_type(resource_type)
    return descriptor.properties.get(path) if descriptor else None


def item_kind(list_property: str, path: str) -> Optional[str]:
    """Kind of a field of the objects of a list property (security group rules)."""
    for descriptor in all_types():
        if list_property in descriptor.items:
            return descriptor.items[list_property].get(path)
    return None
