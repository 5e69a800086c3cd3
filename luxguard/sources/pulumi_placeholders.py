"""Placeholder values of the right shape for what only a deployment could tell.

A preview knows a resource's inputs but not its computed outputs (ARNs, endpoints, generated
ids); programs still wire them together and `.apply` on them. Each output's shape comes from the
SDK's own type information (the resource class's or invoke result class's annotated output
properties), its text from the property's name (an ARN with the resource's region and account,
ids with the service's prefix, host names, lists and maps where the SDK says so).

Values a deployment decides and the program could not know carry an `unknown<hex>` token, so
that the capture can tell which inputs were built from them (`carries_placeholder`): rules that
read those inputs are undecided, never passed on a guess. The resource's own identity (id, ARN,
name, region, account) is not marked: it is how the program refers to the resource, and the
normaliser resolves those references.
"""

from __future__ import annotations

import collections.abc
import contextlib
import enum
import functools
import importlib
import re
import threading
import typing
import zlib
from dataclasses import dataclass
from typing import Any, Optional

from luxguard.sources.pulumi_capture import arn_for

MAX_DEPTH = 4
TIMESTAMP = "2026-01-01T00:00:00Z"
# The prefix EC2 and a few other services give ids, by the output property's name.
ID_PREFIXES = {
    "vpcId": "vpc-", "subnetId": "subnet-", "securityGroupId": "sg-", "groupId": "sg-", "imageId": "ami-",
    "amiId": "ami-", "instanceId": "i-", "volumeId": "vol-", "snapshotId": "snap-", "networkInterfaceId": "eni-",
    "routeTableId": "rtb-", "internetGatewayId": "igw-", "natGatewayId": "nat-", "allocationId": "eipalloc-",
    "associationId": "eipassoc-", "launchTemplateId": "lt-", "prefixListId": "pl-", "transitGatewayId": "tgw-",
    "hostedZoneId": "Z", "zoneId": "Z", "keyPairId": "key-", "vpcEndpointId": "vpce-", "mainRouteTableId": "rtb-",
    "defaultSecurityGroupId": "sg-", "defaultNetworkAclId": "acl-", "defaultRouteTableId": "rtb-",
    "dhcpOptionsId": "dopt-", "ownerId": "", "accountId": "",
}
ACCOUNT_NAMES = {"accountId", "ownerId", "ownerAccountId", "awsAccountId", "callerAccountId"}
HOST_SUFFIXES = ("endpoint", "address", "dnsname", "domainname", "hostname", "fqdn", "host")
URL_SUFFIXES = ("url", "uri", "invokeurl")


@dataclass(frozen=True)
class Site:
    """The resource (or invoke) a placeholder is made for."""

    seed: str            # URN or invoke token + arguments: placeholders are stable run to run
    type_token: str
    service: str         # e.g. "s3", "ec2"
    kind: str            # e.g. "bucket", "instance" (the ARN's resource kind)
    physical: str        # the name the resource will have
    region: str
    account: str

    def token(self, path: str) -> str:
        return f"unknown{zlib.crc32(f'{self.seed}#{path}'.encode()):08x}"


def site_for(seed: str, type_token: str, physical: str, region: str, account: str) -> Site:
    parts = type_token.split(":")
    module = parts[1].split("/")[0] if len(parts) > 2 else "index"
    kind = parts[-1].lower() if parts else "resource"
    return Site(seed=seed, type_token=type_token, service=module.rstrip("_"), kind=kind, physical=physical,
                region=region, account=account)


# --- the SDK's type information --------------------------------------------------------------

def _package(token: str) -> Optional[str]:
    pkg = token.split(":", 1)[0]
    return f"pulumi_{pkg.replace('-', '_')}" if pkg and pkg != "pulumi" else None


@functools.cache
def resource_class(type_token: str) -> Optional[type]:
    """The Python class the SDK registered for a resource type token, if its package is installed
    (loaded here: the monitor runs in luxguard's process, not in the program's that imported it)."""
    from pulumi.runtime.rpc import get_resource_module

    parts = type_token.split(":")
    if len(parts) != 3:
        return None
    package = _package(type_token)
    if package:
        with contextlib.suppress(ImportError):
            importlib.import_module(package)
    module = get_resource_module(parts[0], parts[1], "")
    info = getattr(module, "mod_info", None) or {}
    class_name = (info.get("classes") or {}).get(type_token)
    if not class_name:
        return None
    try:
        return getattr(importlib.import_module(info["fqn"]), class_name, None)
    except ImportError:
        return None


