"""Imported once by the server that forks program runs: the SDK classes of every modelled type
loaded and their type information resolved (outputs and the nested input types the SDK checks
when it serialises arguments), so each program run starts warm. pulumi-aws loads its modules
lazily, and resolving a class's annotations takes a good part of a second."""

from __future__ import annotations

import importlib
import typing

import pulumi_aws  # noqa: F401 - registers the SDK's resource modules
import pulumi_aws.iam  # noqa: F401 - policy documents and roles: in most programs
from pulumi import _types

from luxguard.sources.pulumi_normalise import modelled_pulumi_types
from luxguard.sources.pulumi_placeholders import resource_class, resource_fields


def _warm_inputs(cls: type, seen: set[type]) -> None:
    if cls in seen or not _types.is_input_type(cls):
        return
    seen.add(cls)
    try:
        hints = _types.input_type_types(cls)
    except Exception:  # noqa: BLE001 - warming is best effort
        return
    for hint in hints.values():
        for candidate in (hint, *typing.get_args(hint)):
            for inner in (candidate, *typing.get_args(candidate)):
                if isinstance(inner, type):
                    _warm_inputs(inner, seen)


def warm() -> None:
    seen: set[type] = set()
    for type_token in sorted(modelled_pulumi_types()):
        resource_fields(type_token)
        cls = resource_class(type_token)
        if cls is None:
            continue
        args = getattr(importlib.import_module(cls.__module__), f"{cls.__name__}Args", None)
        if isinstance(args, type):
            _warm_inputs(args, seen)


warm()