@functools.cache
def invoke_result_class(token: str) -> Optional[type]:
    """`aws:ec2/getAmi:getAmi` -> pulumi_aws.ec2.get_ami.GetAmiResult (the generated SDK's layout)."""
    package = _package(token)
    parts = token.split(":")
    if package is None or len(parts) != 3:
        return None
    folder, function = parts[1].split("/")[0], parts[2]
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", function).lower()
    class_name = function[:1].upper() + function[1:] + "Result"
    prefixes = [package] if folder == "index" else [f"{package}.{folder}", f"{package}.{folder}_"]
    for prefix in prefixes:
        try:
            found = getattr(importlib.import_module(f"{prefix}.{snake}"), class_name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


@functools.cache
def _fields(cls: type, output_type: bool) -> tuple[tuple[str, Any], ...]:
    from pulumi import _types

    try:
        hints = _types.output_type_types(cls) if output_type else _types.resource_types(cls)
    except Exception:  # noqa: BLE001 - a class whose annotations do not resolve gets no placeholders
        return ()
    return tuple(sorted(hints.items()))


# The monitor answers on many threads at once; the SDK's classes load and resolve their
# annotations lazily, and a look-up racing another's half-done import would be cached empty.
_SDK_LOOKUP = threading.RLock()


def load_sdk(package: str = "pulumi_aws") -> None:
    """Import an SDK package for the monitor (in a thread while the program's child starts: the
    first answers need its type information)."""
    with _SDK_LOOKUP, contextlib.suppress(ImportError):
        importlib.import_module(package)


def resource_fields(type_token: str) -> tuple[tuple[str, Any], ...]:
    with _SDK_LOOKUP:
        cls = resource_class(type_token)
        return _fields(cls, False) if cls is not None else ()


def result_fields(token: str) -> tuple[tuple[str, Any], ...]:
    with _SDK_LOOKUP:
        cls = invoke_result_class(token)
        return _fields(cls, True) if cls is not None else ()


# --- values ----------------------------------------------------------------------------------

def _text(name: str, site: Site, path: str) -> str:
    lower = name.lower()
    if name in ACCOUNT_NAMES:
        return site.account
    if lower == "region":
        return site.region
    if lower == "availabilityzone":
        return f"{site.region}a"
    if lower in ("createdate", "createdat", "creationdate", "lastmodified", "lastupdateddate") or lower.endswith(("time", "timestamp")):
        return TIMESTAMP
    token = site.token(path)
    if lower == "arn" or lower.endswith("arn"):
        return f"arn:aws:{site.service}:{site.region}:{site.account}:{token}"
    if name in ID_PREFIXES or lower.endswith("id"):
        return f"{ID_PREFIXES.get(name, '')}{token}"
    if lower.endswith(URL_SUFFIXES):
        return f"https://{token}.{site.service}.{site.region}.amazonaws.com/"
    if lower.endswith(HOST_SUFFIXES):
        return f"{token}.{site.service}.{site.region}.amazonaws.com"
    if lower.endswith("cidrblock"):
        return "10.0.0.0/16"
    if lower in ("json", "policy", "document") or lower.endswith(("json", "policy", "document")):
        return "{}"
    return token


def _is_output_type(typ: Any) -> bool:
    from pulumi import _types

    return isinstance(typ, type) and _types.is_output_type(typ)


def value_for(name: str, typ: Any, site: Site, path: str = "", depth: int = 0) -> Any:
    """A placeholder for one output property; `None` where no shape can be given (it then stays
    unknown, as in a real preview)."""
    path = f"{path}.{name}" if path else name
    origin = typing.get_origin(typ)
    if origin is typing.Union:
        options = [a for a in typing.get_args(typ) if a is not type(None)]
        return value_for(name, options[0], site, path, depth) if options else None
    if typ is str:
        return _text(name, site, path)
    if typ is bool:
        return False
    if typ in (int, float):
        return 0
    if isinstance(typ, type) and issubclass(typ, enum.Enum):
        return next(iter(typ)).value
    if origin in (list, collections.abc.Sequence, typing.Sequence):
        item = (typing.get_args(typ) or (str,))[0]
        if depth >= MAX_DEPTH:
            return []
        element = value_for(name.removesuffix("s"), item, site, f"{path}[0]", depth + 1)
        return [] if element is None else [element]
    if origin in (dict, collections.abc.Mapping, typing.Mapping):
        return {}
    if _is_output_type(typ):
        if depth >= MAX_DEPTH:
            return None
        return {field: value for field, field_type in _fields(typ, True)
                if (value := value_for(field, field_type, site, path, depth + 1)) is not None}
    return None


def resource_outputs(type_token: str, site: Site, inputs: collections.abc.Mapping[str, Any],
                     echoed: bool = True) -> dict[str, Any]:
    """Placeholders for every output the program did not set (`echoed`: inputs come back as
    outputs of the same name, true of custom resources, not of components): the resource's own
    identity unmarked, everything else marked."""
    identity = {"arn": arn_for(type_token, site.region, site.account, site.physical), "id": site.physical,
                "keyId": site.physical, "region": site.region, "name": site.physical, "bucket": site.physical,
                "bucketDomainName": f"{site.physical}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{site.physical}.s3.{site.region}.amazonaws.com"}
    outputs: dict[str, Any] = {}
    for name, typ in resource_fields(type_token):
        if echoed and name in inputs:
            continue
        if name in identity and typ is str:
            outputs[name] = identity[name]
        elif name == "tagsAll":
            outputs[name] = inputs.get("tags") or {}
        else:
            value = value_for(name, typ, site)
            if value is not None:
                outputs[name] = value
    return outputs


def invoke_result(token: str, site: Site, args: collections.abc.Mapping[str, Any]) -> dict[str, Any]:
    """A data source's result: its arguments echoed, everything else a marked placeholder."""
    result: dict[str, Any] = {}
    for name, typ in result_fields(token):
        if name in args and args[name] is not None:
            result[name] = args[name]
        else:
            value = value_for(name, typ, site)
            if value is not None:
                result[name] = value
    return result
